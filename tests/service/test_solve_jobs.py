"""The job body and the reaper, in-process: what a worker writes, and how dead ones end.

The job body `run_job` is an ordinary function, so it runs here in the test process (the
API tests run it in real worker processes). The reaper is driven with a fake runner and
made-up heartbeats, pids and clocks.
"""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest
from service_support import World, build_world, scenario_of, tiny_document, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import ScheduleVersionRow, SolveRunRow, TermRow
from scheduler.db.types import utcnow
from scheduler.domain.validator import Violation
from scheduler.services import solve_runs, terms, versions
from scheduler.services.errors import Invalid
from scheduler.services.solving import SolveOutcome, SolveProgress


class FakeRunner:
    """Says what a test wants about worker life; starts nothing."""

    def __init__(self, alive: bool | None = None) -> None:
        self._alive = alive
        self.submitted: list[int] = []

    def submit(self, run_id: int) -> None:
        self.submitted.append(run_id)

    def cancel(self, run_id: int) -> None:
        return None

    def alive(self, run_id: int) -> bool | None:
        return self._alive

    def shutdown(self) -> None:
        return None


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


def fresh_term(session: Session, world: World) -> TermRow:
    document = tiny_document(id=f"jobs-{time.monotonic_ns()}")
    term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario_of(document))
    session.commit()
    return term


def add_run(session: Session, term: TermRow, **fields: Any) -> SolveRunRow:
    run = SolveRunRow(term_id=term.id or 0, time_limit_s=5, workers=1, seed=0, **fields)
    session.add(run)
    session.commit()
    return run


def status(engine: Engine, run_id: int) -> str:
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        return run.status


def test_start_submits_only_after_commit(session: Session, world: World) -> None:
    term = fresh_term(session, world)
    runner = FakeRunner()
    view = solve_runs.start_solve_run(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        runner=runner,
        limits=solve_runs.RunLimits(),
    )
    assert runner.submitted == []
    session.commit()
    assert runner.submitted == [view.id]


def test_nothing_is_submitted_when_the_request_rolls_back(session: Session, world: World) -> None:
    term = fresh_term(session, world)
    runner = FakeRunner()
    solve_runs.start_solve_run(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        runner=runner,
        limits=solve_runs.RunLimits(),
    )
    session.rollback()
    session.commit()
    assert runner.submitted == []


def test_the_job_body_solves_and_saves_a_draft(
    database_url: str, engine: Engine, session: Session, world: World
) -> None:
    term = fresh_term(session, world)
    run = add_run(session, term)
    solve_runs.run_job(database_url, run.id or 0)
    session.refresh(run)
    assert run.status == "succeeded", run.error
    assert run.started_at and run.finished_at and run.heartbeat_at
    assert run.ortools_version and run.git_revision
    version = session.exec(
        select(ScheduleVersionRow).where(col(ScheduleVersionRow.run_id) == run.id)
    ).one()
    assert (version.state, version.number) == ("draft", 1)


def test_a_run_cancelled_before_its_worker_starts_is_left_alone(
    database_url: str, engine: Engine, session: Session, world: World
) -> None:
    run = add_run(session, fresh_term(session, world), status="cancelling")
    solve_runs.run_job(database_url, run.id or 0)
    assert status(engine, run.id or 0) == "cancelling"


def test_a_schedule_the_validator_rejects_is_not_saved(
    engine: Engine, session: Session, world: World
) -> None:
    term = fresh_term(session, world)
    run = add_run(session, term, status="running")
    broken = SolveOutcome(
        schedule=tiny_schedule(),
        violations=[Violation(rule=6, code="slot_over_capacity", message="too many", related=())],
    )
    solve_runs._finish(engine, run.id or 0, scenario_of(tiny_document()), broken)
    session.refresh(run)
    assert run.status == "failed"
    assert run.error is not None and "slot_over_capacity" in run.error
    saved = session.exec(
        select(ScheduleVersionRow).where(col(ScheduleVersionRow.term_id) == term.id)
    ).all()
    assert saved == []


