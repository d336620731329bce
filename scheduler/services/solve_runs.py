"""Solve runs as jobs: start, watch, cancel, reap, and the job body a worker executes.

The request only records a queued run; once its transaction commits, the job runner
(`scheduler.services.jobs`) starts a worker that calls `run_job`. The worker claims the
run, solves through `scheduler.services.solving`, writes progress at most every half
second, and saves the checked result as a draft version in one transaction. A worker that
dies (killed, crashed, machine gone) is noticed by `reap_runs`, which marks its run failed
(or cancelled, when a cancel was asked for): no run stays "running" forever, and nothing
published is touched by a failing run.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.engine import new_session, on_commit
from scheduler.db.paging import ALL, Page
from scheduler.db.repositories import ACTIVE_RUN_STATES
from scheduler.db.tables import ScheduleVersionRow, SolveRunRow, TermRow, UserRow
from scheduler.db.types import utcnow
from scheduler.domain.alternatives import Comparison, Tolerance, compare
from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule, StageTrace
from scheduler.services import progress_series, run_caps, term_rows
from scheduler.services.errors import Conflict, Invalid, ServiceError, found
from scheduler.services.solving import (
    SolveOutcome,
    SolveProgress,
    solve_alternative_schedules,
    solve_scenario,
)
from scheduler.services.terms import get_term
from scheduler.services.versions import record_schedule, version_schedule, violation_items
from scheduler.services.views import RunView, run_view

if TYPE_CHECKING:
    from scheduler.services.jobs import JobRunner

PROGRESS_INTERVAL_S = 0.5
HEARTBEAT_INTERVAL_S = 2.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunLimits:
    """What a coordinator may ask of a run, from the service settings."""

    default_time_limit_s: float = 60.0
    max_time_limit_s: float = 600.0
    workers: int = 2
    stale_after_s: float = 30.0
    memory_limit_mb: int = 8192
    deadline_margin_s: float = 600.0
    max_active_per_school: int = 2
    max_active: int = 4


# ---- use cases (the request owns the transaction) --------------------------------------


def start_solve_run(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    runner: JobRunner,
    limits: RunLimits,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    previous_version: int | None = None,
    full_repair: bool = False,
    alternatives: int = 1,
    tolerance: Tolerance | None = None,
) -> RunView:
    """Queue a run of the term; its worker starts once the caller's transaction commits.

    With `previous_version` the run repairs that version: it stays as close to it as the
    term now allows (`scheduler.domain.repair`), by the local path when it can prove its
    answer, else (or with `full_repair`) by solving the whole term. With `alternatives`
    K > 1 it saves up to K draft versions within `tolerance` of the best
    (`solver.alternatives`, docs/alternatives.md); each search has the time limit, so
    the run may take K times it."""
    term = get_term(session, actor=actor, term_id=term_id)
    reap_runs(session, runner=runner, stale_after_s=limits.stale_after_s)
    scenario = _with_previous(
        session, term, term_rows.current_scenario(session, term), previous_version
    )
    limit = checked_limit(time_limit_s, limits, default=limits.default_time_limit_s)
    asked = _alternatives_asked(scenario, alternatives, tolerance, previous_version, limit, limits)
    run = SolveRunRow(
        term_id=_id(term.id),
        created_by=actor.id,
        time_limit_s=limit,
        workers=workers or limits.workers,
        seed=seed if seed is not None else scenario.policy.seed,
        parameters=_parameters(scenario)
        | {"previous_version": previous_version, "full_repair": full_repair}
        | asked
        | caps(limit * alternatives, limits),
    )
    detail = {"time_limit_s": limit, "workers": run.workers, "seed": run.seed}
    return queue_run(
        session,
        actor=actor,
        term=term,
        run=run,
        runner=runner,
        limits=limits,
        action="run.start",
        detail=detail,
    )


def checked_limit(time_limit_s: float | None, limits: RunLimits, *, default: float) -> float:
    """The time limit asked for (or `default`), refused above the service's maximum."""
    limit = time_limit_s if time_limit_s is not None else default
    if limit > limits.max_time_limit_s:
        raise Invalid(
            f"time_limit_s may be at most {limits.max_time_limit_s:g}",
            code="time_limit_too_long",
        )
    return limit


