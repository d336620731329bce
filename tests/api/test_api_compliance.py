"""Onboarding compliance over the API: credential import (CSV and JSON, all or nothing,
errors by file, line and column), the coordinator's report and CSV, a student's own
status, a partner's yes/no view (recorded in the disclosure log), and who may read what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, disclosures_to
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow, TermRow
from scheduler.services import term_rows

CSV = (
    "student,code,status,issued,expires\n"
    "T01,BLS,valid,2026-01-01,2027-03-01\n"
    "T02,BLS,valid,2026-01-01,2029-01-01\n"
)


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine)
    require(engine, world, "a", ["BLS"])
    return world


def require(engine: Engine, world: World, school: str, codes: list[str]) -> None:
    """Every site of the school's term requires `codes` (a requirement added after publish)."""
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms[school].id)
        assert term is not None
        scenario = term_rows.stored_scenario(term)
        sites = [s.model_copy(update={"required_credentials": codes}) for s in scenario.sites]
        term.scenario_json = term_rows.stored_text(scenario.model_copy(update={"sites": sites}))
        session.add(term)
        session.commit()


def upload(client: TestClient, world: World, text: str, name: str = "credentials.csv") -> object:
    term = world.terms["a"].id
    files = {"file": (name, text.encode(), "text/plain")}
    return client.post(f"/terms/{term}/credentials", files=files, headers=world.header("coord_a"))


def report(client: TestClient, world: World) -> dict:
    term = world.terms["a"].id
    answer = client.get(f"/terms/{term}/compliance", headers=world.header("coord_a"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_csv_import_then_report_names_blocked_and_at_risk_students(
    client: TestClient, world: World
) -> None:
    done = upload(client, world, CSV)
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert done.json() == {"students": 2, "credentials": 2}  # type: ignore[attr-defined]
    found = report(client, world)
    by_student = {(line["student"], line["state"]) for line in found["lines"]}
    assert ("T01", "at_risk") in by_student  # expires 2027-03-01, during P1
    assert not any(line["student"] == "T02" for line in found["lines"])
    assert ("T03", "blocked") in by_student  # no credential at all
    t01 = next(line for line in found["lines"] if line["student"] == "T01")
    assert t01["detail"] == "BLS expires 2027-03-01" and t01["state"] == "at_risk"
    assert found["version"] == 1
    assert {t["key"] for t in found["by_credential"]} == {"BLS"}
    assert {t["key"] for t in found["by_site"]} <= {"SITE-A", "SITE-B"}
    assert any(line["placed"] for line in found["lines"])


def test_report_csv_has_a_line_per_gap(client: TestClient, world: World) -> None:
    upload(client, world, CSV)
    term = world.terms["a"].id
    answer = client.get(f"/terms/{term}/compliance.csv", headers=world.header("coord_a"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0] == "student,name,profession,site,period,credential,state,detail,placed"
    assert len(lines) - 1 == len(report(client, world)["lines"])


def test_json_import_replaces_the_named_students_credentials(
    client: TestClient, world: World
) -> None:
    upload(client, world, CSV)
    document = '{"credentials": [{"student": "T01", "code": "BLS", "issued": "2026-01-01"}]}'
    done = upload(client, world, document, "credentials.json")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert not any(line["student"] in ("T01", "T02") for line in report(client, world)["lines"])


def test_bad_rows_are_refused_with_file_line_and_column_and_nothing_changes(
    client: TestClient, world: World, engine: Engine
) -> None:
    bad = (
        "student,code,status,issued,expires\n"
        "T01,BLS,valid,2026-01-01,2029-01-01\n"
        "NOPE,BLS,valid,,\n"
        "T02,BLS,expired,2026-01-01,not-a-date\n"
        "T03,MMR,valid,2027-01-01,2026-01-01\n"
    )
    answer = upload(client, world, bad)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    paths = {d["path"] for d in answer.json()["error"]["details"]}  # type: ignore[attr-defined]
    assert {
        "credentials.csv:3:student",
        "credentials.csv:4:status",
        "credentials.csv:4:expires",
        "credentials.csv:5:expires",
    } <= paths
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        scenario = term_rows.stored_scenario(term)
    assert all(s.credentials == [] for s in scenario.students)
    header = upload(client, world, "student,code,colour\nT01,BLS,red\n")
    assert header.status_code == 422  # type: ignore[attr-defined]
    assert header.json()["error"]["details"][0]["path"] == "credentials.csv:1:colour"  # type: ignore[attr-defined]
    json_bad = upload(client, world, '{"credentials": [{"student": "T01"}]}', "c.json")
    assert json_bad.json()["error"]["details"][0]["path"] == "c.json:1:18:credentials[0].code"  # type: ignore[attr-defined]


def test_a_student_sees_their_credentials_and_what_their_site_requires(
    client: TestClient, world: World
) -> None:
    upload(client, world, CSV)
    answer = client.get("/me/compliance", headers=world.header("student_a"))
    assert answer.status_code == 200, answer.text
    (term,) = answer.json()
    assert [(c["code"], c["expires"]) for c in term["credentials"]] == [("BLS", "2027-03-01")]
    for placement in term["placements"]:
        (requirement,) = placement["requirements"]
        assert requirement["code"] == "BLS" and requirement["met"] is False
        assert requirement["detail"] == "BLS expires 2027-03-01"


def test_a_partner_sees_met_or_not_and_every_read_is_disclosed(
    client: TestClient, world: World, engine: Engine
) -> None:
    upload(client, world, CSV)
    answer = client.get("/partner/compliance", headers=world.header("partner_a"))
    assert answer.status_code == 200, answer.text
    slots = answer.json()
    placed = [s for slot in slots for s in slot["students"]]
    assert placed and all(set(s) == {"name", "profession", "met", "all_met"} for s in placed)
    assert all(set(s["met"]) == {"BLS"} for s in placed)
    assert "2027-03-01" not in answer.text and "2026-01-01" not in answer.text
    rows = disclosures_to(engine, world.users["partner_a"], "partner.compliance")
    assert len(rows) == len(placed)
    assert all("credential_compliance" in row.fields for row in rows)


def test_the_coordinator_report_is_an_audited_read(
    client: TestClient, world: World, engine: Engine
) -> None:
    report(client, world)
    with new_session(engine) as session:
        reads = session.exec(
            select(AuditRow).where(
                col(AuditRow.actor_id) == world.users["coord_a"].id,
                col(AuditRow.action) == "student.read",
            )
        ).all()
    assert any(r.detail == {"via": "coordinator.compliance"} for r in reads)


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("student_a", "/terms/{a}/compliance"),
        ("partner_a", "/terms/{a}/compliance.csv"),
        ("coord_b", "/terms/{a}/compliance"),
        ("coord_a", "/partner/compliance"),
        ("partner_a", "/me/compliance"),
    ],
)
def test_others_are_refused(client: TestClient, world: World, user: str, path: str) -> None:
    answer = client.get(path.format(a=world.terms["a"].id), headers=world.header(user))
    assert answer.status_code in (403, 404)
