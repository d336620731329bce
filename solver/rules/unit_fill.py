"""Unit minimum fill (extension): in every week a usable slot of a unit with `min_fill` is
active, at least `min_fill` students are placed in the unit. Hard: a term that cannot meet
it has no schedule, and the driver answers `infeasible` (`fill_errors` says where)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ortools.sat.python import cp_model

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem
from solver.model import TermModel
from solver.rules.weekly_capacity import slot_weeks

NO_FILL = (
    "no schedule filling every unit to its min_fill in each active week was found within "
    "the time limit: min_fill conflicts with the other rules (weekly capacities, clashes, "
    "tag limits, eligibility) or needs more time"
)


def unit_weeks(scenario: Scenario) -> dict[tuple[str, str, int], set[date]]:
    """(site, unit, min_fill) -> the weeks a usable slot of the unit is active."""
    fills = {(s.id, u.id): u.min_fill for s in scenario.sites for u in s.units if u.min_fill}
    weeks = slot_weeks(scenario)
    active: dict[tuple[str, str, int], set[date]] = defaultdict(set)
    for slot in scenario.slots:
        key = (slot.site, slot.unit or "")
        if key in fills and slot.status != "declined" and slot.capacity > 0:
            active[slot.site, slot.unit or "", fills[key] or 0] |= set(weeks[slot.id])
    return active


def add(model: TermModel) -> None:
    """One `sum >= min_fill` per unit and active week."""
    scenario = model.prep.scenario
    active = unit_weeks(scenario)
    if not active:
        return
    weeks = slot_weeks(scenario)
    units = {slot.id: (slot.site, slot.unit or "") for slot in scenario.slots}
    in_unit: dict[tuple[str, str, date], list[cp_model.IntVar]] = defaultdict(list)
    for info in model.prep.students.values():
        for option in info.options:
            site, unit = units[option.slot]
            for week in weeks[option.slot]:
                in_unit[site, unit, week].append(model.place[info.id, option.slot])
    for (site, unit, least), active_weeks in active.items():
        for week in active_weeks:
            model.cp.add(sum(in_unit.get((site, unit, week), [])) >= least)


def fill_errors(scenario: Scenario) -> list[ErrorItem]:
    """Why no schedule exists when units declare `min_fill`: each unit and week whose
    active slots offer fewer seats than it needs, or the general reason."""
    if not any(u.min_fill for s in scenario.sites for u in s.units):
        return []
    weeks = slot_weeks(scenario)
    errors = []
    for (site, unit, least), active_weeks in sorted(unit_weeks(scenario).items()):
        for week in sorted(active_weeks):
            seats = sum(
                s.capacity
                for s in scenario.slots
                if s.site == site and (s.unit or "") == unit and s.status != "declined"
                if week in weeks[s.id]
            )
            if seats < least:
                errors.append(
                    ErrorItem(
                        path=f"sites.{site}.units.{unit}.min_fill",
                        message=f"unit {unit} of site {site} needs {least} students in the "
                        f"week of {week}, its slots offer {seats} seats that week",
                    )
                )
    return errors or [ErrorItem(path="sites", message=NO_FILL)]
