"""Coverage: needs met, i.e. session attendances plus placements held (maximised)."""

from __future__ import annotations

from solver.bounds import TermBounds
from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule, ValueOf, held_options


def build(model: TermModel) -> Objective:
    attended = sum(model.attend.values())
    placed = sum(model.place.values())
    return Objective("coverage", attended + placed, maximize=True)


def evaluate(model: TermModel, value_of: ValueOf) -> float:
    attended = sum(value_of(v) for v in model.attend.values())
    return float(attended + len(held_options(model, value_of)))


def bound(bounds: TermBounds, fixed: dict[str, float]) -> float:
    """Best IPE attendance plus most placements, or the joint LP's (`solver.bounds`)."""
    return float(bounds.coverage())


OBJECTIVE = ObjectiveModule(
    name="coverage",
    maximize=True,
    build=build,
    evaluate=evaluate,
    bound=bound,
    bound_always=True,
    polish_holds=True,  # the LP keeps at least as many placements, sessions held
    takes_tie_breaks=("preferences", "stability"),
)
