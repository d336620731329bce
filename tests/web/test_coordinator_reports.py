"""The coordinator's report pages: one student's disclosure log and the equity report of a
version. What they show, who may see them (another school's term or student is a 404,
other roles a 403, the anonymous are sent to sign in), what each read leaves in the audit
trail, and that demographic attributes appear only as groups of at least 5.

In the tiny term SITE-A (partner_a) hosts T02 (Ben Okafor) and T03. Its attributes make
two shown groups, `first_generation` true (5 students) and false (7); `rural_origin` true
has 2 students, so both its groups are suppressed, as is every profession (2 to 4 each).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import (
    World,
    build_world,
    scenario_of,
    tiny_document,
    tiny_schedule,
)
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import PASSWORD, changed_schedule, publish, sign_in

from api.security_headers import PAGE_CSP
from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow
from scheduler.services import terms, versions

SITE_A = "Harborview Community Health Center"


@pytest.fixture
def world(engine: Engine) -> World:
    """A world of its own per test: audit rows and disclosures are counted from zero."""
    return build_world(engine, password=PASSWORD)


def audit_rows(engine: Engine, world: World, action: str) -> list[AuditRow]:
    """Audit rows of `action` by school A's coordinator, oldest first."""
    with new_session(engine) as session:
        query = (
            select(AuditRow)
            .where(
                col(AuditRow.actor_id) == world.users["coord_a"].id,
                col(AuditRow.action) == action,
            )
            .order_by(col(AuditRow.id))
        )
        return list(session.exec(query).all())


def page_problems(response: Any) -> list[str]:
    """What would break the page policy: inline script or style, or the header missing."""
    problems = []
    if response.headers.get("content-security-policy") != PAGE_CSP:
        problems.append("no page CSP")
    text = response.text
    if "<script>" in text or "<script " in text.replace('<script src="', ""):
        problems.append("inline script")
    if " style=" in text or "<style" in text:
        problems.append("inline style")
    return problems


def disclosure_page(world: World, school: str = "a", student: str = "T02") -> str:
    return f"/app/terms/{world.terms[school].id}/students/{student}/disclosures"


# ---- one student's disclosure log --------------------------------------------------------


def test_the_students_view_links_to_a_log_that_lists_each_disclosure(
    client: TestClient, engine: Engine, world: World
) -> None:
    assert client.get("/partner/slots", headers=world.header("partner_a")).status_code == 200
    sign_in(client, world, "coord_a")
    students = client.get(
        f"/app/terms/{world.terms['a'].id}/versions/{world.versions['a']}/students"
    ).text
    assert f'href="{disclosure_page(world)}"' in students
    response = client.get(disclosure_page(world))
    assert response.status_code == 200
    page = response.text
    assert "Disclosure log: Ben Okafor" in page
    assert SITE_A in page and world.users["partner_a"].email in page
    assert "list of the site&#39;s slots and placed students" in page
    assert "school_official.clinical_placement" in page
    assert "schedule version 1" in page
    assert page_problems(response) == []
    # T01 is placed at SITE-B: only the publish message to its partner names them.
    other = client.get(disclosure_page(world, student="T01")).text
    assert world.users["partner_a"].email not in other
    assert world.users["partner_a2"].email in other


def test_reading_the_log_is_one_audited_read_of_the_student(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "coord_a")
    assert client.get(disclosure_page(world)).status_code == 200
    reads = audit_rows(engine, world, "student.read")
    assert [(r.entity_id, r.term_id, r.detail) for r in reads] == [
        ("T02", world.terms["a"].id, {"via": "web.disclosures"})
    ]


