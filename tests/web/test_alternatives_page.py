"""The coordinator's alternatives: the solve form asks for K schedules and a tolerance, the
comparison page shows the run's versions side by side, and any one is published there."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from service_support import (
    World,
    build_world,
    tiny_schedule,
    wait_for,
)
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import PASSWORD, changed_schedule, post_form, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, ScheduleVersionRow, SolveRunRow, TermRow
from scheduler.services import term_rows, versions

CONFIRM = re.compile(r'name="confirm" value="(\d+)"')


@pytest.fixture
def fresh(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


def run_with_two_versions(engine: Engine, world: World) -> tuple[int, list[int]]:
    """A finished run of the tiny term that saved two different valid schedules."""
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        scenario = term_rows.current_scenario(session, term)
        run = SolveRunRow(
            term_id=term.id or 0,
            status="succeeded",
            time_limit_s=5,
            workers=1,
            seed=0,
            parameters={"alternatives": 2, "tolerance": {"default": 0.5, "levels": {}}},
        )
        session.add(run)
        session.flush()
        saved = [
            versions.record_schedule(
                session, term=term, scenario=scenario, schedule=schedule, run=run
            ).id
            or 0
            for schedule in (tiny_schedule(), changed_schedule())
        ]
        session.commit()
        return run.id or 0, saved


def test_the_solve_form_asks_for_alternatives_and_a_tolerance(
    client: TestClient, fresh: World, engine: Engine
) -> None:
    sign_in(client, fresh, "coord_a")
    page = f"/app/terms/{fresh.terms['a'].id}"
    assert 'name="alternatives"' in client.get(page).text
    response = post_form(
        client, page, f"{page}/runs", time_limit_s="5", alternatives="3", tolerance_percent="5"
    )
    assert response.status_code == 303, response.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        assert run.parameters["alternatives"] == 3
        assert run.parameters["tolerance"]["default"] == pytest.approx(0.05)


def test_bad_alternative_fields_are_shown_on_the_form(client: TestClient, fresh: World) -> None:
    sign_in(client, fresh, "coord_a")
    page = f"/app/terms/{fresh.terms['a'].id}"
    many = post_form(client, page, f"{page}/runs", alternatives="99")
    assert many.status_code == 422 and "alternatives must be a whole number" in many.text
    percent = post_form(client, page, f"{page}/runs", alternatives="2", tolerance_percent="x")
    assert percent.status_code == 422 and "tolerance_percent" in percent.text


def test_the_comparison_page_publishes_the_chosen_alternative(
    client: TestClient, fresh: World, engine: Engine
) -> None:
    run_id, saved = run_with_two_versions(engine, fresh)
    sign_in(client, fresh, "coord_a")
    term_id = fresh.terms["a"].id
    page = f"/app/terms/{term_id}/runs/{run_id}/alternatives"
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    for words in ("Alternative 1", "Alternative 2", "Students moved against alternative 1"):
        assert words in shown.text
    assert "Publish alternative 2" in shown.text
    term_page = client.get(f"/app/terms/{term_id}").text
    assert f"alternative 2 of run {run_id}" in term_page
    progress = client.get(f"/app/terms/{term_id}/runs/{run_id}/progress").json()
    assert progress["version_url"] == page
    action = f"/app/terms/{term_id}/versions/{saved[1]}/publish"
    asked = post_form(client, page, action)  # a schedule is published: the usual confirmation
    if asked.status_code == 409:
        found = CONFIRM.search(asked.text)
        assert found, asked.text
        asked = post_form(client, page, action, confirm=found.group(1))
    assert asked.status_code == 303, asked.text
    with new_session(engine) as session:
        chosen = session.get(ScheduleVersionRow, saved[1])
        assert chosen is not None and chosen.state == "published"
    after = client.get(page)
    assert "Publish alternative 2" not in after.text and "Publish alternative 1" in after.text
    wait_for(lambda: delivered(engine, saved[1]), 30)  # the publish's messages, then done


def delivered(engine: Engine, version_id: int) -> bool | None:
    """True once no message of the version waits for its delivery thread."""
    with new_session(engine) as session:
        query = select(OutboxMessageRow.state).where(col(OutboxMessageRow.version_id) == version_id)
        return "pending" not in session.exec(query).all() or None
