"""What-ifs on the unmet-needs page: start a search (whole term or one student), watch it,
see the verified suggestions, apply one as an edit of the term and solve again."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from service_support import (
    RecordingRunner,
    World,
    solved_seat_short_term,
)
from sqlalchemy import Engine
from web_support import post_form, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import TermRow
from scheduler.services import solve_runs, term_edits, term_rows


def test_a_search_started_from_the_unmet_page_ends_in_an_applied_change(
    client: TestClient, database_url: str, engine: Engine, world: World, runner: RecordingRunner
) -> None:
    term_id, version_id = solved_seat_short_term(database_url, engine, world, name="whatif-page")
    sign_in(client, world, "coord_a")
    unmet = f"/app/terms/{term_id}/versions/{version_id}/unmet"
    page = client.get(unmet).text
    assert "Search what-ifs for the whole term" in page
    assert len(re.findall(r'name="student" value="T0\d"', page)) == 2

    started = post_form(client, unmet, f"{unmet.removesuffix('/unmet')}/whatifs", time_limit_s="20")
    assert started.status_code == 303, started.text
    search_page = started.headers["location"]
    run_id = int(search_page.rsplit("/", 1)[1])
    assert runner.submitted[-1] == run_id
    waiting = client.get(search_page).text
    assert "Stop the search" in waiting and 'src="/app/static/whatif.js"' in waiting
    progress = client.get(f"{search_page}/progress").json()
    assert (progress["status"], progress["finished"]) == ("queued", False)
    assert (
        client.get(f"/app/terms/{term_id}/runs/{run_id}", follow_redirects=False).headers[
            "location"
        ]
        == search_page
    )

    solve_runs.run_job(database_url, run_id)
    done = client.get(search_page).text
    assert "Verified changes, most needs met first" in done
    assert "add 1 NURS seat(s) to slot SL-A1" in done
    assert f"Search {run_id}" in client.get(unmet).text
    index = re.search(
        r'name="index" value="(\d+)"><button type="submit" aria-label="Apply: add 1 NURS seat',
        done,
    )
    assert index is not None
    applied = post_form(client, search_page, f"{search_page}/apply", index=index.group(1))
    assert applied.status_code == 303, applied.text
    after = client.get(applied.headers["location"]).text
    assert "Applied: the term has changed" in after and "Solve again" in after
    assert "<strong>applied</strong>" in after
    with new_session(engine) as session:
        term = session.get(TermRow, term_id)
        assert term is not None
        scenario = term_rows.current_scenario(session, term)
    assert next(s.capacity for s in scenario.slots if s.id == "SL-A1") == 2
    again = post_form(client, search_page, f"{search_page}/apply", index=index.group(1))
    assert again.status_code == 409 and "already applied" in again.text


def test_a_search_for_one_student_and_a_refused_start(
    client: TestClient, database_url: str, engine: Engine, world: World, runner: RecordingRunner
) -> None:
    term_id, version_id = solved_seat_short_term(database_url, engine, world, name="whatif-page")
    sign_in(client, world, "coord_a")
    unmet = f"/app/terms/{term_id}/versions/{version_id}/unmet"
    student = re.findall(r'name="student" value="(T0\d)"', client.get(unmet).text)[0]
    action = f"/app/terms/{term_id}/versions/{version_id}/whatifs"
    started = post_form(client, unmet, action, student=student)
    assert started.status_code == 303
    page = client.get(started.headers["location"]).text
    assert f"({student})" in page
    busy = post_form(client, unmet, action)
    assert busy.status_code == 409 and "Not started" in busy.text
    with new_session(engine) as session:
        term = session.get(TermRow, term_id)
        assert term is not None
        slot = term_edits.find_item(term_edits.current_document(session, term), "slots", "SL-A1")
        assert slot is not None
        term_edits.replace_item(
            session,
            actor=world.users["coord_a"],
            term_id=term_id,
            kind="slots",
            ref="SL-A1",
            item=dict(slot, capacity=0),
        )
        session.commit()
    solve_runs.run_job(database_url, int(started.headers["location"].rsplit("/", 1)[1]))
    outdated = post_form(client, unmet, action)
    assert outdated.status_code == 409
    assert "re-solve, then search" in outdated.text
