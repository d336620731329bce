"""Objective levels, one module each, registered in `OBJECTIVES` by policy name; the
driver optimises them in the policy's order.

Each module declares one `ObjectiveModule` (`solver.objectives.base`): its CP-SAT
expression (an `Objective`: a linear expression in model units, its sense, and the factor
that turns model units into reported units; None when the level is empty), its value on
solution values, its whole-term bound, and how the polish LP and tie-breaks treat it. The
driver and the bounds ask this registry; nothing branches on an objective's name.
Owns: the objective levels. Must not import: the driver, scheduler services, api.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.model import TermModel
from solver.objectives import (
    compactness,
    coverage,
    diversity,
    equity_gap,
    preferences,
    scores,
    stability,
    team_balance,
    travel,
)
from solver.objectives.base import Objective, ObjectiveModule, TieBreak

__all__ = [
    "OBJECTIVES",
    "Builder",
    "Objective",
    "ObjectiveModule",
    "TieBreak",
    "builders",
    "level_value",
]

OBJECTIVES: dict[str, ObjectiveModule] = {
    module.name: module
    for module in (
        coverage.OBJECTIVE,
        preferences.OBJECTIVE,
        travel.FAIRNESS,
        travel.TOTAL,
        team_balance.OBJECTIVE,
        equity_gap.OBJECTIVE,
        stability.OBJECTIVE,
        diversity.SITES,
        diversity.TAGS,
        scores.SCORES,
        scores.WORST,
        compactness.OBJECTIVE,
    )
}
"""Every objective level by the name the contract's policy gives it."""

Builder = Callable[[TermModel], Objective | None]


def builders() -> dict[str, Builder]:
    """Objective builders by policy name."""
    return {name: module.build for name, module in OBJECTIVES.items()}


def level_value(name: str, model: TermModel, values: dict[int, int]) -> float | None:
    """A level's value (reported units) in a solution given as values by variable index:
    used when a level keeps a solution CP-SAT did not return itself (None: no such level)."""
    module = OBJECTIVES.get(name)
    return None if module is None else module.value(model, values)