def queue_run(
    session: Session,
    *,
    actor: UserRow,
    term: TermRow,
    run: SolveRunRow,
    runner: JobRunner,
    limits: RunLimits,
    action: str,
    detail: dict[str, Any],
) -> RunView:
    """Insert a new run under the caps (one active run per term, seats per school and
    service), audit its start as `action`, and submit it once the caller commits."""
    run = run_caps.insert_run(
        session,
        run,
        school_id=term.school_id,
        per_school=limits.max_active_per_school,
        overall=limits.max_active,
    )
    run_id = _id(run.id)
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="solve_run",
        entity_id=run_id,
        term_id=term.id,
        detail=detail,
    )
    on_commit(session, lambda: runner.submit(run_id))
    return run_view(run)


def _with_previous(
    session: Session, term: TermRow, scenario: Scenario, version_id: int | None
) -> Scenario:
    """The scenario set up to repair a stored version of the same term (unchanged if None)."""
    if version_id is None:
        return scenario
    query = select(ScheduleVersionRow).where(
        col(ScheduleVersionRow.id) == version_id, col(ScheduleVersionRow.term_id) == term.id
    )
    version = found(session.exec(query).first(), "schedule version")
    return with_previous(scenario, version_schedule(version))


def _alternatives_asked(
    scenario: Scenario,
    alternatives: int,
    tolerance: Tolerance | None,
    previous_version: int | None,
    limit: float,
    limits: RunLimits,
) -> dict[str, object]:
    """The run's `alternatives` and `tolerance` parameters (none for a single schedule);
    refused, naming the field, when they cannot be honoured."""
    if alternatives <= 1:
        return {}
    if previous_version is not None:
        raise Invalid(
            "alternatives cannot be combined with a repair (previous_version)",
            code="alternatives_with_repair",
        )
    if limit * alternatives > limits.max_time_limit_s:
        raise Invalid(
            f"time_limit_s x alternatives may be at most {limits.max_time_limit_s:g}",
            code="time_limit_too_long",
        )
    tolerance = tolerance or Tolerance()
    levels = list(scenario.policy.objectives)
    unknown = [name for name in tolerance.levels if name not in levels and name != "coverage"]
    if unknown:
        raise Invalid(
            f"tolerance names a level the policy does not have: {', '.join(unknown)}",
            code="unknown_level",
            details=[
                ErrorItem(path=f"body.tolerance.levels.{name}", message="not a level of the policy")
                for name in unknown
            ],
        )
    return {"alternatives": alternatives, "tolerance": tolerance.model_dump()}


def run_tolerance(run: SolveRunRow) -> Tolerance:
    """The tolerance a run was asked for (the default when none)."""
    stored = run.parameters.get("tolerance")
    return Tolerance.model_validate(stored) if stored else Tolerance()


def caps(time_limit_s: float, limits: RunLimits) -> dict[str, object]:
    """The memory ceiling and the deadline the worker enforces (`run_caps`)."""
    return {
        "memory_limit_mb": limits.memory_limit_mb or None,
        "deadline_s": time_limit_s + limits.deadline_margin_s,
    }


def _parameters(scenario: Scenario) -> dict[str, object]:
    """What else decides the result: the objective order and the exact scenario solved."""
    text = term_rows.scenario_text(scenario)
    return {
        "objectives": list(scenario.policy.objectives),
        "max_travel_km": scenario.policy.max_travel_km,
        "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def list_runs(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    runner: JobRunner,
    stale_after_s: float,
    page: Page = ALL,
) -> list[RunView]:
    """Every run of a managed term, newest first (dead workers are reaped first)."""
    term = get_term(session, actor=actor, term_id=term_id)
    reap_runs(session, runner=runner, stale_after_s=stale_after_s)
    return [
        run_view(run, _versions_of(session, run))
        for run in repositories.term_runs(session, actor, term, page=page)
    ]


def get_run(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    run_id: int,
    runner: JobRunner,
    stale_after_s: float,
) -> RunView:
    """One run's status and live progress (its worker is checked for life first)."""
    term = get_term(session, actor=actor, term_id=term_id)
    run = found(repositories.term_run(session, actor, term, run_id), "solve run")
    reap_runs(session, runner=runner, stale_after_s=stale_after_s, only=run.id)
    session.refresh(run)
    return run_view(run, _versions_of(session, run))


