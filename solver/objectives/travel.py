"""Travel: the worst single placement's distance (fairness) and the total (both minimised)."""

from __future__ import annotations

from solver.bounds import TermBounds
from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule, ValueOf, held_options
from solver.prepare import TRAVEL_SCALE


def build_fairness(model: TermModel) -> Objective:
    """worst >= travel of every placement held."""
    pairs = [
        (option.travel, model.place[info.id, option.slot])
        for info in model.prep.students.values()
        for option in info.options
    ]
    top = max((travel for travel, _ in pairs), default=0)
    worst = model.cp.new_int_var(0, top, "worst_travel")
    model.helpers.append(worst)
    for travel, var in pairs:
        if travel > 0:
            model.cp.add(worst >= travel * var)
    return Objective("travel_fairness", worst, maximize=False, unit=1 / TRAVEL_SCALE)


def build_total(model: TermModel) -> Objective:
    terms = [
        option.travel * model.place[info.id, option.slot]
        for info in model.prep.students.values()
        for option in info.options
    ]
    return Objective("travel_total", sum(terms), maximize=False, unit=1 / TRAVEL_SCALE)


def evaluate_fairness(model: TermModel, value_of: ValueOf) -> float:
    return max((o.travel for o in held_options(model, value_of)), default=0) / TRAVEL_SCALE


def evaluate_total(model: TermModel, value_of: ValueOf) -> float:
    return round(sum(o.travel for o in held_options(model, value_of)) / TRAVEL_SCALE, 6)


def bound_fairness(bounds: TermBounds, fixed: dict[str, float]) -> float:
    return bounds.worst_travel(fixed)


def bound_total(bounds: TermBounds, fixed: dict[str, float]) -> float:
    return bounds.travel_total(fixed)


FAIRNESS = ObjectiveModule(
    name="travel_fairness",
    maximize=False,
    build=build_fairness,
    evaluate=evaluate_fairness,
    bound=bound_fairness,
    polish_holds=True,  # the LP drops options beyond the worst travel fixed
)
TOTAL = ObjectiveModule(
    name="travel_total",
    maximize=False,
    build=build_total,
    evaluate=evaluate_total,
    bound=bound_total,
    bound_cost=3.0,  # 5,000 students: up to three times the last bound (10.6 s)
    polish_cost=lambda option: option.travel,
)
