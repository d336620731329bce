"""Caps on solve runs: how many may be active at once, and the memory and time of one.

Why: a run is a process that takes every core it is given and, for a large term,
gigabytes of memory (5,000 students: 2.8 GB; 20,000: past 23 GB, when the kernel killed
it). Without caps, a few clicks on "solve" starve the API and every other school of CPU,
and one oversized run can take the whole machine down with it. So:
- at most one run per term, `max_active_per_school` runs of one school and `max_active` in
  all are queued or running; the next start is refused (409 for the term, 429 with
  Retry-After for the caps) instead of queueing unboundedly. The database keeps these
  limits, not a count followed by an insert: a new run is inserted with a free seat number
  of its school and of the service, and unique indexes over the active runs
  (`scheduler.db.tables.SolveRunRow`) let only one of two racing starts have a seat or a
  term. The insert says ON CONFLICT DO NOTHING, so a lost race is a re-read and another
  try (or the refusal), never an aborted transaction; on SQLite the insert takes the one
  write lock before it reads, on PostgreSQL it waits for the racing insert's commit.
- the solve gets an address-space ceiling (`RLIMIT_AS`, `memory_limit_mb`): past it,
  allocations fail inside the worker, and the run ends `failed` saying so, while the
  published schedule stays as it was. The ceiling is lifted again before the result (or
  the failure) is written, so the worker can always close its run.
- CP-SAT keeps to its time limit, but preparing a term does not always (the 20,000-student
  term ran 881 s on a 300 s limit): a watchdog fails the run and ends the worker once the
  solve has run `deadline_s` (time limit plus a margin).
"""

from __future__ import annotations

import os
import resource
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from scheduler.db.repositories import ACTIVE_RUN_STATES
from scheduler.db.tables import SolveRunRow, TermRow
from scheduler.services.errors import Conflict, TooManyRequests

RETRY_AFTER_S = 30
"""What a refused start is told: about when a short run frees its place."""
DEADLINE_EXIT_CODE = 3


def insert_run(
    session: Session, run: SolveRunRow, *, school_id: int, per_school: int, overall: int
) -> SolveRunRow:
    """Insert `run` holding its term and a seat under both caps, or refuse with the reason.

    Conflict (409) while the term has an active run; TooManyRequests (429) while the school
    or the service is at its cap. A try that loses a race to another start re-reads what
    is taken and tries again; each loss means another run got in, so a few tries decide.
    """
    for _ in range(overall + per_school + 2):
        school_seat, service_seat = _free_seats(
            session,
            term_id=run.term_id,
            school_id=school_id,
            per_school=per_school,
            overall=overall,
        )
        run.school_id, run.school_seat, run.service_seat = school_id, school_seat, service_seat
        inserted = _insert_unless_taken(session, run)
        if inserted is not None:
            return inserted
    raise TooManyRequests(
        "too many solve runs are starting at once; try again shortly",
        code="service_busy",
        retry_after_s=RETRY_AFTER_S,
    )


def _free_seats(
    session: Session, *, term_id: int, school_id: int, per_school: int, overall: int
) -> tuple[int, int]:
    """The lowest free seat of the school and of the service, or the refusal."""
    active = select(SolveRunRow.term_id, TermRow.school_id, SolveRunRow.school_seat).join(
        TermRow, col(SolveRunRow.term_id) == TermRow.id
    )
    active = active.where(col(SolveRunRow.status).in_(ACTIVE_RUN_STATES))
    rows = session.exec(active).all()
    service_seats = session.exec(
        select(SolveRunRow.service_seat).where(col(SolveRunRow.status).in_(ACTIVE_RUN_STATES))
    ).all()
    if any(term == term_id for term, _, _ in rows):
        raise Conflict("this term already has an active solve run", code="run_active")
    of_school = [seat for _, school, seat in rows if school == school_id]
    school_free = sorted(set(range(per_school)) - set(of_school))
    if len(of_school) >= per_school or not school_free:
        raise TooManyRequests(
            f"your school already has {per_school} solve run(s) queued or running; "
            "wait for one to finish or cancel one",
            code="too_many_runs",
            retry_after_s=RETRY_AFTER_S,
        )
    service_free = sorted(set(range(overall)) - set(service_seats))
    if len(service_seats) >= overall or not service_free:
        raise TooManyRequests(
            f"the service is running its maximum of {overall} solve runs; try again shortly",
            code="service_busy",
            retry_after_s=RETRY_AFTER_S,
        )
    return school_free[0], service_free[0]


def _insert_unless_taken(session: Session, run: SolveRunRow) -> SolveRunRow | None:
    """INSERT ... ON CONFLICT DO NOTHING: the new row, or None if a unique index refused it."""
    values = run.model_dump(exclude={"id"})
    table = SolveRunRow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    new_id = session.exec(statement).scalar_one_or_none()  # type: ignore[call-overload]
    if new_id is None:
        return None
    return session.get_one(SolveRunRow, new_id)


@contextmanager
def memory_ceiling(megabytes: int | None) -> Iterator[None]:
    """Cap this process's address space while the block runs (None or 0: no cap)."""
    if not megabytes:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


NEAR_CEILING_MB = 64
"""A failure this close to the ceiling is taken for running out of memory: under it,
CPython and OR-Tools fail in many ways (MemoryError, a thread that cannot start, an import
that cannot compile), not only with MemoryError."""


def ran_out_of_memory(error: BaseException, megabytes: int | None) -> bool:
    """Whether a solve failure came from the memory ceiling (Linux: the peak address space)."""
    if isinstance(error, MemoryError):
        return True
    if not megabytes:
        return False
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    peak_kb = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmPeak:")), 0
    )
    return peak_kb // 1024 >= megabytes - NEAR_CEILING_MB


def out_of_memory_message(megabytes: int | None) -> str:
    return (
        f"the solve ran out of memory: a run may use at most {megabytes} MB"
        " (IPE_RUN_MEMORY_LIMIT_MB); the published schedule is unchanged"
    )


class Deadline:
    """Calls `on_overrun` and ends this process if not cancelled within `seconds`."""

    def __init__(self, seconds: float | None, on_overrun: Callable[[], None]) -> None:
        self._on_overrun = on_overrun
        self._timer = threading.Timer(seconds, self._fire) if seconds else None
        if self._timer is not None:
            self._timer.daemon = True

    def __enter__(self) -> Deadline:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        try:
            self._on_overrun()
        finally:
            os._exit(DEADLINE_EXIT_CODE)  # the solver's native threads cannot be stopped