def run_stages(session: Session, *, actor: UserRow, term_id: int, run_id: int) -> list[StageTrace]:
    """How the solve of a finished run went, stage by stage (`solve.stages` of the version it
    made); empty without a version or a schedule that recorded none."""
    term = get_term(session, actor=actor, term_id=term_id)
    run = found(repositories.term_run(session, actor, term, run_id), "solve run")
    version_id = _version_of(session, run)
    version = session.get(ScheduleVersionRow, version_id) if version_id is not None else None
    if version is None or version.term_id != term.id:
        return []
    return version_schedule(version).solve.stages or []


def cancel_run(
    session: Session, *, actor: UserRow, term_id: int, run_id: int, runner: JobRunner
) -> RunView:
    """Ask an active run to stop (again is fine); a finished run cannot be cancelled."""
    term = get_term(session, actor=actor, term_id=term_id)
    run = found(repositories.term_run(session, actor, term, run_id), "solve run")
    if run.status in ("cancelling", "cancelled"):
        return run_view(run)
    if not _set_status(session, run_id, "cancelling", expect=("queued", "running")):
        raise Conflict(f"the run has already {run.status}", code="run_finished")
    session.refresh(run)
    audit.record(
        session,
        actor=actor,
        action="run.cancel",
        entity="solve_run",
        entity_id=run_id,
        term_id=term.id,
    )
    on_commit(session, lambda: runner.cancel(run_id))
    return run_view(run)


def _version_of(session: Session, run: SolveRunRow) -> int | None:
    found_ids = _versions_of(session, run)
    return found_ids[0] if found_ids else None


def _versions_of(session: Session, run: SolveRunRow) -> list[int]:
    """The run's draft versions in the order saved (alternatives: the best first)."""
    query = (
        select(ScheduleVersionRow.id)
        .where(col(ScheduleVersionRow.run_id) == run.id)
        .order_by(col(ScheduleVersionRow.number))
    )
    return [version_id for version_id in session.exec(query).all() if version_id is not None]


def run_alternatives(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    run_id: int,
) -> Comparison:
    """The comparison table of a run's versions (one column each, the best first),
    recomputed against the term as it is now: a change since the run shows as `valid`
    false, as publishing would refuse it."""
    term = get_term(session, actor=actor, term_id=term_id)
    run = found(repositories.term_run(session, actor, term, run_id), "solve run")
    query = (
        select(ScheduleVersionRow)
        .where(col(ScheduleVersionRow.run_id) == run.id)
        .order_by(col(ScheduleVersionRow.number))
    )
    versions = list(session.exec(query).all())
    if not versions:
        raise Conflict(f"the run has no schedule ({run.status})", code="run_without_schedule")
    scenario = term_rows.current_scenario(session, term)
    schedules = [version_schedule(version) for version in versions]
    return compare(scenario, schedules, run_tolerance(run), [_id(v.id) for v in versions])


# ---- the reaper ------------------------------------------------------------------------


def recover_runs(session: Session, *, runner: JobRunner, stale_after_s: float) -> list[int]:
    """At startup: start queued runs again, then reap the dead; returns the reaped ids.

    A server killed between committing a run and starting its worker leaves the run
    queued with no one to run it; without this it would block its term until it went
    stale. Starting a run twice is harmless: only one worker can claim it
    (`queued -> running`), the other finds it taken and exits.
    """
    for run in repositories.active_runs(session):
        if run.status == "queued":
            runner.submit(_id(run.id))
    return reap_runs(session, runner=runner, stale_after_s=stale_after_s)


