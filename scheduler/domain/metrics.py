"""Schedule metrics for coordinators: coverage, preference ranks and travel, by profession.

Computed from the scenario and the schedule alone, so any stored schedule can be measured.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from scheduler.domain.geo import travel_between
from scheduler.domain.matching import matching_requirement, participates
from scheduler.domain.scenario import PlacementRequirement, Scenario, Student
from scheduler.domain.schedule import Schedule


def schedule_metrics(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    """Coverage per activity and requirement, preference ranks and travel, by profession."""
    return {
        "coverage": _coverage(scenario, schedule),
        "preference_ranks": _preference_ranks(scenario, schedule),
        "travel_km": _travel(scenario, schedule),
    }


def _ratio(met: int, total: int) -> float:
    return round(met / total, 4) if total else 1.0


def _coverage(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    attended = {
        (student, entry.activity)
        for entry in schedule.sessions
        for team in entry.teams
        for student in team.students
    }
    held = Counter(p.student for p in schedule.placements)
    activities: dict[str, Any] = {}
    for activity in scenario.activities:
        students = [s for s in scenario.students if participates(s, activity)]
        by_profession: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for student in students:
            counts = by_profession[student.profession]
            counts[0] += (student.id, activity.id) in attended
            counts[1] += 1
        met = sum(c[0] for c in by_profession.values())
        activities[activity.id] = _entry(met, len(students), by_profession)
    requirements: dict[str, Any] = {}
    for requirement in scenario.placement_requirements:
        by_profession = defaultdict(lambda: [0, 0])
        for student in scenario.students:
            if matching_requirement(student, scenario.placement_requirements) is not requirement:
                continue
            count = _count(student, requirement)
            counts = by_profession[student.profession]
            counts[0] += min(held[student.id], count)
            counts[1] += count
        met = sum(c[0] for c in by_profession.values())
        total = sum(c[1] for c in by_profession.values())
        requirements[requirement.key] = _entry(met, total, by_profession)
    needs_met = sum(a["met"] for a in activities.values()) + sum(
        r["met"] for r in requirements.values()
    )
    needs = sum(a["needs"] for a in activities.values()) + sum(
        r["needs"] for r in requirements.values()
    )
    return {
        "needs": needs,
        "met": needs_met,
        "rate": _ratio(needs_met, needs),
        "activities": activities,
        "requirements": requirements,
    }


def _entry(met: int, total: int, by_profession: dict[str, list[int]]) -> dict[str, Any]:
    return {
        "needs": total,
        "met": met,
        "rate": _ratio(met, total),
        "by_profession": {
            p: {"needs": c[1], "met": c[0], "rate": _ratio(c[0], c[1])}
            for p, c in sorted(by_profession.items())
        },
    }


def _preference_ranks(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    students = {s.id: s for s in scenario.students}
    sites = {slot.id: slot.site for slot in scenario.slots}
    overall: Counter[str] = Counter()
    by_profession: dict[str, Counter[str]] = defaultdict(Counter)
    for placement in schedule.placements:
        student = students[placement.student]
        site = sites[placement.slot]
        rank = (
            str(student.site_preferences.index(site) + 1)
            if site in student.site_preferences
            else "unranked"
        )
        overall[rank] += 1
        by_profession[student.profession][rank] += 1
    return {
        "distribution": dict(sorted(overall.items())),
        "by_profession": {p: dict(sorted(c.items())) for p, c in sorted(by_profession.items())},
    }


def _travel(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    students = {s.id: s for s in scenario.students}
    slots = {s.id: s for s in scenario.slots}
    sites = {s.id: s for s in scenario.sites}
    values: list[float] = []
    by_profession: dict[str, list[float]] = defaultdict(list)
    for placement in schedule.placements:
        site = sites[slots[placement.slot].site]
        km = travel_between(students[placement.student].home, site.location)
        values.append(km)
        by_profession[students[placement.student].profession].append(km)
    return {
        **_summary(values),
        "by_profession": {p: _summary(v) for p, v in sorted(by_profession.items())},
    }


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "p90": 0.0, "max": 0.0}
    ordered = sorted(values)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {
        "mean": round(sum(ordered) / len(ordered), 1),
        "p90": round(p90, 1),
        "max": round(ordered[-1], 1),
    }


def _count(student: Student, requirement: PlacementRequirement) -> int:
    """Placements the student needs: their plan's count when they have one."""
    return student.term_plan.count if student.term_plan is not None else requirement.count
