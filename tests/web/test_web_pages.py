"""The pages of each audience, through the test client: what they show and what their forms
do (the browser tests drive the same pages in Chromium along the main path)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from service_support import (
    TINY,
    RecordingRunner,
    World,
    build_world,
    tiny_schedule,
)
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import PASSWORD, changed_schedule, csrf_of, post_form, publish, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import SlotRow
from scheduler.services import slots


@pytest.fixture
def fresh(engine: Engine) -> World:
    """A world of its own, for tests that publish versions, start runs or answer slots."""
    return build_world(engine, password=PASSWORD)


def term_of(world: World) -> int:
    return world.terms["a"].id or 0


# ---- coordinators ----------------------------------------------------------------------


def test_import_lists_every_problem_inline(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    document = json.loads(TINY.read_text())
    document["term"]["id"] = "broken"
    document["students"][0]["profession"] = "NOPE"
    document["slots"][0]["site"] = "NOWHERE"
    token = csrf_of(client, "/app/terms")
    response = client.post(
        "/app/terms",
        data={"csrf_token": token},
        files={"scenario": ("term.json", json.dumps(document), "application/json")},
    )
    assert response.status_code == 422
    assert "The file was not imported" in response.text
    assert "students[0].profession" in response.text
    assert "slots[0].site" in response.text
    assert "broken" not in client.get("/app/terms").text


def test_import_then_see_the_term(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    document = json.loads(TINY.read_text())
    document["term"].update(id=f"web-{world.tag}", name=f"Web term {world.tag}")
    token = csrf_of(client, "/app/terms")
    response = client.post(
        "/app/terms",
        data={"csrf_token": token},
        files={"scenario": ("term.json", json.dumps(document), "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert f"Web term {world.tag}" in page.text
    assert "The term was imported." in page.text
    assert "No versions yet" in page.text


def test_csv_problems_are_listed_on_the_term_page(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    document = json.loads(TINY.read_text())
    document["term"].update(id=f"csv-{world.tag}", name=f"CSV term {world.tag}")
    token = csrf_of(client, "/app/terms")
    imported = client.post(
        "/app/terms",
        data={"csrf_token": token},
        files={"scenario": ("term.json", json.dumps(document), "application/json")},
        follow_redirects=False,
    )
    page = imported.headers["location"].split("?")[0]
    assert "Replace lists from CSV" in client.get(page).text
    response = client.post(
        f"{page}/csv",
        data={"csrf_token": token},
        files={"sites": ("sites.csv", b"id,name,lat,lon,colour\nX,X,1,2,red\n", "text/csv")},
    )
    assert response.status_code == 422
    assert "The files were not imported" in response.text
    assert "sites.csv:1:colour" in response.text


def test_solve_starts_a_run_and_shows_its_progress(
    client: TestClient, fresh: World, runner: RecordingRunner
) -> None:
    sign_in(client, fresh, "coord_a")
    page = f"/app/terms/{term_of(fresh)}"
    response = post_form(client, page, f"{page}/runs", time_limit_s="5")
    assert response.status_code == 303
    run_page = client.get(response.headers["location"])
    assert "Cancel run" in run_page.text
    assert 'src="/app/static/solve.js"' in run_page.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert run_id in runner.submitted
    progress = client.get(f"{page}/runs/{run_id}/progress").json()
    assert progress["status"] == "queued"
    assert progress["finished"] is False
    again = post_form(client, page, f"{page}/runs", time_limit_s="5")
    assert again.status_code == 409
    assert "already has an active solve run" in again.text
    cancelled = post_form(client, response.headers["location"], f"{page}/runs/{run_id}/cancel")
    assert cancelled.status_code == 303
    assert run_id in runner.cancelled


def test_a_bad_time_limit_is_shown_on_the_form(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term_of(world)}"
    response = post_form(client, page, f"{page}/runs", time_limit_s="soon")
    assert response.status_code == 422
    assert "must be a number of seconds" in response.text


def test_version_views_show_teams_sites_students_and_unmet_needs(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "coord_a")
    base = f"/app/terms/{term_of(world)}/versions/{world.versions['a']}"
    sessions = client.get(base).text
    assert "Ana Reyes" in sessions
    assert 'class="badge p-nurs"' in sessions
    assert "Team IPE1-A-T1" in sessions
    sites = client.get(f"{base}/sites").text
    assert "Harborview Community Health Center" in sites
    assert "Tue 07:30–15:30" in sites
    students = client.get(f"{base}/students").text
    assert "Lucia Morales" in students
    unmet = client.get(f"{base}/unmet").text
    for reason in tiny_schedule().unassigned[0].reasons:
        assert reason.code in unmet
    assert client.get(f"{base}/nonsense").status_code == 422


def test_publish_from_the_page(client: TestClient, engine: Engine, fresh: World) -> None:
    sign_in(client, fresh, "coord_a")
    version = publish(engine, fresh, tiny_schedule())
    publish(engine, fresh, changed_schedule())
    page = f"/app/terms/{term_of(fresh)}/versions/{version}"
    # Going back moves T01 though no rule forces it: the page asks to confirm 1 person.
    asked = post_form(client, page, f"{page}/publish")
    assert asked.status_code == 409 and 'name="confirm"' in asked.text
    response = post_form(client, page, f"{page}/publish", confirm="1")
    assert response.status_code == 303
    shown = client.get(response.headers["location"]).text
    assert "The version is published" in shown
    assert "Published " in shown


def test_publish_refused_shows_the_broken_rules(
    client: TestClient, engine: Engine, fresh: World
) -> None:
    sign_in(client, fresh, "coord_a")
    version = publish(engine, fresh, changed_schedule())
    publish(engine, fresh, tiny_schedule())
    with new_session(engine) as session:
        query = select(SlotRow.id).where(
            col(SlotRow.term_id) == fresh.terms["a"].id, col(SlotRow.ref) == "SL-A1"
        )
        slot_id = session.exec(query).one()
        slots.respond_to_slot(
            session,
            actor=fresh.users["partner_a"],
            slot_id=slot_id or 0,
            decision="decline",
            reason="closed",
        )
        session.commit()
    page = f"/app/terms/{term_of(fresh)}/versions/{version}"
    response = post_form(client, page, f"{page}/publish")
    assert response.status_code == 409
    assert "Not published" in response.text
    assert "re-solve it" in response.text


def test_csv_export_from_the_page(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    base = f"/app/terms/{term_of(world)}/versions/{world.versions['a']}"
    response = client.get(f"{base}/export.csv?by=site")
    assert response.status_code == 200
    assert response.text.startswith("site,site_name,period")


# ---- students --------------------------------------------------------------------------


def test_my_schedule_shows_sessions_teammates_and_placements(
    client: TestClient, world: World
) -> None:
    sign_in(client, world, "student_a")
    page = client.get("/app/me").text
    schedule = tiny_schedule()
    team = next(t for e in schedule.sessions for t in e.teams if "T01" in t.students)
    names = {s.id: s.name for s in world.scenarios["a"].students}
    for teammate in set(team.students) - {"T01"}:
        assert names[teammate] in page
    assert "Health Sciences Hall 101" in page
    assert "13:00–15:00" in page
    assert "Every week: Tue 07:30–15:30, Thu 07:30–12:00" in page
    assert "first published schedule" in page
    others = [names[s] for e in schedule.sessions for t in e.teams for s in t.students]
    strangers = set(others) - {names[s] for s in team.students}
    assert not any(name in page for name in strangers)


def test_my_schedule_says_what_changed(client: TestClient, engine: Engine, fresh: World) -> None:
    publish(engine, fresh, changed_schedule())
    sign_in(client, fresh, "student_a")
    page = client.get("/app/me").text
    assert "Since version 1:" in page
    assert "now in team" in page
    assert "Harborview Community Health Center" in page
    assert "→" in page


def test_students_get_a_feed_address_once(client: TestClient, fresh: World) -> None:
    sign_in(client, fresh, "student_a")
    response = post_form(client, "/app/me", "/app/me/feed")
    assert response.status_code == 200
    assert "/feeds/" in response.text
    assert "/feeds/" not in client.get("/app/me").text
    assert "You have a calendar address" in client.get("/app/me").text


# ---- partners --------------------------------------------------------------------------


def test_partner_sees_slots_by_period_and_who_is_placed(client: TestClient, world: World) -> None:
    sign_in(client, world, "partner_a2")
    page = client.get("/app/partner").text
    assert "SL-B1" in page
    assert "SL-A1" not in page
    assert "Ana Reyes" in page
    assert "15 Feb 2027 – 26 Mar 2027" in page


def test_decline_needs_a_reason_and_the_coordinator_sees_it(
    client: TestClient, fresh: World
) -> None:
    sign_in(client, fresh, "partner_a2")
    slot = _slot_id(client)
    action = f"/app/partner/slots/{slot}/respond"
    empty = post_form(client, "/app/partner", action, decision="decline", reason=" ")
    assert empty.status_code == 422
    assert "a decline needs a reason" in empty.text
    declined = post_form(
        client, "/app/partner", action, decision="decline", reason="preceptor on leave"
    )
    assert declined.status_code == 303
    assert "Slot declined" in client.get(declined.headers["location"]).text
    sign_in(client, fresh, "coord_a")
    responses = client.get(f"/app/terms/{term_of(fresh)}/slots").text
    assert "preceptor on leave" in responses
    assert "SL-B1" in responses


def test_partner_csv_download(client: TestClient, world: World) -> None:
    sign_in(client, world, "partner_a2")
    response = client.get("/app/partner/slots.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("term,slot,site")
    assert any("SL-B1" in line and "Ana Reyes" in line for line in lines[1:])


def _slot_id(client: TestClient) -> int:
    page = client.get("/app/partner").text
    start = page.index('action="/app/partner/slots/') + len('action="/app/partner/slots/')
    return int(page[start : page.index("/", start)])
