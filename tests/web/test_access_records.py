"""FERPA-grade access records: the disclosure log of partner reads, the directory opt-out,
needs shared as site codes only, and demographic attributes kept apart and never shown
per student. Through the API and the pages, as each audience uses them.

In the tiny schedule SITE-A (partner_a) hosts T02 (slot SL-A2) and T03 (SL-A1), SITE-B
(partner_a2) hosts T01; T01's team is T01, T04, T06 and T10.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
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
from web_support import PASSWORD, changed_schedule, csrf_of, publish, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import (
    DirectoryOptOutRow,
    DisclosureRow,
    SlotRow,
    StudentAttributeRow,
    StudentRow,
    TermRow,
)
from scheduler.domain.privacy import OPTED_OUT_NAME
from scheduler.services import auth, feeds, term_rows, terms, versions
from scheduler.services.disclosures import BASIS_PLACEMENT

SITE_A = "Harborview Community Health Center"
ATTRIBUTES = ("first_generation", "rural_origin")


@pytest.fixture
def world(engine: Engine) -> World:
    """A world of its own per test: disclosures are counted from zero."""
    return build_world(engine, password=PASSWORD)


def disclosures_of(engine: Engine, world: World, **where: Any) -> list[DisclosureRow]:
    """Disclosure rows of school A's students (world users share school A)."""
    with new_session(engine) as session:
        query = select(DisclosureRow).where(
            col(DisclosureRow.school_id) == world.users["coord_a"].school_id
        )
        for name, value in where.items():
            query = query.where(getattr(DisclosureRow, name) == value)
        return list(session.exec(query.order_by(col(DisclosureRow.student_ref))).all())


def slot_id(engine: Engine, world: World, ref: str) -> int:
    with new_session(engine) as session:
        query = select(SlotRow.id).where(
            col(SlotRow.term_id) == world.terms["a"].id, col(SlotRow.ref) == ref
        )
        found = session.exec(query).one()
    assert found is not None
    return found


# ---- the disclosure log ------------------------------------------------------------------


def test_a_roster_view_records_one_disclosure_per_student_shown(
    client: TestClient, engine: Engine, world: World
) -> None:
    response = client.get("/partner/slots", headers=world.header("partner_a"))
    assert response.status_code == 200
    shown = sorted(p["name"] for s in response.json() for p in s["placed"])
    rows = disclosures_of(engine, world, resource="partner.slots")
    assert [r.student_ref for r in rows] == ["T02", "T03"] and len(shown) == 2
    for row in rows:
        assert row.resource == "partner.slots" and row.recipient_kind == "partner_user"
        assert row.recipient_user_id == world.users["partner_a"].id
        assert row.fields == ["name", "profession", "placement_dates"]
        assert row.basis_code == BASIS_PLACEMENT
        assert SITE_A in row.basis and "schedule version 1" in row.basis
        assert row.views == 1 and not row.export
    # The same view again that day: the same rows, one more view each (the dedup rule).
    client.get("/partner/slots", headers=world.header("partner_a"))
    again = disclosures_of(engine, world, resource="partner.slots")
    assert [(r.id, r.views) for r in again] == [(r.id, 2) for r in rows]
    # One slot: one student shown, one new row for that resource.
    one = f"/partner/slots/{slot_id(engine, world, 'SL-A2')}"
    client.get(one, headers=world.header("partner_a"))
    single = disclosures_of(engine, world, resource="partner.slot")
    assert [r.student_ref for r in single] == ["T02"]


def test_a_site_token_is_recorded_as_its_own_recipient(
    client: TestClient, engine: Engine, world: World
) -> None:
    with new_session(engine) as session:
        issued = auth.create_partner_token(
            session, actor=world.users["partner_a"], name="ward roster", ttl=timedelta(days=1)
        )
        session.commit()
    client.get("/partner/slots", headers={"Authorization": f"Bearer {issued.token}"})
    rows = disclosures_of(engine, world, recipient_kind="partner_token")
    assert [r.student_ref for r in rows] == ["T02", "T03"]
    assert {(r.token_id, r.token_name) for r in rows} == {(issued.row.id, "ward roster")}


