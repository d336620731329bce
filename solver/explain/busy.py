"""Which piece of busy time closes a session or a placement period to a student, and whose.

`solver.prepare` only needs the union of a student's busy time; an explanation must name
each piece: a window of a program calendar (of a profession, maybe a cohort) or the
student's own busy time, with the JSON path a coordinator can go and change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from scheduler.domain.matching import matches
from scheduler.domain.scenario import Interval, Scenario, Student, WeeklyWindow
from solver.availability import Busy, PeriodTime
from solver.explain import codes

DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri"}


@dataclass(frozen=True)
class BusySource:
    """One busy window or interval, labelled after whom it concerns."""

    code: str
    label: str
    path: str
    busy: Busy

    def blocks(self, start: datetime, end: datetime) -> bool:
        return self.busy.conflicts(start, end)

    def blocks_period(self, period: PeriodTime) -> bool:
        return self.busy.conflicts_period(period)


def weekly_label(window: WeeklyWindow) -> str:
    return f"{DAY_NAMES.get(window.day, window.day.capitalize())} {window.start}-{window.end}"


def interval_label(interval: Interval) -> str:
    if interval.start.date() == interval.end.date():
        return f"{interval.start:%Y-%m-%d %H:%M}-{interval.end:%H:%M}"
    return f"{interval.start:%Y-%m-%d %H:%M} to {interval.end:%Y-%m-%d %H:%M}"


def busy_sources(scenario: Scenario, student: Student, position: int) -> list[BusySource]:
    """Every piece of busy time that applies to the student, program calendars first."""
    first, last = scenario.term.start, scenario.term.end
    sources = []
    for index, calendar in enumerate(scenario.program_calendars):
        if not matches(student, calendar.profession, calendar.cohort):
            continue
        owner = calendar.profession + (f" {calendar.cohort}" if calendar.cohort else "")
        path = f"program_calendars[{index}]"
        sources += _pieces(
            codes.BUSY_PROGRAM_CALENDAR,
            f"program calendar {owner}",
            path,
            calendar.unavailable,
            calendar.weekly_unavailable,
            first,
            last,
        )
    path = f"students[{position}]"
    sources += _pieces(
        codes.BUSY_PERSONAL,
        "personal time",
        path,
        student.unavailable,
        student.weekly_unavailable,
        first,
        last,
    )
    return sources


def _pieces(
    code: str,
    owner: str,
    path: str,
    intervals: list[Interval],
    weekly: list[WeeklyWindow],
    first: date,
    last: date,
) -> list[BusySource]:
    pieces = [
        BusySource(
            code,
            f"{owner} {interval_label(item)}",
            f"{path}.unavailable[{j}]",
            Busy.build([item], [], first, last),
        )
        for j, item in enumerate(intervals)
    ]
    pieces += [
        BusySource(
            code,
            f"{owner} {weekly_label(item)}",
            f"{path}.weekly_unavailable[{j}]",
            Busy.build([], [item], first, last),
        )
        for j, item in enumerate(weekly)
    ]
    return pieces
