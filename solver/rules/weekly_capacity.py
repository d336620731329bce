"""Capacity calendars (extension): in each week a `weekly_capacities` row bounds, the
placements active that week at its site (or unit), of its profession and cohort when
given, number at most its capacity, whatever their periods (periods may overlap)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ortools.sat.python import cp_model

from scheduler.domain.scenario import Scenario, WeeklyCapacity
from scheduler.domain.weeks import capacity_weeks, weeks_between
from solver.model import TermModel


def slot_weeks(scenario: Scenario) -> dict[str, list[date]]:
    """The Mondays of the weeks each slot's period touches."""
    periods = {p.id: weeks_between(p.start, p.end) for p in scenario.periods}
    return {slot.id: periods.get(slot.period, []) for slot in scenario.slots}


def add(model: TermModel) -> None:
    """One `sum <= capacity` per row and week that more students than that could fill."""
    scenario = model.prep.scenario
    if not scenario.weekly_capacities:
        return
    weeks = slot_weeks(scenario)
    units = {slot.id: slot.unit for slot in scenario.slots}
    students = {s.id: s for s in scenario.students}
    by_site: dict[str, list[tuple[str, str, cp_model.IntVar]]] = defaultdict(list)
    for info in model.prep.students.values():
        for option in info.options:
            by_site[option.site].append((info.id, option.slot, model.place[info.id, option.slot]))
    term = scenario.term
    for row in scenario.weekly_capacities:
        bounded = capacity_weeks(row, term.start, term.end)
        per_week: dict[date, list[cp_model.IntVar]] = defaultdict(list)
        for student_id, slot_id, var in by_site.get(row.site, []):
            if counts_against(row, students[student_id], units[slot_id]):
                for week in weeks[slot_id]:
                    if week in bounded:
                        per_week[week].append(var)
        for variables in per_week.values():
            if len(variables) > row.capacity:
                model.cp.add(sum(variables) <= row.capacity)


def counts_against(row: WeeklyCapacity, student, unit: str | None) -> bool:
    """Whether a placement of this student in this unit counts against the row."""
    if row.unit is not None and unit != row.unit:
        return False
    if row.profession is not None and student.profession != row.profession:
        return False
    return row.cohort is None or student.cohort == row.cohort