def test_the_log_is_only_for_the_coordinator_of_the_students_school(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "coord_b")
    assert client.get(disclosure_page(world)).status_code == 404
    own = client.get(disclosure_page(world, school="b"))
    assert own.status_code == 200 and world.users["partner_a"].email not in own.text
    sign_in(client, world, "coord_a")
    assert client.get(disclosure_page(world, student="T99")).status_code == 404
    assert audit_rows(engine, world, "student.read") == []
    for user in ("student_a2", "partner_a"):
        sign_in(client, world, user)
        assert client.get(disclosure_page(world)).status_code == 403, user
    client.cookies.clear()
    anonymous = client.get(disclosure_page(world), follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/app/login")


def test_a_student_with_no_disclosures_is_said_to_have_none(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "coord_a")
    page = client.get(disclosure_page(world, student="T05")).text
    assert "Nobody outside the school has seen this student" in page


# ---- the equity report -------------------------------------------------------------------


def equity_page(world: World, school: str = "a") -> str:
    return f"/app/terms/{world.terms[school].id}/equity"


def test_the_equity_page_shows_groups_flags_suppression_and_charts(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "coord_a")
    response = client.get(equity_page(world))
    assert response.status_code == 200
    page = response.text
    assert "Version 1" in page and "published" in page
    assert '<th scope="row">attributes.first_generation=true</th>' in page
    assert '<th scope="row">attributes.first_generation=false</th>' in page
    # The flag is said in words, in the table and in the list of flagged gaps.
    assert '<strong class="flag">flagged, worse off</strong>' in page
    assert "attributes.first_generation=true: coverage 86% against 100% for the rest" in page
    assert "(gap -14.3 pts, limit ±9.4 pts): flagged, worse off.</li>" in page
    assert "And 1 flagged gap in a group's favour" in page  # first_generation=false
    assert '<strong class="flag">flagged, better off</strong>' in page
    assert "13 groups suppressed" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert page_problems(response) == []
    for link in ("equity.csv", "equity.json"):
        assert f"/app/terms/{world.terms['a'].id}/{link}?version={world.versions['a']}" in page
    [row] = audit_rows(engine, world, "equity.report")
    assert row.entity_id == str(world.versions["a"])
    assert row.detail == {"version": 1, "output": "page"}


def test_attributes_appear_only_as_groups_of_five_or_more(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    answers = [
        client.get(equity_page(world)).text,
        client.get(f"{equity_page(world)}.csv").text,
        client.get(f"{equity_page(world)}.json").text,
    ]
    people = [s.name for s in world.scenarios["a"].students]
    people += [s.email for s in world.scenarios["a"].students]
    for answer in answers:
        assert "first_generation" in answer
        assert "rural_origin" not in answer  # 2 students: suppressed
        assert not any(person in answer for person in people)
        assert "profession=NURS" not in answer  # 4 students: suppressed


def test_the_downloads_are_the_report_as_csv_and_json(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "coord_a")
    as_csv = client.get(f"{equity_page(world)}.csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["label"] for r in rows] == [
        "all students",
        "attributes.first_generation=false",
        "attributes.first_generation=true",
    ]
    assert rows[2]["flagged"] == "coverage"
    as_json = client.get(f"{equity_page(world)}.json")
    assert as_json.headers["content-type"].startswith("application/json")
    report = json.loads(as_json.text)
    assert report["format"] == "ipe-equity-report/1"
    assert report["suppressed_groups"] == 13 and len(report["groups"]) == 2
    outputs = [r.detail["output"] for r in audit_rows(engine, world, "equity.report")]
    assert outputs == ["csv", "json"]
    assert client.get(f"{equity_page(world)}.xml").status_code == 422


def test_the_report_is_of_the_published_version_unless_another_is_chosen(
    client: TestClient, engine: Engine, world: World
) -> None:
    first = world.versions["a"]
    second = publish(engine, world, changed_schedule())
    sign_in(client, world, "coord_a")
    shown = client.get(equity_page(world)).text
    assert '<h2 id="version-title">Version 2' in shown
    assert f'<option value="{second}" selected>Version 2 (published)</option>' in shown
    assert f'<option value="{first}">Version 1 (superseded)</option>' in shown
    chosen = client.get(equity_page(world), params={"version": first}).text
    assert '<h2 id="version-title">Version 1' in chosen
    as_json = client.get(f"{equity_page(world)}.json", params={"version": second})
    assert as_json.status_code == 200 and as_json.json()["students"] == 12
    other_school = {"version": world.versions["b"]}
    assert client.get(equity_page(world), params=other_school).status_code == 404
    assert client.get(f"{equity_page(world)}.csv", params=other_school).status_code == 404
    assert client.get(equity_page(world), params={"version": 0}).status_code == 422
    assert client.get(equity_page(world), params={"version": "v1"}).status_code == 422


def test_a_term_without_a_schedule_says_so(
    client: TestClient, engine: Engine, world: World
) -> None:
    with new_session(engine) as session:
        document = tiny_document(id=f"empty-{uuid.uuid4().hex[:8]}")
        term = terms.create_term(
            session, actor=world.users["coord_a"], scenario=scenario_of(document)
        )
        session.commit()
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term.id}/equity")
    assert page.status_code == 200 and "No schedule yet" in page.text
    assert client.get(f"/app/terms/{term.id}/equity.csv").status_code == 404
    assert audit_rows(engine, world, "equity.report") == []


def test_without_a_published_version_the_newest_is_reported(
    client: TestClient, engine: Engine, world: World
) -> None:
    document = tiny_document(id=f"drafts-{uuid.uuid4().hex[:8]}")
    with new_session(engine) as session:
        term = terms.create_term(
            session, actor=world.users["coord_a"], scenario=scenario_of(document)
        )
        schedule = tiny_schedule().model_copy(update={"term": term.code})
        for _ in range(2):
            versions.record_schedule(
                session, term=term, scenario=scenario_of(document), schedule=schedule
            )
        session.commit()
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term.id}/equity").text
    assert '<h2 id="version-title">Version 2 <span class="status s-draft">draft' in page


def test_the_equity_report_is_only_for_the_coordinator_of_the_term(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "coord_b")
    assert client.get(equity_page(world)).status_code == 404
    assert client.get(f"{equity_page(world)}.json").status_code == 404
    for user in ("student_a", "partner_a"):
        sign_in(client, world, user)
        for path in (equity_page(world), f"{equity_page(world)}.csv"):
            assert client.get(path).status_code == 403, (user, path)
    assert audit_rows(engine, world, "equity.report") == []
