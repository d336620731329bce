"""Coverage: needs met, i.e. session attendances plus placements held (maximised)."""

from __future__ import annotations

from solver.model import TermModel
from solver.objectives import Objective


def build(model: TermModel) -> Objective:
    attended = sum(model.attend.values())
    placed = sum(model.place.values())
    return Objective("coverage", attended + placed, maximize=True)