def test_csv_download_and_calendar_feed_are_recorded_as_exports(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "partner_a")
    assert client.get("/app/partner/slots.csv").status_code == 200
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users["partner_a"])
        session.commit()
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    for resource, kind in (("partner.slots_csv", "partner_user"), ("partner.feed", "partner_feed")):
        rows = disclosures_of(engine, world, resource=resource)
        assert [r.student_ref for r in rows] == ["T02", "T03"], resource
        assert all(r.export and r.recipient_kind == kind for r in rows)


def test_a_publish_that_messages_partners_records_each_student_named(
    client: TestClient, engine: Engine, world: World
) -> None:
    publish(engine, world, changed_schedule())  # T01 moves from SITE-B to SITE-A
    rows = disclosures_of(engine, world, resource="partner.message")
    by_user = {(r.recipient_user_id, r.student_ref): r for r in rows}
    gained = by_user[(world.users["partner_a"].id, "T01")]
    lost = by_user[(world.users["partner_a2"].id, "T01")]
    assert gained.export and gained.basis.startswith(f"Clinical placement at {SITE_A}")
    assert "schedule version 2" in gained.basis
    assert lost.basis.startswith("Notice that the clinical placement ended")


def test_students_see_only_their_own_log_and_coordinators_their_schools(
    client: TestClient, engine: Engine, world: World
) -> None:
    client.get("/partner/slots", headers=world.header("partner_a"))
    own = client.get("/me/disclosures", headers=world.header("student_a2")).json()
    assert {(d["student"], d["resource"]) for d in own} == {
        ("T02", "partner.slots"),
        ("T02", "partner.message"),  # the first publish told SITE-A who comes
    }
    assert own[0]["site"] == SITE_A and world.users["partner_a"].email in own[0]["recipient"]
    # T01 is placed at SITE-B: only its partner's message names them; partner_a saw nothing.
    other = client.get("/me/disclosures", headers=world.header("student_a")).json()
    assert [(d["student"], d["resource"]) for d in other] == [("T01", "partner.message")]
    assert world.users["partner_a2"].email in other[0]["recipient"]
    # School B's T01: school B's partner has read nothing; the message of its publish only.
    theirs = client.get("/me/disclosures", headers=world.header("student_b")).json()
    assert {d["resource"] for d in theirs} <= {"partner.message"}
    assert all(world.users["partner_a"].email not in d["recipient"] for d in theirs)
    assert client.get("/me/disclosures", headers=world.header("partner_a")).status_code == 403
    term_a, term_b = world.terms["a"].id, world.terms["b"].id
    path = f"/terms/{term_a}/students/T02/disclosures"
    assert client.get(path, headers=world.header("coord_a")).json() == own
    assert client.get(path, headers=world.header("coord_b")).status_code == 404
    school_b = client.get(
        f"/terms/{term_b}/students/T02/disclosures", headers=world.header("coord_b")
    ).json()
    assert all(d["resource"] == "partner.message" for d in school_b)
    sign_in(client, world, "student_a2")
    page = client.get("/app/me").text
    assert "Who outside the school saw your record" in page
    assert SITE_A in page and world.users["partner_a"].email in page


# ---- directory opt-out -------------------------------------------------------------------


def test_an_opt_out_hides_the_name_from_teammates_only(
    client: TestClient, engine: Engine, world: World
) -> None:
    names = {s.id: s.name for s in world.scenarios["a"].students}
    with new_session(engine) as session:
        school = world.users["coord_a"].school_id
        session.add(DirectoryOptOutRow(school_id=school, student_ref="T04", source="import"))
        session.commit()
    sign_in(client, world, "student_a")
    page = client.get("/app/me").text
    assert names["T04"] not in page and OPTED_OUT_NAME in page
    assert names["T06"] in page and names["T10"] in page
    record = client.get(
        f"/terms/{world.terms['a'].id}/students/T04", headers=world.header("coord_a")
    ).json()
    assert record["name"] == names["T04"] and record["directory_opt_out"] is True


