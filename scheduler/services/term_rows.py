"""The mapping between a term's stored rows and the domain `Scenario`, one entity at a time.

A term keeps its whole scenario document; the entity rows written here index it for
scoping, listing and foreign keys. Two parts of a student live only in their own tables,
never in the stored document: demographic `attributes` (`student_attribute`, read only for
aggregate figures and the coordinator's full export) and `directory_opt_out` (per school,
set by the student or an import). Going back, the stored document is the source, with the
slot statuses partners have changed since, the attributes and the opt-outs laid over it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from scheduler.db.tables import (
    ActivityRow,
    DirectoryOptOutRow,
    FacilitatorRow,
    PeriodRow,
    PlacementRequirementRow,
    ProfessionRow,
    ProgramCalendarRow,
    RoomRow,
    SessionRow,
    SiteRow,
    SlotRow,
    StudentAttributeRow,
    StudentRow,
    TermRow,
)
from scheduler.domain.loading import load_scenario_text
from scheduler.domain.privacy import site_needs
from scheduler.domain.scenario import AttributeValue, Scenario
from scheduler.services.cancellation import checkpoint

ENTITY_TABLES = (
    SlotRow,
    SessionRow,
    ActivityRow,
    PeriodRow,
    SiteRow,
    RoomRow,
    FacilitatorRow,
    ProgramCalendarRow,
    PlacementRequirementRow,
    StudentAttributeRow,
    StudentRow,
    ProfessionRow,
)
"""Every per-term entity table, children before parents (the order to delete in)."""


def scenario_text(scenario: Scenario) -> str:
    """The stored form of a scenario: its JSON without nulls (which are all defaults)."""
    return scenario.model_dump_json(exclude_none=True)


def stored_text(scenario: Scenario) -> str:
    """The form kept in `term.scenario_json`: the scenario without what lives in its own
    tables (students' demographic attributes and directory opt-outs)."""
    students = [
        s.model_copy(update={"attributes": {}, "directory_opt_out": None})
        for s in scenario.students
    ]
    return scenario_text(scenario.model_copy(update={"students": students}))


def term_row(scenario: Scenario, *, school_id: int) -> TermRow:
    term = scenario.term
    return TermRow(
        school_id=school_id,
        code=term.id,
        name=term.name,
        start=term.start,
        end=term.end,
        timezone=term.timezone,
        scenario_json=stored_text(scenario),
    )


def write_entities(session: Session, term_id: int, scenario: Scenario) -> None:
    """Insert one row per entity of the scenario, parents first (ids are needed below)."""
    students = _ids(session, student_rows(term_id, scenario))
    checkpoint()  # an import whose client left stops between its lists
    session.add_all(unreferenced_rows(term_id, scenario, students))
    _write_opt_outs(session, term_id, [s.id for s in scenario.students if s.directory_opt_out])
    session.add_all(facilitator_rows(term_id, scenario))
    rooms = _ids(session, room_rows(term_id, scenario))
    activities = _ids(session, activity_rows(term_id, scenario))
    checkpoint()
    session.add_all(session_rows(term_id, scenario, activities, rooms))
    sites = _ids(session, site_rows(term_id, scenario))
    periods = _ids(session, period_rows(term_id, scenario))
    checkpoint()
    session.add_all(slot_rows(term_id, scenario, sites, periods))
    session.flush()


def delete_entities(session: Session, term_id: int) -> None:
    """Remove every entity row of a term (its document and runs stay)."""
    for table in ENTITY_TABLES:
        session.exec(delete(table).where(col(table.term_id) == term_id))  # type: ignore[call-overload]


# ---- one row per scenario entity: the import writes them, an edit syncs them --------------


def student_rows(term_id: int, scenario: Scenario) -> list[StudentRow]:
    return [
        StudentRow(
            term_id=term_id,
            ref=s.id,
            name=s.name,
            email=s.email,
            profession=s.profession,
            cohort=s.cohort,
            travel_mode=s.travel_mode,
            site_needs=site_needs(s.needs),
        )
        for s in scenario.students
    ]


def unreferenced_rows(
    term_id: int, scenario: Scenario, students: dict[str, int]
) -> list[ProfessionRow | StudentAttributeRow | ProgramCalendarRow | PlacementRequirementRow]:
    """Rows nothing else points at (professions, student attributes, program calendars,
    placement requirements): an edit deletes and rewrites them."""
    rows: list[
        ProfessionRow | StudentAttributeRow | ProgramCalendarRow | PlacementRequirementRow
    ] = [ProfessionRow(term_id=term_id, code=p.code, name=p.name) for p in scenario.professions]
    rows += [
        StudentAttributeRow(term_id=term_id, student_id=students[s.id], name=name, value=value)
        for s in scenario.students
        for name, value in s.attributes.items()
    ]
    rows += [
        ProgramCalendarRow(term_id=term_id, position=i, profession=c.profession, cohort=c.cohort)
        for i, c in enumerate(scenario.program_calendars)
    ]
    rows += [
        PlacementRequirementRow(
            term_id=term_id,
            position=i,
            key=r.key,
            profession=r.profession,
            cohort=r.cohort,
            count=r.count,
        )
        for i, r in enumerate(scenario.placement_requirements)
    ]
    return rows


def facilitator_rows(term_id: int, scenario: Scenario) -> list[FacilitatorRow]:
    return [
        FacilitatorRow(
            term_id=term_id,
            ref=f.id,
            name=f.name,
            profession=f.profession,
            max_sessions=f.max_sessions,
        )
        for f in scenario.facilitators
    ]


def room_rows(term_id: int, scenario: Scenario) -> list[RoomRow]:
    return [
        RoomRow(term_id=term_id, ref=r.id, name=r.name, accessible=r.accessible)
        for r in scenario.rooms
    ]


def activity_rows(term_id: int, scenario: Scenario) -> list[ActivityRow]:
    return [
        ActivityRow(
            term_id=term_id,
            ref=a.id,
            name=a.name,
            teams_per_facilitator=a.teams_per_facilitator,
        )
        for a in scenario.activities
    ]


def session_rows(
    term_id: int, scenario: Scenario, activities: dict[str, int], rooms: dict[str, int]
) -> list[SessionRow]:
    return [
        SessionRow(
            term_id=term_id,
            activity_id=activities[activity.id],
            room_id=rooms[s.room],
            ref=s.id,
            start=s.start,
            end=s.end,
            max_teams=s.max_teams,
        )
        for activity in scenario.activities
        for s in activity.sessions
    ]


def site_rows(term_id: int, scenario: Scenario) -> list[SiteRow]:
    return [
        SiteRow(
            term_id=term_id,
            ref=s.id,
            name=s.name,
            lat=s.location.lat,
            lon=s.location.lon,
            transit_accessible=s.transit_accessible,
            accessible=s.accessible,
            tags=list(s.tags),
            address=s.address,
        )
        for s in scenario.sites
    ]


def period_rows(term_id: int, scenario: Scenario) -> list[PeriodRow]:
    return [
        PeriodRow(term_id=term_id, ref=p.id, start=p.start, end=p.end) for p in scenario.periods
    ]


def slot_rows(
    term_id: int, scenario: Scenario, sites: dict[str, int], periods: dict[str, int]
) -> list[SlotRow]:
    return [
        SlotRow(
            term_id=term_id,
            site_id=sites[s.site],
            period_id=periods[s.period],
            ref=s.id,
            profession=s.profession,
            capacity=s.capacity,
            language=s.language,
            status=s.status,
        )
        for s in scenario.slots
    ]


def _write_opt_outs(session: Session, term_id: int, refs: list[str]) -> None:
    """An import records opt-outs it states; it never withdraws one (that is the student's)."""
    term = session.get(TermRow, term_id)
    if not refs or term is None:
        return
    query = select(DirectoryOptOutRow.student_ref).where(
        col(DirectoryOptOutRow.school_id) == term.school_id,
        col(DirectoryOptOutRow.student_ref).in_(refs),
    )
    known = set(session.exec(query).all())
    session.add_all(
        DirectoryOptOutRow(school_id=term.school_id, student_ref=ref, source="import")
        for ref in dict.fromkeys(refs)
        if ref not in known
    )


def _ids(
    session: Session, rows: Sequence[RoomRow | ActivityRow | SiteRow | PeriodRow | StudentRow]
) -> dict[str, int]:
    """Insert rows and map each scenario id to its new primary key."""
    session.add_all(rows)
    session.flush()
    return {row.ref: _pk(row.id) for row in rows}


def _pk(value: int | None) -> int:
    assert value is not None, "a flushed row has a primary key"
    return value


def stored_scenario(term: TermRow) -> Scenario:
    """The scenario document as imported (it was valid then, so it parses now), without
    students' attributes and opt-outs: enough for every per-student view."""
    loaded = load_scenario_text(term.scenario_json)
    if loaded.scenario is None:
        problems = "; ".join(f"{e.path}: {e.message}" for e in loaded.errors)
        raise RuntimeError(f"stored scenario of term {term.id} no longer loads: {problems}")
    return loaded.scenario


def current_scenario(session: Session, term: TermRow) -> Scenario:
    """The whole term as it stands: today's slot statuses (partners confirm and decline),
    students' attributes (for the equity figures) and directory opt-outs. For solving,
    validating and the coordinator's export only; never for a per-student view."""
    scenario = stored_scenario(term)
    statuses = dict(
        session.exec(
            select(SlotRow.ref, SlotRow.status).where(col(SlotRow.term_id) == term.id)
        ).all()
    )
    slots = [
        slot.model_copy(update={"status": statuses.get(slot.id, slot.status)})
        for slot in scenario.slots
    ]
    attributes = _attributes(session, term)
    opted_out = _opted_out(session, term)
    students = [
        s.model_copy(
            update={
                "attributes": attributes.get(s.id, {}),
                "directory_opt_out": True if s.id in opted_out else None,
            }
        )
        for s in scenario.students
    ]
    return scenario.model_copy(update={"slots": slots, "students": students})


def stored_document(session: Session, term: TermRow) -> dict[str, Any]:
    """The stored document as JSON data with the students' attributes put back (the base
    a CSV import merges into, so a file without students keeps them whole)."""
    document: dict[str, Any] = json.loads(term.scenario_json)
    attributes = _attributes(session, term)
    for student in document.get("students", []):
        if attributes.get(student["id"]):
            student["attributes"] = attributes[student["id"]]
    return document


def _attributes(session: Session, term: TermRow) -> dict[str, dict[str, AttributeValue]]:
    query = (
        select(StudentRow.ref, StudentAttributeRow.name, StudentAttributeRow.value)
        .join(StudentRow, col(StudentAttributeRow.student_id) == StudentRow.id)
        .where(col(StudentAttributeRow.term_id) == term.id)
        .order_by(col(StudentAttributeRow.id))
    )
    found: dict[str, dict[str, AttributeValue]] = {}
    for ref, name, value in session.exec(query).all():
        found.setdefault(ref, {})[name] = value
    return found


def _opted_out(session: Session, term: TermRow) -> set[str]:
    query = (
        select(DirectoryOptOutRow.student_ref)
        .join(StudentRow, col(StudentRow.ref) == DirectoryOptOutRow.student_ref)
        .where(
            col(StudentRow.term_id) == term.id,
            col(DirectoryOptOutRow.school_id) == term.school_id,
        )
    )
    return set(session.exec(query).all())


def scenario_json(scenario: Scenario) -> str:
    """A scenario as an indented export document."""
    return json.dumps(scenario.model_dump(mode="json", exclude_none=True), indent=2)
