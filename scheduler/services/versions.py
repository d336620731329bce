"""Schedule versions: save a checked schedule as a draft, list them, publish one.

No schedule is stored or published unverified: `record_schedule` re-checks it with the
independent validator against the scenario it was solved for, and `publish_version`
re-checks it against the term as it stands now (a partner may have declined a slot since).
Publishing makes a version the one students and partners see; the previously published
version stays visible until that moment, then becomes `superseded`. In the same
transaction it writes one outbox message per person the change affects
(`scheduler.services.outbox`) and rebuilds every student's and site's stored view
(`scheduler.services.published_views`), so every publish path (API, page, CLI, demo)
builds them.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.paging import ALL, Page
from scheduler.db.tables import (
    AssignmentRow,
    ScheduleVersionRow,
    SessionRow,
    SlotRow,
    SolveRunRow,
    StudentRow,
    TermRow,
    UserRow,
)
from scheduler.db.types import utcnow
from scheduler.domain.loading import load_schedule_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule
from scheduler.domain.validator import Violation, validate_schedule
from scheduler.services import outbox, published_views, term_rows
from scheduler.services.errors import Conflict, Invalid, found
from scheduler.services.terms import get_term
from scheduler.services.views import VersionView, version_view

USABLE_STATUSES = ("optimal", "feasible")


def violation_items(violations: list[Violation]) -> list[ErrorItem]:
    """Violations as error details: the rule and code as path, the sentence as message."""
    return [
        ErrorItem(path=f"rule {v.rule}: {v.code}", message=_with_related(v)) for v in violations
    ]


def _with_related(violation: Violation) -> str:
    related = f" ({', '.join(violation.related)})" if violation.related else ""
    return violation.message + related


def record_schedule(
    session: Session,
    *,
    term: TermRow,
    scenario: Scenario,
    schedule: Schedule,
    run: SolveRunRow | None = None,
) -> ScheduleVersionRow:
    """Save a schedule as the term's next draft version, with one row per assignment."""
    if schedule.status not in USABLE_STATUSES:
        raise Invalid(f"a {schedule.status} schedule is not saved", code="schedule_unusable")
    violations = validate_schedule(scenario, schedule)
    if violations:
        raise Invalid(
            "the validator rejects the schedule",
            code="schedule_invalid",
            details=violation_items(violations),
        )
    version = ScheduleVersionRow(
        term_id=_id(term.id),
        run_id=run.id if run else None,
        number=_next_number(session, term),
        status=schedule.status,
        # Stored compact (each distinct reason once): the same document, a fraction of
        # the size when many needs are unmet for the same causes (docs/contract.md).
        schedule_json=schedule.compacted().model_dump_json(exclude_none=True),
    )
    session.add(version)
    session.flush()
    _write_assignments(session, term, version, schedule)
    audit.record(
        session,
        actor=None,
        action="version.create",
        entity="schedule_version",
        entity_id=version.id,
        term_id=term.id,
        detail={"run": run.id if run else None, "number": version.number},
    )
    return version


def _next_number(session: Session, term: TermRow) -> int:
    """max + 1, read under the term's lock: two saves of one term cannot take one number.

    (The unique (term, number) constraint would refuse the second anyway, and the worker
    would fail its run over it; the lock makes the second save wait and number on.)"""
    _lock_term(session, term)
    term_id = _id(term.id)
    query = select(func.max(ScheduleVersionRow.number)).where(
        col(ScheduleVersionRow.term_id) == term_id
    )
    return int(session.exec(query).one() or 0) + 1


def _write_assignments(
    session: Session, term: TermRow, version: ScheduleVersionRow, schedule: Schedule
) -> None:
    students = _ids_by_ref(session, StudentRow, term)
    sessions = _ids_by_ref(session, SessionRow, term)
    slots = _ids_by_ref(session, SlotRow, term)
    version_id = _id(version.id)
    rows = [
        AssignmentRow(
            version_id=version_id,
            student_id=students[student],
            kind="session",
            session_id=sessions[entry.session],
            team_ref=team.id,
        )
        for entry in schedule.sessions
        for team in entry.teams
        for student in team.students
    ]
    rows += [
        AssignmentRow(
            version_id=version_id,
            student_id=students[p.student],
            kind="placement",
            slot_id=slots[p.slot],
        )
        for p in schedule.placements
    ]
    session.add_all(rows)
    session.flush()


