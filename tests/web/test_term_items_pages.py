"""Term editing pages: add, change and remove items with the checks shown next to the
field; a new student is invited; edits after publication say they are recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client
from sqlalchemy import Engine
from web_support import post_form, sign_in


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_add_change_remove_a_site(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"pages-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/items/sites"
    bad = post_form(client, page, page, id="S-NEW", name="New site", lat="95", lon="10")
    assert bad.status_code == 422
    assert 'id="f-lat-error"' in bad.text and 'value="95"' in bad.text
    added = post_form(client, page, page, id="S-NEW", name="New site", lat="42.1", lon="-71")
    assert added.status_code == 303
    assert "S-NEW" in client.get(page).text
    edit = client.get(f"{page}?edit=S-NEW")
    assert 'value="New site"' in edit.text
    saved = post_form(
        client, page, f"{page}/S-NEW", name="Renamed site", lat="42.1", lon="-71", tags="rural"
    )
    assert saved.status_code == 303
    assert "Renamed site" in client.get(page).text
    removed = post_form(client, page, f"{page}/S-NEW/remove")
    assert removed.status_code == 303
    assert "S-NEW" not in client.get(page).text


def test_new_student_gets_an_invitation_link(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = add_blank_term(engine, world, f"pages-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/items/students"
    ref = f"N{uuid.uuid4().hex[:4]}"
    email = f"{ref.lower()}@students.example.edu"
    response = post_form(
        client, page, page, id=ref, name="Nova New", profession="NURS", email=email
    )
    assert response.status_code == 200, response.text
    assert "/app/invitations/" in response.text


def test_edit_of_published_term_is_recorded(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    term = world.terms["a"].id
    page = f"/app/terms/{term}/items/rooms"
    saved = post_form(client, page, f"{page}/R1", name="Hall 101 (renovated)", accessible="true")
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=recorded")
    refused = post_form(
        client, f"/app/terms/{term}/items/students", f"/app/terms/{term}/items/students/T01/remove"
    )
    assert refused.status_code == 409 and "schedule version" in refused.text


def test_editing_a_site_slot_or_student_keeps_units_and_history(
    client: TestClient, world: World, engine: Engine
) -> None:
    """Units, a slot's unit and a student's history have no form field: a form edit keeps
    them (a site without its units would orphan its slots' units)."""
    from weekly_factories import ward_term

    from scheduler.db.engine import new_session
    from scheduler.services import terms

    earlier = {"site": "H2", "start": "2026-01-04", "end": "2026-02-04", "tags": ["community"]}
    scenario = ward_term(students=[{**_nurse("n1"), "history": [earlier]}])
    code = f"wards-{uuid.uuid4().hex[:6]}"
    scenario = scenario.model_copy(update={"term": scenario.term.model_copy(update={"id": code})})
    with new_session(engine) as session:
        term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario)
        session.commit()
        term_id = term.id
    sign_in(client, world, "coord_a")
    base = f"/app/terms/{term_id}/items"
    site = post_form(
        client, f"{base}/sites", f"{base}/sites/H1", name="Renamed", lat="45", lon="-75"
    )
    assert site.status_code == 303
    slot = post_form(
        client,
        f"{base}/slots",
        f"{base}/slots/L1",
        site="H1",
        period="P1",
        profession="NURS",
        capacity="2",
    )
    assert slot.status_code == 303
    person = post_form(
        client, f"{base}/students", f"{base}/students/n1", name="Renamed", profession="NURS"
    )
    assert person.status_code == 303, person.text[:500]
    with new_session(engine) as session:
        kept = terms.export_scenario(session, actor=world.users["coord_a"], term_id=term_id)
    h1 = next(s for s in kept.sites if s.id == "H1")
    assert h1.name == "Renamed" and [u.id for u in h1.units] == ["W1", "W2"]
    assert next(s for s in kept.slots if s.id == "L1").unit == "W1"
    assert next(s for s in kept.students if s.id == "n1").history[0].site == "H2"


def _nurse(student_id: str) -> dict:
    from factories import student

    return student(student_id)
