"""Exports of a schedule version: the contract's JSON and CSV by session, site or student.

CSV rows are built from the stored schedule and scenario documents, so the files say
exactly what the JSON says. Every export names students, so each one is an audited read
of the term's student records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.tables import UserRow
from scheduler.domain.csv_text import csv_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.week_grids import site_week_csv, student_week_csv
from scheduler.services import term_rows
from scheduler.services.versions import get_version, version_schedule

CsvView = Literal["session", "site", "student", "site_weeks", "student_weeks"]
"""`site_weeks` and `student_weeks`: the week grids (`scheduler.domain.week_grids`)."""
Rows = Iterable[Sequence[object]]


def schedule_document(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, inline: bool = False
) -> Schedule:
    """A version's schedule as an `ipe-schedule/1` document: compact as stored (each
    distinct reason once), or with every unmet need's reasons `inline`."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    repositories.term_students(session, actor, term, via="export.json")
    schedule = version_schedule(version)
    return schedule if inline else schedule.compacted()


def schedule_csv(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, by: CsvView
) -> str:
    """A version's schedule as CSV text, one row per student and session or placement."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    repositories.term_students(session, actor, term, via=f"export.csv.{by}")
    scenario = term_rows.stored_scenario(term)
    header, rows = VIEWS[by](scenario, version_schedule(version))
    return csv_text(header, rows)


def _by_session(scenario: Scenario, schedule: Schedule) -> tuple[list[str], Rows]:
    students = {s.id: s for s in scenario.students}
    sessions = {s.id: s for a in scenario.activities for s in a.sessions}
    rooms = {r.id: r.name for r in scenario.rooms}
    header = ["activity", "session", "start", "end", "room", "team", "student", "name"]
    header += ["profession", "facilitators"]
    rows = [
        [
            entry.activity,
            entry.session,
            sessions[entry.session].start.isoformat(timespec="minutes"),
            sessions[entry.session].end.isoformat(timespec="minutes"),
            rooms.get(sessions[entry.session].room, ""),
            team.id,
            student,
            students[student].name,
            students[student].profession,
            ";".join(entry.facilitators),
        ]
        for entry in sorted(schedule.sessions, key=lambda e: sessions[e.session].start)
        for team in entry.teams
        for student in team.students
    ]
    return header, rows


def _by_site(scenario: Scenario, schedule: Schedule) -> tuple[list[str], Rows]:
    students = {s.id: s for s in scenario.students}
    slots = {s.id: s for s in scenario.slots}
    sites = {s.id: s.name for s in scenario.sites}
    periods = {p.id: p for p in scenario.periods}
    header = ["site", "site_name", "period", "start", "end", "slot", "student", "name"]
    header += ["profession"]
    placements = sorted(
        schedule.placements, key=lambda p: (slots[p.slot].site, slots[p.slot].period, p.slot)
    )
    rows = [
        [
            slots[p.slot].site,
            sites.get(slots[p.slot].site, ""),
            slots[p.slot].period,
            periods[slots[p.slot].period].start.isoformat(),
            periods[slots[p.slot].period].end.isoformat(),
            p.slot,
            p.student,
            students[p.student].name,
            students[p.student].profession,
        ]
        for p in placements
    ]
    return header, rows


def _by_student(scenario: Scenario, schedule: Schedule) -> tuple[list[str], Rows]:
    students = {s.id: s for s in scenario.students}
    sessions = {s.id: s for a in scenario.activities for s in a.sessions}
    slots = {s.id: s for s in scenario.slots}
    periods = {p.id: p for p in scenario.periods}
    header = ["student", "name", "profession", "kind", "what", "where", "start", "end", "team"]
    rows: list[list[str]] = []
    for entry in schedule.sessions:
        held = sessions[entry.session]
        for team in entry.teams:
            for student in team.students:
                rows.append(
                    [student, students[student].name, students[student].profession, "session"]
                    + [entry.session, held.room, held.start.isoformat(timespec="minutes")]
                    + [held.end.isoformat(timespec="minutes"), team.id]
                )
    for p in schedule.placements:
        slot = slots[p.slot]
        period = periods[slot.period]
        rows.append(
            [p.student, students[p.student].name, students[p.student].profession, "placement"]
            + [p.slot, slot.site, period.start.isoformat(), period.end.isoformat(), ""]
        )
    rows.sort(key=lambda row: (row[0], row[6]))
    return header, rows


VIEWS: dict[str, Callable[[Scenario, Schedule], tuple[list[str], Rows]]] = {
    "session": _by_session,
    "site": _by_site,
    "student": _by_student,
    "site_weeks": site_week_csv,
    "student_weeks": student_week_csv,
}
