"""Week grids of a schedule: weekly utilisation per site or unit, and where each student
is each week (the views a nursing trust's coordinators expect), with their CSV rows.

Weeks are the ISO weeks (Monday to Sunday) that the term's periods touch; a placement fills
every week its period touches. A cell's capacity is the tightest weekly capacity of the
site or unit that binds every student (no profession or cohort) in that week, else the
seats of its usable slots active that week. Imports only the domain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.weeks import capacity_weeks, weeks_between


@dataclass(frozen=True)
class SiteWeekRow:
    site: str
    site_name: str
    unit: str | None
    unit_name: str
    placed: tuple[int, ...]
    capacity: tuple[int, ...]

    @property
    def full(self) -> tuple[bool, ...]:
        return tuple(c > 0 and p >= c for p, c in zip(self.placed, self.capacity, strict=True))


@dataclass(frozen=True)
class StudentWeekRow:
    student: str
    name: str
    cohort: str | None
    places: tuple[str, ...]
    """Per week, where the student is ("SITE/UNIT"; "" when nowhere; "; " between two)."""


@dataclass(frozen=True)
class WeekGrids:
    weeks: tuple[date, ...]
    sites: list[SiteWeekRow]
    students: list[StudentWeekRow]


def term_weeks(scenario: Scenario) -> tuple[date, ...]:
    """Mondays of every week a period touches, in order."""
    weeks = {w for p in scenario.periods for w in weeks_between(p.start, p.end)}
    return tuple(sorted(weeks))


def week_grids(scenario: Scenario, schedule: Schedule) -> WeekGrids:
    """Both grids of the schedule."""
    weeks = term_weeks(scenario)
    return WeekGrids(
        weeks, _site_rows(scenario, schedule, weeks), _student_rows(scenario, schedule, weeks)
    )


def _site_rows(
    scenario: Scenario, schedule: Schedule, weeks: tuple[date, ...]
) -> list[SiteWeekRow]:
    periods = {p.id: set(weeks_between(p.start, p.end)) for p in scenario.periods}
    slots = {s.id: s for s in scenario.slots}
    placed: dict[tuple[str, str | None], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    seats: dict[tuple[str, str | None], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for slot in scenario.slots:
        for week in periods.get(slot.period, ()):
            if slot.status != "declined":
                seats[slot.site, slot.unit][week] += slot.capacity
    for p in schedule.placements:
        held = slots.get(p.slot)
        if held is not None:
            for week in periods.get(held.period, ()):
                placed[held.site, held.unit][week] += 1
    rows = []
    for site in scenario.sites:
        units = {u.id: u.name for u in site.units}
        for unit in [None, *units]:
            if (site.id, unit) not in seats:
                continue
            caps = _capacities(scenario, site.id, unit, weeks)
            rows.append(
                SiteWeekRow(
                    site=site.id,
                    site_name=site.name,
                    unit=unit,
                    unit_name=units.get(unit, "") if unit else "",
                    placed=tuple(placed[site.id, unit][w] for w in weeks),
                    capacity=tuple(
                        _cell_capacity(caps[i], seats[site.id, unit][w])
                        for i, w in enumerate(weeks)
                    ),
                )
            )
    return rows


def _cell_capacity(weekly: int | None, seats: int) -> int:
    """The tighter of the weekly capacity (when one binds) and the seats offered."""
    return seats if weekly is None else min(weekly, seats)


def _capacities(
    scenario: Scenario, site: str, unit: str | None, weeks: Sequence[date]
) -> list[int | None]:
    """Per week, the tightest weekly capacity binding every student of the site or unit."""
    term = scenario.term
    caps: list[int | None] = [None] * len(weeks)
    for row in scenario.weekly_capacities:
        if row.site != site or row.unit != unit or row.profession or row.cohort:
            continue
        bounded = capacity_weeks(row, term.start, term.end)
        for i, week in enumerate(weeks):
            if week in bounded:
                current = caps[i]
                caps[i] = row.capacity if current is None else min(current, row.capacity)
    return caps


def _student_rows(
    scenario: Scenario, schedule: Schedule, weeks: tuple[date, ...]
) -> list[StudentWeekRow]:
    periods = {p.id: set(weeks_between(p.start, p.end)) for p in scenario.periods}
    slots = {s.id: s for s in scenario.slots}
    where: dict[str, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
    for p in schedule.placements:
        slot = slots.get(p.slot)
        if slot is None:
            continue
        label = slot.site if slot.unit is None else f"{slot.site}/{slot.unit}"
        for week in periods.get(slot.period, ()):
            where[p.student][week].append(label)
    return [
        StudentWeekRow(
            student=s.id,
            name=s.name,
            cohort=s.cohort,
            places=tuple("; ".join(where[s.id].get(w, [])) for w in weeks),
        )
        for s in sorted(scenario.students, key=lambda s: (s.name, s.id))
        if s.id in where
    ]


def site_week_csv(scenario: Scenario, schedule: Schedule) -> tuple[list[str], list[list[object]]]:
    """Header and rows of the site-by-week grid: a cell is "placed/capacity"."""
    grids = week_grids(scenario, schedule)
    header = ["site", "site_name", "unit", "unit_name", *(w.isoformat() for w in grids.weeks)]
    rows: list[list[object]] = []
    for r in grids.sites:
        cells = [f"{p}/{c}" for p, c in zip(r.placed, r.capacity, strict=True)]
        rows.append([r.site, r.site_name, r.unit or "", r.unit_name, *cells])
    return header, rows


def student_week_csv(
    scenario: Scenario, schedule: Schedule
) -> tuple[list[str], list[list[object]]]:
    """Header and rows of the student-by-week grid: a cell is where the student is."""
    grids = week_grids(scenario, schedule)
    header = ["student", "name", "cohort", *(w.isoformat() for w in grids.weeks)]
    rows: list[list[object]] = [
        [r.student, r.name, r.cohort or "", *r.places] for r in grids.students
    ]
    return header, rows
