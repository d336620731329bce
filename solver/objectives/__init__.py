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
    from solver.objectives import coverage, preferences, team_balance, travel

    return {
        "coverage": coverage.build,
        "preferences": preferences.build,
        "travel_fairness": travel.build_fairness,
        "travel_total": travel.build_total,
        "team_balance": team_balance.build,
    }
