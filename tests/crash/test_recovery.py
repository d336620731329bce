"""Recovery at startup, in-process: queued runs are started again, dead ones reaped, and a
run started twice (once by a killed server, once by its successor) is not reaped while the
worker that claimed it lives."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from crash_support import Coordinator, add_term, tiny, unique_code
from service_support import scenario_of
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.db.tables import SolveRunRow
from scheduler.db.types import utcnow
from scheduler.services.solve_runs import recover_runs

DEAD_PID = 2**22 + 1  # above Linux's pid_max: no such process


class Runner:
    """Knows one answer about every run's process; records what it is asked to start."""

    def __init__(self, alive: bool | None) -> None:
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


def add_run(engine: Engine, term_id: int, **fields: object) -> int:
    with new_session(engine) as session:
        run = SolveRunRow(term_id=term_id, time_limit_s=5, workers=1, seed=0, **fields)
        session.add(run)
        session.commit()
        return run.id or 0


def new_term(engine: Engine, coordinator: Coordinator) -> int:
    """A term of its own per run: one term has at most one active run."""
    return add_term(engine, coordinator, scenario_of(tiny(unique_code("rec"))))


def recover(engine: Engine, runner: Runner) -> list[int]:
    with new_session(engine) as session:
        reaped = recover_runs(session, runner=runner, stale_after_s=30)
        session.commit()
        return reaped


def status(engine: Engine, run_id: int) -> str:
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        return run.status


def test_queued_runs_are_started_again_and_dead_ones_reaped(
    engine: Engine, coordinator: Coordinator
) -> None:
    queued = add_run(engine, new_term(engine, coordinator))
    dead = add_run(
        engine,
        new_term(engine, coordinator),
        status="running",
        pid=DEAD_PID,
        worker_host=socket.gethostname(),
    )
    runner = Runner(alive=None)
    reaped = recover(engine, runner)
    assert dead in reaped and queued not in reaped
    assert queued in runner.submitted and dead not in runner.submitted
    assert (status(engine, queued), status(engine, dead)) == ("queued", "failed")


def test_a_live_claimer_outlives_a_second_start_that_found_the_run_taken(
    engine: Engine, coordinator: Coordinator
) -> None:
    """The runner's own process exited (it lost the claim), but the pid that claimed the
    run lives and beats: not reaped. Once its heartbeat is stale, it is."""
    here = {"status": "running", "pid": os.getpid(), "worker_host": socket.gethostname()}
    beating = add_run(engine, new_term(engine, coordinator), heartbeat_at=utcnow(), **here)
    stale = utcnow() - timedelta(minutes=5)
    silent = add_run(engine, new_term(engine, coordinator), heartbeat_at=stale, **here)
    reaped = recover(engine, Runner(alive=False))
    assert silent in reaped and beating not in reaped
    assert (status(engine, beating), status(engine, silent)) == ("running", "failed")


def test_a_run_cancelled_before_any_claim_is_closed_at_once(
    engine: Engine, coordinator: Coordinator
) -> None:
    """Nobody can claim a `cancelling` run (claims need `queued`), so waiting for it to go
    stale would only keep its term blocked."""
    term_id = add_term(engine, coordinator, scenario_of(tiny(unique_code("rec"))))
    cancelled = add_run(engine, term_id, status="cancelling")
    assert cancelled in recover(engine, Runner(alive=None))
    assert status(engine, cancelled) == "cancelled"
