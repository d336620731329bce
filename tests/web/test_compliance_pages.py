"""Compliance pages: the coordinator's report (by credential, by site, lines, CSV) and its
credential import form (errors by file, line and column on the page), a student's own
credentials and what their site requires, a partner's yes/no view (recorded as a
disclosure), and other roles refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, disclosures_to
from sqlalchemy import Engine
from web_support import PASSWORD, csrf_of, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import TermRow
from scheduler.services import term_rows

CSV = "student,code,status,issued,expires\nT01,BLS,valid,2026-01-01,2027-03-01\nT02,BLS,pending,,\n"


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine, password=PASSWORD)
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        scenario = term_rows.stored_scenario(term)
        sites = [s.model_copy(update={"required_credentials": ["BLS"]}) for s in scenario.sites]
        term.scenario_json = term_rows.stored_text(scenario.model_copy(update={"sites": sites}))
        session.add(term)
        session.commit()
    return world


def page(world: World) -> str:
    return f"/app/terms/{world.terms['a'].id}/compliance"


def import_file(client: TestClient, world: World, text: str, name: str = "c.csv") -> object:
    token = csrf_of(client, page(world))
    return client.post(
        f"/app/terms/{world.terms['a'].id}/credentials",
        data={"csrf_token": token},
        files={"file": (name, text.encode(), "text/csv")},
        follow_redirects=False,
    )


def test_the_coordinator_imports_credentials_and_sees_who_is_blocked(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "coord_a")
    done = import_file(client, world, CSV)
    assert done.status_code == 303  # type: ignore[attr-defined]
    shown = client.get(page(world) + "?done=imported")
    assert shown.status_code == 200
    assert "The credentials were imported." in shown.text
    assert "BLS expires 2027-03-01" in shown.text and "BLS pending" in shown.text
    assert 'id="by-credential"' in shown.text and 'id="by-site"' in shown.text
    assert "at risk" in shown.text
    csv_file = client.get(f"/app/terms/{world.terms['a'].id}/compliance.csv")
    assert csv_file.status_code == 200 and "BLS expires 2027-03-01" in csv_file.text


def test_a_bad_file_is_shown_with_its_line_and_column(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    refused = import_file(client, world, "student,code,expires\nT01,BLS,soon\n")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "c.csv:2:expires" in refused.text  # type: ignore[attr-defined]


def test_a_student_sees_their_own_credentials(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    import_file(client, world, CSV)
    sign_in(client, world, "student_a")
    mine = client.get("/app/me/compliance")
    assert mine.status_code == 200
    assert "BLS" in mine.text and "2027-03-01" in mine.text
    assert "not met" in mine.text
    assert "pending" not in mine.text  # T02's credential is not T01's


def test_a_partner_sees_yes_or_no_and_the_read_is_disclosed(
    client: TestClient, world: World, engine: Engine
) -> None:
    sign_in(client, world, "coord_a")
    import_file(client, world, CSV)
    sign_in(client, world, "partner_a")
    shown = client.get("/app/partner/compliance")
    assert shown.status_code == 200
    assert "requirements not met" in shown.text
    assert "2027-03-01" not in shown.text and "2026-01-01" not in shown.text
    rows = disclosures_to(engine, world.users["partner_a"], "partner.compliance_page")
    assert rows


@pytest.mark.parametrize(
    ("user", "path"),
    [("student_a", "coordinator"), ("partner_a", "coordinator"), ("coord_a", "/app/me/compliance")],
)
def test_other_roles_are_refused(client: TestClient, world: World, user: str, path: str) -> None:
    sign_in(client, world, user)
    target = page(world) if path == "coordinator" else path
    assert client.get(target, follow_redirects=False).status_code == 403


def test_another_schools_coordinator_gets_not_found(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_b")
    assert client.get(page(world)).status_code == 404
