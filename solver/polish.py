"""Re-choosing placements for one objective level with everything else held: an LP.

With the IPE side held (each student's placement pattern in the periods that clash with
their sessions stays as it is, and at least as many placements are kept), placement is
a transportation problem plus tag inequalities. Its LP relaxation is almost always
integral, and GLOP solves it in seconds where CP-SAT's search crawls (solver-notes). An
integral LP optimum is a valid schedule at least as good for this level; a fractional one
is discarded and CP-SAT carries on alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from solver.model import TermModel
from solver.prepare import TRAVEL_SCALE, SlotOption, StudentInfo

INTEGRAL = 1e-6


@dataclass(frozen=True)
class Held:
    """What earlier levels fixed that the LP keeps by a row of its own (reported units):
    the rank sum and the worst travel; it holds coverage and the sessions by construction."""

    preferences: float | None
    worst_travel: float | None

    @classmethod
    def of(cls, fixed: dict[str, float]) -> Held:
        """From the values of the levels fixed so far, by policy name."""
        return cls(fixed.get("preferences"), fixed.get("travel_fairness"))


def polish(
    model: TermModel,
    values: dict[int, int],
    cost: Callable[[SlotOption], int],
    held: Held,
    seconds: float | None = None,
) -> dict[int, int] | None:
    """Values with placements re-chosen for the least sum of `cost` (the level's own,
    `ObjectiveModule.polish_cost`), or None when the LP is not integral or not solved
    (within `seconds`, when given: the run's deadline)."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    if seconds is not None:
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
    chosen = {key: values.get(var.index, 0) for key, var in model.place.items()}
    cap = None if held.worst_travel is None else round(held.worst_travel * TRAVEL_SCALE)
    x: dict[tuple[str, str], pywraplp.Variable] = {}
    by_slot: dict[str, list] = defaultdict(list)
    pending: list[StudentInfo] = []
    for info in model.prep.students.values():
        for option in info.options:
            if cap is not None and option.travel > cap:
                continue
            var = solver.NumVar(0, 1, "")
            x[info.id, option.slot] = var
            by_slot[option.slot].append(var)
        pending.append(info)
    capacity = {s.id: s.capacity for s in model.prep.scenario.slots}
    relevant = {
        student: set(c.relevant_periods) for c in model.prep.classes for student in c.students
    }
    for slot, variables in by_slot.items():
        solver.Add(solver.Sum(variables) <= capacity[slot])
    for info in pending:
        _student_rows(solver, model, info, x, chosen, relevant.get(info.id, set()))
    solver.Add(solver.Sum(list(x.values())) >= sum(chosen.values()))
    if held.preferences is not None:
        solver.Add(_costs(model, x, lambda o: o.rank) <= held.preferences + INTEGRAL)
    solver.Minimize(_costs(model, x, cost))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    if any(INTEGRAL < v.solution_value() < 1 - INTEGRAL for v in x.values()):
        return None
    result = dict(values)
    for key, var in model.place.items():
        result[var.index] = int(key in x and x[key].solution_value() > 0.5)
    return result


def _costs(model: TermModel, x: dict, cost) -> pywraplp.LinearExpr:
    terms = []
    for info in model.prep.students.values():
        for option in info.options:
            if (info.id, option.slot) in x:
                terms.append(cost(option) * x[info.id, option.slot])
    return pywraplp.SumArray(terms) if terms else 0


def _student_rows(
    solver: pywraplp.Solver,
    model: TermModel,
    info: StudentInfo,
    x: dict[tuple[str, str], pywraplp.Variable],
    chosen: dict[tuple[str, str], int],
    pattern_periods: set[str],
) -> None:
    """Count, period clashes, tag minimums and the held pattern of one student."""
    mine = [(o, x[info.id, o.slot]) for o in info.options if (info.id, o.slot) in x]
    if not mine:
        return
    solver.Add(solver.Sum([v for _, v in mine]) <= info.count)
    by_period: dict[str, list] = defaultdict(list)
    for option, var in mine:
        by_period[option.period].append(var)
    periods = sorted(by_period)
    for i, first in enumerate(periods):
        for second in periods[i:]:
            if frozenset({first, second}) in model.prep.period_clashes:
                both = by_period[first] + (by_period[second] if second != first else [])
                solver.Add(solver.Sum(both) <= 1)
    for period in pattern_periods:
        held = sum(chosen.get((info.id, o.slot), 0) for o in info.options if o.period == period)
        solver.Add(solver.Sum(by_period.get(period, [])) == held)
    _tag_rows(solver, info, mine)


def _tag_rows(
    solver: pywraplp.Solver, info: StudentInfo, mine: list[tuple[SlotOption, object]]
) -> None:
    """The exact tag-minimum inequality of `solver.rules.tag_minimums`."""
    if info.requirement is None:
        return
    count = info.requirement.count
    for tag, minimum in info.requirement.tags.items():
        if minimum <= 0:
            continue
        untagged = [v for o, v in mine if tag not in o.tags]
        tagged = [v for o, v in mine if tag in o.tags]
        if untagged:
            solver.Add(
                minimum * solver.Sum(untagged) + (minimum - 1) * solver.Sum(tagged)
                <= minimum * (count - 1)
            )
