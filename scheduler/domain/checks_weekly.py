"""Semantic checks of the capacity-calendar extension: units, weekly capacities, history
and tag limits (called from `scheduler.domain.checks`; same `Problems` list)."""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from scheduler.domain.scenario import Scenario


class _Problems(Protocol):
    def add(self, path: str, message: str) -> None: ...


def check_weekly(scenario: Scenario, problems: _Problems) -> None:
    """Every problem of the extension's fields, with the JSON path of each."""
    _check_units(scenario, problems)
    _check_capacities(scenario, problems)
    _check_history(scenario, problems)
    for i, requirement in enumerate(scenario.placement_requirements):
        for tag, limit in requirement.tag_limits.items():
            if requirement.tags.get(tag, 0) > limit:
                problems.add(
                    f"placement_requirements[{i}].tag_limits.{tag}",
                    f"tag limit {limit} is below the tag minimum {requirement.tags[tag]}",
                )


def _check_units(scenario: Scenario, problems: _Problems) -> None:
    units = {site.id: {u.id for u in site.units} for site in scenario.sites}
    for i, site in enumerate(scenario.sites):
        seen = Counter(u.id for u in site.units)
        for j, unit in enumerate(site.units):
            if seen[unit.id] > 1 and unit.id in {u.id for u in site.units[:j]}:
                problems.add(f"sites[{i}].units[{j}].id", f"duplicate unit id {unit.id!r}")
    for i, slot in enumerate(scenario.slots):
        if slot.unit is not None and slot.unit not in units.get(slot.site, set()):
            problems.add(f"slots[{i}].unit", f"unknown unit {slot.unit!r} of site {slot.site!r}")


def _check_capacities(scenario: Scenario, problems: _Problems) -> None:
    units = {site.id: {u.id for u in site.units} for site in scenario.sites}
    professions = {p.code for p in scenario.professions}
    for i, row in enumerate(scenario.weekly_capacities):
        path = f"weekly_capacities[{i}]"
        if row.site not in units:
            problems.add(f"{path}.site", f"unknown site {row.site!r}")
        elif row.unit is not None and row.unit not in units[row.site]:
            problems.add(f"{path}.unit", f"unknown unit {row.unit!r} of site {row.site!r}")
        if row.profession is not None and row.profession not in professions:
            problems.add(f"{path}.profession", f"unknown profession {row.profession!r}")
        for j, week in enumerate(row.weeks):
            if week.weekday() != 0:
                problems.add(f"{path}.weeks[{j}]", f"{week} is not a Monday (weeks start Monday)")
        for name in ("first_week", "last_week"):
            week = getattr(row, name)
            if week is not None and week.weekday() != 0:
                problems.add(f"{path}.{name}", f"{week} is not a Monday (weeks start Monday)")
        if row.weeks and (row.first_week is not None or row.last_week is not None):
            problems.add(path, "give either `weeks` or `first_week`/`last_week`, not both")
        if row.first_week and row.last_week and row.last_week < row.first_week:
            problems.add(f"{path}.last_week", "last_week is before first_week")


def _check_history(scenario: Scenario, problems: _Problems) -> None:
    for i, student in enumerate(scenario.students):
        for j, item in enumerate(student.history):
            if item.end < item.start:
                problems.add(
                    f"students[{i}].history[{j}].end",
                    f"earlier placement ends ({item.end}) before it starts ({item.start})",
                )
