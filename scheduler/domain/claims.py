"""Whether a schedule's claims hold: claimed values against recomputed ones, and bounds
against schedules that would beat them.

A claimed bound of a level holds for every schedule whose earlier levels equal the values
the claim went through (the levels are solved in order, each frozen before the next), so a
valid schedule refutes the bound of the first level it beats while matching every level
before it. Pure functions over the contract's objects; `ipe check` and the solver use them.
"""

from __future__ import annotations

from collections.abc import Mapping

from scheduler.domain.schedule import Schedule

MAXIMISED = frozenset(
    {"coverage", "distinct_sites", "distinct_tags", "scores", "worst_satisfaction"}
)
"""Objectives where more is better; every other objective is minimised."""
TOLERANCE = 1e-6


def beats(name: str, value: float, bound: float) -> bool:
    """True when `value` is strictly better than the bound of level `name`."""
    if name in MAXIMISED:
        return value > bound + TOLERANCE
    return value < bound - TOLERANCE


def claim_problems(schedule: Schedule, recomputed: Mapping[str, float]) -> list[str]:
    """Levels whose claimed value differs from the recomputed one, or whose claimed bound the
    schedule itself beats; one sentence each, naming the level."""
    problems = []
    for level in schedule.objectives:
        actual = recomputed.get(level.name)
        if actual is None or level.value is None:
            continue
        if abs(actual - level.value) > TOLERANCE:
            problems.append(
                f"{level.name}: the schedule claims {level.value:g}, "
                f"but its placements and sessions give {actual:g}"
            )
        if level.bound is not None and beats(level.name, actual, level.bound):
            problems.append(
                f"{level.name}: the claimed bound {level.bound:g} is beaten by the "
                f"schedule's own value {actual:g}"
            )
    return problems


def refuted_bounds(claimed: Schedule, candidate: Mapping[str, float]) -> list[str]:
    """The claimed bound that a valid schedule with objective values `candidate` beats, when it
    matches the claim on every level before (at most one sentence: later bounds assume it)."""
    for level in claimed.objectives:
        value = candidate.get(level.name)
        if value is None:
            return []
        if level.bound is not None and beats(level.name, value, level.bound):
            return [
                f"{level.name}: the claimed bound {level.bound:g} is beaten by a valid "
                f"schedule with {value:g}"
            ]
        if level.value is None or abs(value - level.value) > TOLERANCE:
            return []
    return []