def test_a_student_opts_out_by_api_and_the_site_still_sees_the_name(
    client: TestClient, world: World
) -> None:
    me = world.header("student_a2")
    assert client.get("/me/directory", headers=me).json()["directory_opt_out"] is False
    body = {"directory_opt_out": True}
    first = client.put("/me/directory", headers=me, json=body).json()
    again = client.put("/me/directory", headers=me, json=body).json()
    assert first["directory_opt_out"] and first["source"] == "student" and again == first
    placed = client.get("/partner/slots", headers=world.header("partner_a")).json()
    ben = next(s.name for s in world.scenarios["a"].students if s.id == "T02")
    assert ben in [p["name"] for s in placed for p in s["placed"]]
    back = client.put("/me/directory", headers=me, json={"directory_opt_out": False})
    assert back.json() == {"directory_opt_out": False, "since": None, "source": None}
    bad = client.put("/me/directory", headers=me, json={"directory_opt_out": "maybe"})
    assert bad.status_code == 422


def test_the_page_form_sets_the_opt_out_only_with_its_csrf_token(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "student_a2")
    refused = client.post(
        "/app/me/directory", data={"directory_opt_out": "yes"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert (
        client.get("/me/directory", headers=world.header("student_a2")).json()["directory_opt_out"]
        is False
    )
    token = csrf_of(client, "/app/me")
    done = client.post(
        "/app/me/directory",
        data={"csrf_token": token, "directory_opt_out": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Show my name to my team again" in client.get(done.headers["location"]).text
    assert (
        client.get("/me/directory", headers=world.header("student_a2")).json()["directory_opt_out"]
        is True
    )


def test_an_import_records_opt_outs_and_never_withdraws_them(
    client: TestClient, engine: Engine, world: World
) -> None:
    coordinator = world.header("coord_a")
    document = tiny_document(id=f"optout-{uuid.uuid4().hex[:8]}")
    document["students"][3]["directory_opt_out"] = True  # T04
    created = client.post("/terms", headers=coordinator, content=json.dumps(document))
    assert created.status_code == 201, created.text
    exported = client.get(f"/terms/{created.json()['id']}/scenario", headers=coordinator).json()
    flags = {s["id"]: s.get("directory_opt_out") for s in exported["students"]}
    assert flags["T04"] is True and all(v is None for k, v in flags.items() if k != "T04")
    document = tiny_document(id=f"optout-{uuid.uuid4().hex[:8]}")  # no flag at all
    assert client.post("/terms", headers=coordinator, content=json.dumps(document)).is_success
    with new_session(engine) as session:
        rows = session.exec(
            select(DirectoryOptOutRow).where(
                col(DirectoryOptOutRow.school_id) == world.users["coord_a"].school_id
            )
        ).all()
    assert [(r.student_ref, r.source) for r in rows] == [("T04", "import")]


# ---- needs: codes a site must act on, never free text --------------------------------


def test_partners_see_site_need_codes_and_never_other_need_text(
    client: TestClient, engine: Engine, world: World
) -> None:
    document = tiny_document(id=f"needs-{uuid.uuid4().hex[:8]}")
    secret = ["Epilepsy: seizure action plan", "Type 1 diabetes"]
    document["students"][2]["needs"] = ["accessible", secret[0]]  # T03, at SITE-A
    document["students"][1]["needs"] = [secret[1]]  # T02, at SITE-A
    needs_term = _publish_term(engine, world, document)
    sign_in(client, world, "partner_a")
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users["partner_a"])
        session.commit()
    answers = [
        client.get("/partner/slots", headers=world.header("partner_a")),
        client.get("/app/partner"),
        client.get("/app/partner/slots.csv"),
        client.get(f"/feeds/{token}.ics"),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert not any(text in answer.text for text in secret), answer.url
    listed = answers[0].json()
    needs = {p["name"]: p["needs"] for s in listed for p in s["placed"]}
    assert needs["Chloe Tran"] == ["accessible"] and needs["Ben Okafor"] == []
    assert "needs: accessible" in answers[1].text
    shown = disclosures_of(engine, world, student_ref="T03", resource="partner.slots")
    assert {r.term_id: r.fields[-1] for r in shown} == {
        needs_term: "needs",
        world.terms["a"].id: "placement_dates",
    }


def _publish_term(engine: Engine, world: World, document: dict[str, Any]) -> int:
    """Import `document` into school A and publish the tiny schedule for it."""
    with new_session(engine) as session:
        coordinator = world.users["coord_a"]
        term = terms.create_term(session, actor=coordinator, scenario=scenario_of(document))
        schedule = tiny_schedule().model_copy(update={"term": term.code})
        version = versions.record_schedule(
            session, term=term, scenario=scenario_of(document), schedule=schedule
        )
        versions.publish_version(
            session,
            actor=coordinator,
            term_id=term.id or 0,
            version_id=version.id or 0,
            delivery=None,
        )
        session.commit()
        return term.id or 0


# ---- demographic attributes: apart, and only in aggregate ------------------------------


def test_attributes_live_in_their_own_table_and_round_trip_for_the_coordinator(
    client: TestClient, engine: Engine, world: World
) -> None:
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        assert not any(name in term.scenario_json for name in ATTRIBUTES)
        rows = session.exec(
            select(StudentAttributeRow).where(col(StudentAttributeRow.term_id) == term.id)
        ).all()
        assert len(rows) == 2 * len(world.scenarios["a"].students)
        whole = term_rows.current_scenario(session, term)
    original = {s.id: s.attributes for s in world.scenarios["a"].students}
    assert {s.id: s.attributes for s in whole.students} == original
    exported = client.get(
        f"/terms/{world.terms['a'].id}/scenario", headers=world.header("coord_a")
    ).json()
    assert {s["id"]: s["attributes"] for s in exported["students"]} == original


def test_a_csv_import_without_students_keeps_the_attributes(
    client: TestClient, engine: Engine, world: World
) -> None:
    coordinator = world.header("coord_a")
    document = tiny_document(id=f"csv-{uuid.uuid4().hex[:8]}")
    term_id = client.post("/terms", headers=coordinator, content=json.dumps(document)).json()["id"]
    slots_csv = "id,site,period,profession,capacity\n"
    slots_csv += "".join(
        f"{s['id']},{s['site']},{s['period']},{s['profession']},{s['capacity']}\n"
        for s in document["slots"]
    )
    answer = client.post(
        f"/terms/{term_id}/csv", headers=coordinator, files={"slots": ("slots.csv", slots_csv)}
    )
    assert answer.status_code == 200, answer.text
    exported = client.get(f"/terms/{term_id}/scenario", headers=coordinator).json()
    assert [s["attributes"] for s in exported["students"]] == [
        s["attributes"] for s in document["students"]
    ]
    with new_session(engine) as session:
        students = session.exec(select(StudentRow).where(col(StudentRow.term_id) == term_id))
        assert {s.ref for s in students} == {s["id"] for s in document["students"]}


def test_no_page_or_per_student_answer_shows_attributes(
    client: TestClient, engine: Engine, world: World
) -> None:
    """The equity report, which shows them only in groups of at least 5, is tested in
    test_coordinator_reports.py."""
    term, version = world.terms["a"].id, world.versions["a"]
    pages = {
        "coord_a": [
            "/app/terms",
            f"/app/terms/{term}",
            f"/app/terms/{term}/slots",
            f"/app/terms/{term}/students/T02/disclosures",
            *(f"/app/terms/{term}/versions/{version}/{v}" for v in VERSION_VIEWS),
            *(f"/app/terms/{term}/versions/{version}/export.csv?by={by}" for by in CSV_VIEWS),
        ],
        "student_a": ["/app/me"],
        "partner_a": ["/app/partner", "/app/partner/slots.csv"],
    }
    for user, paths in pages.items():
        sign_in(client, world, user)
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            assert not any(name in answer.text for name in ATTRIBUTES), path


VERSION_VIEWS = ("sessions", "sites", "students", "unmet", "weeks")
CSV_VIEWS = ("session", "site", "student", "site_weeks", "student_weeks")