def reap_runs(
    session: Session,
    *,
    runner: JobRunner,
    stale_after_s: float,
    only: int | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Close active runs whose worker is gone; returns their ids.

    Gone means: the run was cancelled before any worker claimed it; or the run's process
    on this host no longer exists; or the runner knows its process has exited (if a live
    process here claimed the run, that one must also have missed its heartbeats); or (any
    host, any runner) no heartbeat for `stale_after_s`.
    """
    moment = now or utcnow()
    closed = []
    for run in repositories.active_runs(session):
        if only is not None and run.id != only:
            continue
        gone = _worker_gone(run, runner, timedelta(seconds=stale_after_s), moment)
        if gone and _close_dead_run(session, run):
            closed.append(_id(run.id))
    return closed


def _worker_gone(run: SolveRunRow, runner: JobRunner, stale: timedelta, now: datetime) -> bool:
    if run.status == "cancelling" and run.pid is None:
        return True  # cancelled while queued: no worker can claim it any more
    on_this_host = run.pid is not None and run.worker_host == socket.gethostname()
    if on_this_host and not _pid_alive(run.pid or 0):
        return True  # whatever a runner remembers, a dead process here is gone
    known = runner.alive(_id(run.id))
    if known or (known is None and on_this_host):
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    stale_now = now - last_sign > stale
    if known is False and on_this_host:
        # The runner's process ended, but the live pid that claimed the run may be another
        # start of it (a run started again after its server died): its heartbeat decides.
        return stale_now
    return known is False or stale_now


def _pid_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a killed child not yet waited for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _close_dead_run(session: Session, run: SolveRunRow) -> bool:
    """Mark a run whose worker died failed (cancelled if a cancel was pending)."""
    final = "cancelled" if run.status == "cancelling" else "failed"
    message = (
        "cancelled: the worker was stopped"
        if final == "cancelled"
        else "the worker process ended before the run finished (killed or crashed)"
    )
    changed = _set_status(
        session, _id(run.id), final, expect=ACTIVE_RUN_STATES, error=message, finished=True
    )
    if changed:
        audit.record(
            session,
            actor=None,
            action=f"run.{final}",
            entity="solve_run",
            entity_id=run.id,
            term_id=run.term_id,
            detail={"reason": message},
        )
    return changed


def _set_status(
    session: Session,
    run_id: int,
    status: str,
    *,
    expect: tuple[str, ...],
    error: str | None = None,
    finished: bool = False,
) -> bool:
    """Compare-and-set a run's status; False when someone else changed it first."""
    values: dict[str, object] = {"status": status}
    if error is not None:
        values["error"] = error
    if finished:
        values["finished_at"] = utcnow()
    statement = (
        update(SolveRunRow)
        .where(col(SolveRunRow.id) == run_id, col(SolveRunRow.status).in_(expect))
        .values(**values)
    )
    result = session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)


# ---- the job body (runs in the worker process) -----------------------------------------


def run_job(database_url: str, run_id: int) -> None:
    """Worker entry point: claim the run, solve, save the result; never leaves it running."""
    from scheduler.db.engine import make_engine

    engine = make_engine(database_url)
    try:
        _run_claimed(engine, run_id)
    finally:
        engine.dispose()


def _run_claimed(engine: Engine, run_id: int) -> None:
    claimed = _claim(engine, run_id)
    if claimed is None:
        return
    run, scenario = claimed
    if run.parameters.get("kind") == "whatif":
        from scheduler.services import whatifs  # it builds on this module

        whatifs.run_claimed(engine, run, scenario)
        return
    ceiling = run.parameters.get("memory_limit_mb")
    reporter = ProgressWriter(engine, run_id)
    reporter.start()
    try:
        with run_limits(run, engine):
            outcomes = _solve_run(run, scenario, reporter.update)
    except Exception as error:  # noqa: BLE001 - any solver failure must close the run
        reporter.stop()
        message = f"the solver failed: {type(error).__name__}: {error}"
        if run_caps.ran_out_of_memory(error, ceiling):
            message = f"{run_caps.out_of_memory_message(ceiling)} ({message})"
        _finish_failed(engine, run_id, message)
        return
    reporter.stop()
    _finish(engine, run_id, scenario, outcomes, reporter.series())


@contextmanager
def run_limits(run: SolveRunRow, engine: Engine) -> Iterator[None]:
    """The run's deadline (past it the run is failed and the process ended) and memory
    ceiling, around the work of its job."""
    run_id = _id(run.id)
    overrun = f"stopped: the solve ran past its deadline of {run.parameters.get('deadline_s')} s"
    with (
        run_caps.Deadline(
            run.parameters.get("deadline_s"), lambda: _finish_failed(engine, run_id, overrun)
        ),
        run_caps.memory_ceiling(run.parameters.get("memory_limit_mb")),
    ):
        yield


def finish_without_schedule(
    engine: Engine, run_id: int, *, result: dict[str, object], seconds: float
) -> None:
    """Close a running run that makes no schedule (a what-if search) with its `result`."""
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        if run is None or run.status != "running":
            session.rollback()
            _finish_failed(engine, run_id, "stopped before the result was saved")
            return
        run.result, run.progress_elapsed_s = result, seconds
        session.add(run)
        session.flush()
        detail = {"kind": run.parameters.get("kind"), "seconds": seconds}
        _succeed(session, run_id, run.term_id, detail)
        session.commit()


