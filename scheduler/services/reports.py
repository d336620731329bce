"""Summaries of a schedule for people: how many needs it meets, activity by activity.

Counted from the scenario and the schedule alone, so the figures do not depend on what the
solver chose to put in `metrics`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.scenario import Activity, Scenario
from scheduler.domain.schedule import Schedule


@dataclass(frozen=True)
class Coverage:
    """Needs met out of needs owed, for one activity or for placements."""

    name: str
    met: int
    total: int


def coverage(scenario: Scenario, schedule: Schedule) -> list[Coverage]:
    """One line per activity, then one for placements (when the term has any)."""
    lines = [_activity_coverage(scenario, schedule, activity) for activity in scenario.activities]
    if scenario.placement_requirements:
        lines.append(_placement_coverage(scenario, schedule))
    return lines


def total_coverage(lines: list[Coverage]) -> Coverage:
    """All needs together: the value the `coverage` objective maximises."""
    return Coverage("all needs", sum(c.met for c in lines), sum(c.total for c in lines))


def _activity_coverage(scenario: Scenario, schedule: Schedule, activity: Activity) -> Coverage:
    owed = {s.id for s in scenario.students if participates(s, activity)}
    attending = {
        student
        for assignment in schedule.sessions
        if assignment.activity == activity.id
        for team in assignment.teams
        for student in team.students
    }
    return Coverage(activity.id, len(owed & attending), len(owed))


def _placement_coverage(scenario: Scenario, schedule: Schedule) -> Coverage:
    held = Counter(p.student for p in schedule.placements)
    met = total = 0
    for student in scenario.students:
        requirement = requirement_for(student, scenario.placement_requirements)
        if requirement is not None:
            total += requirement.count
            met += min(held[student.id], requirement.count)
    return Coverage("placements", met, total)
