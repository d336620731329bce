"""Capacity calendars, units and history: the week arithmetic and lookups the solver shares.

A week is an ISO week, Monday to Sunday, of term-local dates (the contract's dates are
already local, so no time zone arithmetic is needed). A placement is active in every week
its period's dates touch. The independent validator re-implements these few lines on
purpose (`scheduler.domain.validator_weekly`). Imports only the domain models.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from scheduler.domain.scenario import (
    PlacementRequirement,
    Scenario,
    Site,
    Slot,
    Student,
    WeeklyCapacity,
)

WEEK = timedelta(days=7)


def monday(day: date) -> date:
    """The Monday starting the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> list[date]:
    """Mondays of every week that first..last (inclusive) touches."""
    weeks, week = [], monday(first)
    while week <= last:
        weeks.append(week)
        week += WEEK
    return weeks


def capacity_weeks(row: WeeklyCapacity, term_start: date, term_end: date) -> set[date]:
    """The Mondays a weekly capacity row bounds: its list, its range, or every term week."""
    if row.weeks:
        return set(row.weeks)
    first = row.first_week or monday(term_start)
    last = row.last_week or term_end
    return set(weeks_between(first, last))


def site_units(site: Site) -> dict[str, frozenset[str]]:
    """A site's unit ids with their tags."""
    return {unit.id: frozenset(unit.tags) for unit in site.units}


def slot_tags(scenario: Scenario) -> dict[str, frozenset[str]]:
    """The tags each slot's placements carry: its site's plus its unit's."""
    sites = {s.id: s for s in scenario.sites}
    tags = {}
    for slot in scenario.slots:
        site = sites.get(slot.site)
        own = frozenset(site.tags) if site is not None else frozenset()
        if site is not None and slot.unit is not None:
            own |= site_units(site).get(slot.unit, frozenset())
        tags[slot.id] = own
    return tags


def place_of(slot: Slot) -> str:
    """Where a placement is for distinctness: its unit within its site, else its site."""
    return slot.site if slot.unit is None else f"{slot.site}/{slot.unit}"


def history_places(student: Student) -> set[str]:
    """The places (`place_of`) of the student's earlier placements."""
    return {h.site if h.unit is None else f"{h.site}/{h.unit}" for h in student.history}


def history_tags(student: Student) -> set[str]:
    """Every tag of the student's earlier placements."""
    return {tag for h in student.history for tag in h.tags}


def history_tag_count(student: Student, tag: str) -> int:
    """Earlier placements tagged `tag`."""
    return sum(1 for h in student.history if tag in h.tags)


def with_history(
    student: Student, requirement: PlacementRequirement | None
) -> PlacementRequirement | None:
    """The requirement left for this term: each tag minimum less the student's earlier
    placements with the tag (never below 0); the same object when nothing changes."""
    if requirement is None or not student.history or not requirement.tags:
        return requirement
    left = {t: max(0, m - history_tag_count(student, t)) for t, m in requirement.tags.items()}
    if left == requirement.tags:
        return requirement
    return requirement.model_copy(update={"tags": left})


UNUSED: tuple[object, ...] = ((), [], {}, False, None)


def without_unused_extensions(data: dict[str, Any]) -> dict[str, Any]:
    """A dumped scenario without the capacity-calendar and credential fields left at their
    defaults, so a document that does not use them is written as before they existed."""
    optional = (
        ("students", "history"),
        ("students", "credentials"),
        ("sites", "units"),
        ("sites", "required_credentials"),
        ("slots", "unit"),
        ("slots", "required_credentials"),
    )
    for key, items in optional:
        for item in data.get(key, []):
            if item.get(items) in UNUSED:
                item.pop(items, None)
    for requirement in data.get("placement_requirements", []):
        if requirement.get("tag_limits") in UNUSED:
            requirement.pop("tag_limits", None)
    if data.get("policy", {}).get("no_repeat_site") is False:
        data["policy"].pop("no_repeat_site")
    if data.get("weekly_capacities") in UNUSED:
        data.pop("weekly_capacities", None)
    return data