def _ids_by_ref(
    session: Session, table: type[StudentRow] | type[SessionRow] | type[SlotRow], term: TermRow
) -> dict[str, int]:
    query = select(table.ref, table.id).where(col(table.term_id) == term.id)
    return {ref: pk for ref, pk in session.exec(query).all() if pk is not None}


def list_versions(
    session: Session, *, actor: UserRow, term_id: int, page: Page = ALL
) -> list[VersionView]:
    """Every version of a managed term, newest first."""
    term = get_term(session, actor=actor, term_id=term_id)
    return [version_view(v) for v in repositories.term_versions(session, actor, term, page=page)]


def get_version(
    session: Session, *, actor: UserRow, term_id: int, version_id: int
) -> tuple[TermRow, ScheduleVersionRow]:
    term = get_term(session, actor=actor, term_id=term_id)
    version = repositories.term_version(session, actor, term, version_id)
    return term, found(version, "schedule version")


def version_schedule(version: ScheduleVersionRow) -> Schedule:
    """The stored schedule document (it was valid when saved, so it parses), with every
    unmet need's reasons inline again: stored compact, used whole (the solver, the diff
    and the views never see shared reasons)."""
    schedule, errors = load_schedule_text(version.schedule_json)
    if schedule is None:
        raise RuntimeError(f"stored schedule of version {version.id} no longer loads: {errors}")
    return schedule.expanded()


def publish_version(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    version_id: int,
    delivery: outbox.Delivery | None,
) -> VersionView:
    """Make a version the published one (again is fine); refused if it no longer validates.

    Its messages go out through `delivery` once the caller commits (None: they wait for
    `ipe outbox deliver`, as in the outbox's own tests)."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    _lock_term(session, term)
    session.refresh(version)  # as a publish that finished while we waited left it
    if version.state == "published":
        return version_view(version)
    scenario = term_rows.current_scenario(session, term)
    schedule = version_schedule(version)
    violations = validate_schedule(scenario, schedule)
    if violations:
        raise Conflict(
            "the schedule breaks rules against the term as it is now (re-solve it)",
            code="schedule_outdated",
            details=violation_items(violations),
        )
    previous = repositories.published_version(session, _id(term.id))
    if previous is not None:
        previous.state = "superseded"
        session.add(previous)
        session.flush()
    version.state, version.published_at, version.published_by = "published", utcnow(), actor.id
    session.add(version)
    session.flush()
    # Every person's view of the term, built from the version just re-validated, in this
    # transaction: nobody reads the new version without its views, or the old views after.
    published_views.rebuild_for_term(session, term=term)
    before = version_schedule(previous) if previous is not None else None
    diff = outbox.write_publish_messages(
        session, term=term, version=version, scenario=scenario, schedule=schedule, before=before
    )
    audit.record(
        session,
        actor=actor,
        action="version.publish",
        entity="schedule_version",
        entity_id=version.id,
        term_id=term.id,
        detail={
            "superseded": previous.id if previous else None,
            "changes": diff.changes,
            "students_affected": diff.people_affected,
            "sites_affected": len(diff.sites),
        },
    )
    session.flush()
    if delivery is not None:
        outbox.deliver_after_commit(session, delivery=delivery)
    return version_view(version)


def _lock_term(session: Session, term: TermRow) -> None:
    """Serialise publishing per term before reading what is published.

    A no-op UPDATE of the term row: PostgreSQL locks the row, SQLite takes its one write
    lock (a SELECT ... FOR UPDATE locks nothing there). A concurrent publish waits here
    until this one commits, then reads its result: never two published versions.
    """
    statement = (
        update(TermRow)
        .where(col(TermRow.id) == term.id)
        .values(id=TermRow.id)
        .execution_options(synchronize_session=False)
    )
    session.exec(statement)  # type: ignore[call-overload]


def _id(value: int | None) -> int:
    assert value is not None, "a stored row has an id"
    return value
