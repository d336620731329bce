"""Travel: the worst single placement's distance (fairness) and the total (both minimised)."""

from __future__ import annotations

from solver.model import TermModel
from solver.objectives import Objective
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
