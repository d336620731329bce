"""Objective levels, one module each; the driver optimises them in the policy's order.

Each builder returns an `Objective` (a linear expression in model units, its sense, and the
factor that turns model units into reported units), or None when the level is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.model import TermModel


@dataclass(frozen=True)
class Objective:
    name: str
    expression: cp_model.LinearExprT
    maximize: bool
    unit: float = 1.0
    """Reported value = model value * unit (travel is modelled in 0.1 km)."""


Builder = Callable[[TermModel], Objective | None]


def builders() -> dict[str, Builder]:
    """Objective builders by policy name."""
    from solver.objectives import (
        compactness,
        coverage,
        equity_gap,
        preferences,
        scores,
        stability,
        team_balance,
        travel,
    )

    return {
        "coverage": coverage.build,
        "preferences": preferences.build,
        "travel_fairness": travel.build_fairness,
        "travel_total": travel.build_total,
        "team_balance": team_balance.build,
        "equity_gap": equity_gap.build,
        "stability": stability.build,
        "scores": scores.build,
        "worst_satisfaction": scores.build_worst,
        "compactness": compactness.build,
    }


def level_value(name: str, model: TermModel, values: dict[int, int]) -> float | None:
    """A level's value (reported units) in a solution given as values by variable index:
    used when a level keeps a solution CP-SAT did not return itself."""
    value = lambda var: values.get(var.index, 0)  # noqa: E731
    held = [
        (option, info.id)
        for info in model.prep.students.values()
        for option in info.options
        if value(model.place[info.id, option.slot])
    ]
    if name == "coverage":
        return float(sum(value(v) for v in model.attend.values()) + len(held))
    if name == "preferences":
        return float(sum(option.rank for option, _ in held))
    if name == "travel_total":
        return round(sum(option.travel for option, _ in held) / 10, 6)
    if name == "travel_fairness":
        return max((option.travel for option, _ in held), default=0) / 10
    if name == "team_balance":
        return float(_uneven_sessions(model, value))
    if name == "equity_gap":
        from solver.objectives import equity_gap

        return equity_gap.value(model, value)
    if name == "stability":
        from solver.objectives import stability

        return stability.value(model, value)
    if name in ("scores", "worst_satisfaction", "compactness"):
        return _plan_value(name, model, [(info_id, option.slot) for option, info_id in held])
    return None


def _plan_value(name: str, model: TermModel, held: list[tuple[str, str]]) -> float:
    """A student-plan level recomputed from the held slots by the domain's definition."""
    from scheduler.domain.plan_rules import plan_objective_values

    scenario = model.prep.scenario
    slots = {s.id: s for s in scenario.slots}
    holds: dict = {}
    for student, slot in held:
        holds.setdefault(student, []).append(slots[slot])
    return plan_objective_values(scenario, holds).get(name, 0.0)


def _uneven_sessions(model: TermModel, value) -> int:
    """Held sessions whose attendees do not divide evenly into their teams."""
    size: dict[str, int] = {}
    for (_class, _pattern, session), var in model.attend.items():
        size[session] = size.get(session, 0) + value(var)
    uneven = 0
    for session, teams in model.teams.items():
        count = value(teams.count)
        uneven += count > 1 and size.get(session, 0) % count != 0
    return uneven