def _succeed(session: Session, run_id: int, term_id: int, detail: dict[str, Any]) -> bool:
    """running -> succeeded, audited; False when the run was no longer running."""
    done = _set_status(session, run_id, "succeeded", expect=("running",), finished=True)
    if done:
        audit.record(
            session,
            actor=None,
            action="run.succeeded",
            entity="solve_run",
            entity_id=run_id,
            term_id=term_id,
            detail=detail,
        )
    return done


def _solve_run(
    run: SolveRunRow, scenario: Scenario, on_progress: Callable[[SolveProgress], None]
) -> list[SolveOutcome]:
    """The run's schedule, or its alternatives (the best first)."""
    count = int(run.parameters.get("alternatives") or 1)
    if count > 1:
        return solve_alternative_schedules(
            scenario=scenario,
            count=count,
            tolerance=run_tolerance(run),
            time_limit_s=run.time_limit_s,
            workers=run.workers,
            seed=run.seed,
            on_progress=on_progress,
        ).outcomes
    outcome = solve_scenario(
        scenario=scenario,
        time_limit_s=run.time_limit_s,
        workers=run.workers,
        seed=run.seed,
        on_progress=on_progress,
        local_repair=not run.parameters.get("full_repair", False),
    )
    return [outcome]


def _claim(engine: Engine, run_id: int) -> tuple[SolveRunRow, Scenario] | None:
    """queued -> running, with this process's pid, host and versions; None if not queued."""
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        if run is None or not _set_status(session, run_id, "running", expect=("queued",)):
            return None
        session.refresh(run)
        now = utcnow()
        run.pid, run.worker_host = os.getpid(), socket.gethostname()
        run.started_at, run.heartbeat_at = now, now
        run.ortools_version, run.git_revision = ortools_version(), git_revision()
        session.add(run)
        term = session.get(TermRow, run.term_id)
        scenario = term_rows.current_scenario(session, term) if term else None
        if term is not None and scenario is not None:
            previous = run.parameters.get("previous_version")
            try:
                scenario = _with_previous(session, term, scenario, previous)
            except ServiceError:
                scenario = None
        session.commit()
    if scenario is None:
        _finish_failed(engine, run_id, "the term (or the version to repair) was deleted")
        return None
    return run, scenario


def _finish(
    engine: Engine,
    run_id: int,
    scenario: Scenario,
    outcome: SolveOutcome | list[SolveOutcome],
    series: list[progress_series.Point] | None = None,
) -> None:
    """Save the checked schedules (one, or the alternatives in order) as drafts and close
    the run, in one transaction (with the whole progress series, including points
    reported after the last write)."""
    outcomes = [outcome] if isinstance(outcome, SolveOutcome) else outcome
    schedule = outcomes[0].schedule
    violations = [v for each in outcomes for v in each.violations]
    if violations:
        details = violation_items(violations)
        lines = "; ".join(f"{d.path}: {d.message}" for d in details[:20])
        _finish_failed(engine, run_id, f"the validator rejected the solver's schedule: {lines}")
        return
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        term = session.get(TermRow, run.term_id) if run else None
        if run is None or term is None or run.status != "running":
            session.rollback()
            _finish_failed(engine, run_id, "stopped before the result was saved")
            return
        try:
            for each in outcomes:
                record_schedule(
                    session, term=term, scenario=scenario, schedule=each.schedule, run=run
                )
        except ServiceError as error:
            session.rollback()
            _finish_failed(engine, run_id, f"{error.message} (status {schedule.status})")
            return
        except SQLAlchemyError as error:
            # A save that loses a race (or the database refusing it) fails the run saying
            # so; left to escape, it would end the worker and read as a crash.
            session.rollback()
            cause = getattr(error, "orig", None) or error
            message = f"the result could not be saved: {type(error).__name__}: {cause}"
            _finish_failed(engine, run_id, message[:2000])
            return
        if series:
            run.progress_series = series
        _final_progress(run, schedule)
        session.add(run)
        detail = {"status": schedule.status, "seconds": schedule.solve.seconds}
        if _succeed(session, run_id, _id(term.id), detail):
            session.commit()