def test_record_schedule_refuses_an_invalid_schedule(session: Session, world: World) -> None:
    term = fresh_term(session, world)
    schedule = tiny_schedule()
    doubled = schedule.model_copy(update={"placements": schedule.placements * 2})
    with pytest.raises(Invalid) as refused:
        versions.record_schedule(
            session, term=term, scenario=scenario_of(tiny_document()), schedule=doubled
        )
    assert refused.value.code == "schedule_invalid"
    assert refused.value.details
    session.rollback()


@pytest.mark.parametrize(
    ("runner_says", "fields", "reaped"),
    [
        pytest.param(False, {"status": "running"}, True, id="runner: process exited"),
        pytest.param(True, {"status": "running"}, False, id="runner: process alive"),
        pytest.param(None, {"status": "running", "pid": 2**22 + 1, "worker_host": None}, True,
                     id="no runner: stale heartbeat"),
        pytest.param(None, {"status": "running", "fresh": True}, False,
                     id="no runner: fresh heartbeat"),
        pytest.param(None, {"status": "running", "dead_pid": True}, True,
                     id="no runner: pid gone on this host"),
        pytest.param(None, {"status": "queued", "fresh": True}, False, id="queued, recent"),
    ],
)  # fmt: skip
def test_the_reaper(
    engine: Engine,
    session: Session,
    world: World,
    runner_says: bool | None,
    fields: dict[str, Any],
    reaped: bool,
) -> None:
    fields = dict(fields)
    stale = utcnow() - timedelta(minutes=5)
    beat = utcnow() if fields.pop("fresh", False) else stale
    if fields.pop("dead_pid", False):
        fields |= {"pid": _dead_pid(), "worker_host": socket.gethostname()}
    run = add_run(session, fresh_term(session, world), heartbeat_at=beat, created_at=beat, **fields)
    closed = solve_runs.reap_runs(session, runner=FakeRunner(runner_says), stale_after_s=30)
    session.commit()
    assert (run.id in closed) is reaped
    if reaped:
        assert status(engine, run.id or 0) == "failed"


def test_reaping_a_cancelling_run_cancels_it(
    engine: Engine, session: Session, world: World
) -> None:
    run = add_run(session, fresh_term(session, world), status="cancelling")
    solve_runs.reap_runs(session, runner=FakeRunner(False), stale_after_s=30)
    session.commit()
    assert status(engine, run.id or 0) == "cancelled"


def test_the_reaper_never_overwrites_a_finished_run(
    engine: Engine, session: Session, world: World
) -> None:
    """A worker that finished between the reaper's read and its write keeps its result."""
    run = add_run(session, fresh_term(session, world), status="running")
    with new_session(engine) as other:
        other_run = other.get(SolveRunRow, run.id)
        assert other_run is not None
        other_run.status = "succeeded"
        other.add(other_run)
        other.commit()
    assert solve_runs._close_dead_run(session, run) is False
    session.commit()
    assert status(engine, run.id or 0) == "succeeded"


def test_progress_is_written_at_most_twice_a_second(
    engine: Engine, session: Session, world: World
) -> None:
    run = add_run(session, fresh_term(session, world), status="running")
    writer = solve_runs.ProgressWriter(engine, run.id or 0)
    writes: list[float] = []
    original = writer._write

    def counting(progress: SolveProgress | None, *rest: Any) -> None:
        writes.append(time.monotonic())
        original(progress, *rest)

    writer._write = counting  # type: ignore[method-assign]
    writer.start()
    deadline = time.monotonic() + 1.3
    step = 0
    while time.monotonic() < deadline:
        step += 1
        writer.update(SolveProgress("coverage", float(step), 100.0, step / 1000))
        time.sleep(0.001)
    writer.stop()
    assert 1 <= len(writes) <= 3
    session.refresh(run)
    assert run.progress_level == "coverage"
    assert run.progress_best is not None and run.progress_best > 1


def _dead_pid() -> int:
    """The pid of a process that has exited and been waited for."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
