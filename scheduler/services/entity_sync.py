"""Bring a term's entity rows in line with an edited scenario, in place.

Unlike an import (`term_rows.write_entities` after deleting everything), rows are matched
by their scenario id and updated, so the rows that schedule versions, runs and partner
responses point at keep their primary keys: an edit after a solve changes a capacity, not
who was placed. Rows whose id left the scenario are deleted, children first; callers make
sure no stored schedule uses them (`used_refs`). Rows no one points at (professions,
program calendars, placement requirements, attributes) are simply rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from scheduler.db.tables import (
    ActivityRow,
    AssignmentRow,
    FacilitatorRow,
    PeriodRow,
    PlacementRequirementRow,
    ProfessionRow,
    ProgramCalendarRow,
    RoomRow,
    ScheduleVersionRow,
    SessionRow,
    SiteRow,
    SlotRow,
    StudentAttributeRow,
    StudentRow,
)
from scheduler.domain.scenario import Scenario
from scheduler.services import term_rows

Keyed = (
    StudentRow | RoomRow | FacilitatorRow | ActivityRow | SessionRow | SiteRow | PeriodRow | SlotRow
)


def used_refs(session: Session, term_id: int) -> dict[str, dict[str, int]]:
    """Students, sessions and slots that a stored schedule version of the term uses, with
    the newest version number using each (to name it when a removal is refused)."""
    query = (
        select(AssignmentRow, ScheduleVersionRow.number)
        .join(ScheduleVersionRow, col(AssignmentRow.version_id) == ScheduleVersionRow.id)
        .where(col(ScheduleVersionRow.term_id) == term_id)
    )
    students = {r.id: r.ref for r in _rows(session, StudentRow, term_id)}
    sessions = {r.id: r.ref for r in _rows(session, SessionRow, term_id)}
    slots = {r.id: r.ref for r in _rows(session, SlotRow, term_id)}
    used: dict[str, dict[str, int]] = {"students": {}, "sessions": {}, "slots": {}}
    for assignment, number in session.exec(query).all():
        marks = [("students", students.get(assignment.student_id))]
        marks.append(("sessions", sessions.get(assignment.session_id or 0)))
        marks.append(("slots", slots.get(assignment.slot_id or 0)))
        for kind, ref in marks:
            if ref is not None:
                used[kind][ref] = max(number, used[kind].get(ref, 0))
    return used


def sync_entities(session: Session, term_id: int, scenario: Scenario) -> None:
    """Update, add and delete entity rows so they match `scenario` (the rows are built as an
    import builds them: `scheduler.services.term_rows`)."""
    _delete_missing(session, term_id, scenario)
    students = _upsert(session, StudentRow, term_id, term_rows.student_rows(term_id, scenario))
    for table in (StudentAttributeRow, ProfessionRow, ProgramCalendarRow, PlacementRequirementRow):
        session.exec(delete(table).where(col(table.term_id) == term_id))  # type: ignore[call-overload]
    session.add_all(term_rows.unreferenced_rows(term_id, scenario, students))
    rooms = _upsert(session, RoomRow, term_id, term_rows.room_rows(term_id, scenario))
    _upsert(session, FacilitatorRow, term_id, term_rows.facilitator_rows(term_id, scenario))
    activities = _upsert(session, ActivityRow, term_id, term_rows.activity_rows(term_id, scenario))
    sessions = term_rows.session_rows(term_id, scenario, activities, rooms)
    _upsert(session, SessionRow, term_id, sessions)
    sites = _upsert(session, SiteRow, term_id, term_rows.site_rows(term_id, scenario))
    periods = _upsert(session, PeriodRow, term_id, term_rows.period_rows(term_id, scenario))
    _upsert(session, SlotRow, term_id, term_rows.slot_rows(term_id, scenario, sites, periods))
    session.flush()


def _delete_missing(session: Session, term_id: int, scenario: Scenario) -> None:
    """Rows whose id is gone from the scenario, children (slots, sessions) first."""
    keep: list[tuple[type[Keyed], set[str]]] = [
        (SlotRow, {s.id for s in scenario.slots}),
        (SessionRow, {s.id for a in scenario.activities for s in a.sessions}),
        (ActivityRow, {a.id for a in scenario.activities}),
        (PeriodRow, {p.id for p in scenario.periods}),
        (SiteRow, {s.id for s in scenario.sites}),
        (RoomRow, {r.id for r in scenario.rooms}),
        (FacilitatorRow, {f.id for f in scenario.facilitators}),
        (StudentRow, {s.id for s in scenario.students}),
    ]
    for table, refs in keep:
        for row in _rows(session, table, term_id):
            if row.ref not in refs:
                session.delete(row)
        session.flush()


def _upsert(
    session: Session, table: type[Keyed], term_id: int, rows: Sequence[Keyed]
) -> dict[str, int]:
    """Update rows with the same id in place, add the others; map each id to its key."""
    existing = {row.ref: row for row in _rows(session, table, term_id)}
    for new in rows:
        old = existing.get(new.ref)
        if old is None:
            session.add(new)
            existing[new.ref] = new
            continue
        changed = False
        for name in type(new).model_fields:
            if name in ("id", "version"):
                continue
            value = getattr(new, name)
            if getattr(old, name) != value:
                setattr(old, name, value)
                changed = True
        if changed and isinstance(old, SlotRow):
            old.version += 1  # a partner's response to the old slot is now stale
        session.add(old)
    session.flush()
    return {ref: _pk(row.id) for ref, row in existing.items()}


def _rows(session: Session, table: type[Keyed], term_id: int) -> Sequence[Any]:
    return session.exec(select(table).where(col(table.term_id) == term_id)).all()


def _pk(value: int | None) -> int:
    assert value is not None, "a flushed row has a primary key"
    return value
