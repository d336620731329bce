"""The run page of a finished run shows how its solve went, stage by stage (the schedule's
`solve.stages`), and another school's coordinator cannot see it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, tiny_schedule
from sqlalchemy import Engine
from web_support import PASSWORD, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import SolveRunRow, TermRow
from scheduler.domain.schedule import StageTrace
from scheduler.services import term_rows, versions

TRACE = [
    StageTrace(name="local_repair", outcome="skipped", detail={"why": "no previous schedule"}),
    StageTrace(name="drafts", seconds=0.08, detail={"drafts": 3, "coverage": 114}),
    StageTrace(name="level:coverage", outcome="reached", detail={"value": 117.0, "bound": 117.0}),
    StageTrace(name="readout", seconds=0.02, outcome="answered", detail={"status": "feasible"}),
]


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


def finished_run(engine: Engine, world: World, trace: list[StageTrace] | None) -> int:
    """A succeeded run of school A's term whose version's schedule recorded `trace`."""
    schedule = tiny_schedule()
    schedule = schedule.model_copy(
        update={"solve": schedule.solve.model_copy(update={"stages": trace})}
    )
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        run = SolveRunRow(term_id=term.id, status="succeeded", time_limit_s=5, workers=1, seed=0)
        session.add(run)
        session.flush()
        scenario = term_rows.current_scenario(session, term)
        versions.record_schedule(session, term=term, scenario=scenario, schedule=schedule, run=run)
        session.commit()
        return run.id or 0


def test_a_finished_runs_page_shows_each_stage_and_why_one_was_skipped(
    client: TestClient, engine: Engine, world: World
) -> None:
    run_id = finished_run(engine, world, TRACE)
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{world.terms['a'].id}/runs/{run_id}")
    assert page.status_code == 200, page.text
    assert "How the solve went" in page.text
    for stage in ("local_repair", "drafts", "level:coverage", "readout"):
        assert f'<th scope="row">{stage}</th>' in page.text
    assert "why: no previous schedule" in page.text
    assert "value: 117.0; bound: 117.0" in page.text


def test_a_schedule_without_a_trace_shows_no_stage_table(
    client: TestClient, engine: Engine, world: World
) -> None:
    run_id = finished_run(engine, world, None)
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{world.terms['a'].id}/runs/{run_id}")
    assert page.status_code == 200, page.text
    assert "How the solve went" not in page.text


def test_another_schools_coordinator_cannot_read_the_trace(
    client: TestClient, engine: Engine, world: World
) -> None:
    run_id = finished_run(engine, world, TRACE)
    sign_in(client, world, "coord_b")
    page = client.get(f"/app/terms/{world.terms['a'].id}/runs/{run_id}")
    assert page.status_code in (403, 404)
    assert "local_repair" not in page.text