def _final_progress(run: SolveRunRow, schedule: Schedule) -> None:
    """The last objective level's value and bound, as the final progress figures; every
    level's final value and bound end its series."""
    run.progress_elapsed_s = schedule.solve.seconds
    series = list(run.progress_series or [])
    for objective in schedule.objectives:
        progress_series.add_point(
            series,
            level=objective.name,
            elapsed_s=schedule.solve.seconds,
            best=objective.value,
            bound=objective.bound,
        )
    run.progress_series = series
    if schedule.objectives:
        last = schedule.objectives[-1]
        run.progress_level, run.progress_best, run.progress_bound = (
            last.name,
            last.value,
            last.bound,
        )


def close_run(engine: Engine, run_id: int, message: str) -> None:
    """Close an active run from outside its job (a queue worker whose horse died, a lost
    submit): `failed` with `message`, or `cancelled` if a cancel was pending."""
    _finish_failed(engine, run_id, message)


def _finish_failed(engine: Engine, run_id: int, message: str) -> None:
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        final = "cancelled" if run is not None and run.status == "cancelling" else "failed"
        if _set_status(
            session, run_id, final, expect=ACTIVE_RUN_STATES, error=message, finished=True
        ):
            audit.record(
                session,
                actor=None,
                action=f"run.{final}",
                entity="solve_run",
                entity_id=run_id,
                term_id=run.term_id if run else None,
                detail={"reason": message},
            )
        session.commit()


class ProgressWriter:
    """Writes the newest progress and a heartbeat from a thread of its own.

    The solver calls `update` from its search threads as often as it likes; the database
    sees at most one write per `PROGRESS_INTERVAL_S`, and a heartbeat at least every
    `HEARTBEAT_INTERVAL_S` even while the solver has nothing new to say.
    """

    def __init__(self, engine: Engine, run_id: int) -> None:
        self._engine = engine
        self._run_id = run_id
        self._latest: SolveProgress | None = None
        self._written: SolveProgress | None = None
        self._series: list[progress_series.Point] = []
        self._extra: dict[str, object] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"progress-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def update(self, event: SolveProgress) -> None:
        with self._lock:
            self._latest = event
            progress_series.add_point(
                self._series,
                level=event.level,
                elapsed_s=event.elapsed_s,
                best=event.value,
                bound=event.bound,
            )

    def update_values(self, values: dict[str, object]) -> None:
        """Other columns to write with the next progress write (a what-if's `result`)."""
        with self._lock:
            self._extra = dict(values)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def series(self) -> list[progress_series.Point]:
        """Every point reported so far (written or not yet)."""
        with self._lock:
            return list(self._series)

    def _loop(self) -> None:
        last_write = utcnow()
        while not self._stopped.wait(PROGRESS_INTERVAL_S):
            with self._lock:
                latest, extra = self._latest, self._extra
                series = list(self._series)
                self._extra = {}
            due = (utcnow() - last_write).total_seconds() >= HEARTBEAT_INTERVAL_S
            if latest is not self._written or extra or due:
                self._write(latest, series, extra)
                self._written, last_write = latest, utcnow()

    def _write(
        self,
        progress: SolveProgress | None,
        series: list[progress_series.Point],
        extra: dict[str, object],
    ) -> None:
        values: dict[str, object] = {"heartbeat_at": utcnow(), **extra}
        if progress is not None:
            values |= {
                "progress_level": progress.level,
                "progress_best": progress.value,
                "progress_bound": progress.bound,
                "progress_elapsed_s": progress.elapsed_s,
                "progress_series": series,
            }
        statement = (
            update(SolveRunRow)
            .where(
                col(SolveRunRow.id) == self._run_id, col(SolveRunRow.status).in_(ACTIVE_RUN_STATES)
            )
            .values(**values)
        )
        try:
            with new_session(self._engine) as session:
                session.exec(statement)  # type: ignore[call-overload]
                session.commit()
        except Exception:  # noqa: BLE001 - a missed heartbeat must not stop the solve
            return


def ortools_version() -> str:
    try:
        return metadata.version("ortools")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_revision() -> str:
    """The commit the worker's code comes from, or "unknown" outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    revision = result.stdout.strip()
    return revision if result.returncode == 0 and revision else "unknown"


def _id(value: int | None) -> int:
    assert value is not None, "a stored row has an id"
    return value
