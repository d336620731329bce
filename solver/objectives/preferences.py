"""Preferences: sum of the rank of each placement's site in the student's list (minimised);
an unranked site counts as len(site_preferences) + 1."""

from __future__ import annotations

from solver.bounds import TermBounds
from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule, TieBreak, ValueOf, held_options


def build(model: TermModel) -> Objective:
    terms = [
        option.rank * model.place[info.id, option.slot]
        for info in model.prep.students.values()
        for option in info.options
    ]
    return Objective("preferences", sum(terms), maximize=False)


def evaluate(model: TermModel, value_of: ValueOf) -> float:
    return float(sum(option.rank for option in held_options(model, value_of)))


def bound(bounds: TermBounds, fixed: dict[str, float]) -> float:
    """Least rank sum of the placements the fixed coverage needs (flows, joint LP)."""
    return bounds.preferences(fixed)


def tie_break(model: TermModel) -> TieBreak | None:
    """Preferences as the coverage level's tie-break: coverage never moves a placement away
    from a better-ranked site for nothing, which the next level could not always undo."""
    built = build(model)
    if isinstance(built.expression, int | float):
        return None
    most = sum(
        info.count * max(o.rank for o in info.options)
        for info in model.prep.students.values()
        if info.options
    )
    return TieBreak(built.expression, most + 1)


OBJECTIVE = ObjectiveModule(
    name="preferences",
    maximize=False,
    build=build,
    evaluate=evaluate,
    bound=bound,
    polish_cost=lambda option: option.rank,
    polish_holds=True,
    tie_break=tie_break,
)
