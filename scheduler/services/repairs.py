"""Repair after a change: re-solve against the published schedule and review the diff.

After a partner declines, the roster changes or a session is cancelled, the coordinator
starts a repair run: a solve run whose `previous` is the published version, so the solver
keeps everything it can (`stability` right after `coverage`). Its result is a draft like
any other; `version_diff` says who moves, who is added, who is dropped and how many people
are affected, and publishing it tells exactly those people (`scheduler.services.outbox`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.tables import UserRow
from scheduler.domain.diff import ScheduleDiff, diff_schedules, slot_sites
from scheduler.services import term_rows
from scheduler.services.errors import Conflict
from scheduler.services.solve_runs import RunLimits, start_solve_run
from scheduler.services.terms import get_term
from scheduler.services.versions import get_version, version_schedule
from scheduler.services.views import RunView

if TYPE_CHECKING:
    from scheduler.services.jobs import JobRunner


def start_repair_run(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    runner: JobRunner,
    limits: RunLimits,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    full_repair: bool = False,
) -> RunView:
    """Queue a run that repairs the published version against the term as it is now (the
    local path first, `solver.incremental`; `full_repair` solves the whole term)."""
    term = get_term(session, actor=actor, term_id=term_id)
    published = repositories.published_version(session, term.id or 0)
    if published is None:
        raise Conflict("nothing is published yet: start a solve run", code="nothing_published")
    return start_solve_run(
        session,
        actor=actor,
        term_id=term_id,
        runner=runner,
        limits=limits,
        time_limit_s=time_limit_s,
        workers=workers,
        seed=seed,
        previous_version=published.id,
        full_repair=full_repair,
    )


def version_diff(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, against: int | None = None
) -> ScheduleDiff:
    """What publishing `version_id` would change against `against` (default: the published
    version; nothing published: everything is an addition)."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    base = (
        get_version(session, actor=actor, term_id=term_id, version_id=against)[1]
        if against is not None
        else repositories.published_version(session, term.id or 0)
    )
    before = version_schedule(base) if base is not None else None
    scenario = term_rows.current_scenario(session, term)
    return diff_schedules(before, version_schedule(version), sites_of=slot_sites(scenario))
