"""Caps on solve runs: how many may be active at once, and the memory and time of one.

Why: a run is a process that takes every core it is given and, for a large term,
gigabytes of memory (5,000 students: 2.8 GB; 20,000: past 23 GB, when the kernel killed
it). Without caps, a few clicks on "solve" starve the API and every other school of CPU,
and one oversized run can take the whole machine down with it. So:
- at most `max_active_per_school` runs of one school and `max_active` in all are queued or
  running; the next start is refused (429, with Retry-After) instead of queueing
  unboundedly. The school's row is locked while counting, so two starts of one school
  cannot both slip under its cap (PostgreSQL; SQLite serialises writers anyway).
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

from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.db.repositories import ACTIVE_RUN_STATES
from scheduler.db.tables import SchoolRow, SolveRunRow, TermRow
from scheduler.services.errors import TooManyRequests

RETRY_AFTER_S = 30
"""What a refused start is told: about when a short run frees its place."""
DEADLINE_EXIT_CODE = 3


def require_capacity(session: Session, *, school_id: int, per_school: int, overall: int) -> None:
    """Refuse a new run (429) while the school, or the whole service, is at its cap."""
    lock = select(SchoolRow.id).where(col(SchoolRow.id) == school_id).with_for_update()
    session.exec(lock).first()
    active = col(SolveRunRow.status).in_(ACTIVE_RUN_STATES)
    in_all = select(func.count()).select_from(SolveRunRow).where(active)
    of_school = in_all.join(TermRow, col(SolveRunRow.term_id) == TermRow.id).where(
        col(TermRow.school_id) == school_id
    )
    if int(session.exec(of_school).one()) >= per_school:
        raise TooManyRequests(
            f"your school already has {per_school} solve run(s) queued or running; "
            "wait for one to finish or cancel one",
            code="too_many_runs",
            retry_after_s=RETRY_AFTER_S,
        )
    if int(session.exec(in_all).one()) >= overall:
        raise TooManyRequests(
            f"the service is running its maximum of {overall} solve runs; try again shortly",
            code="service_busy",
            retry_after_s=RETRY_AFTER_S,
        )


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
