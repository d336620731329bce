"""Equity gap: the worst gap in mean travel per student between an attribute group and the
rest (minimised, reported in km to the metre; docs/objectives.md).

The means divide by fixed group sizes (every student who needs placements counts, placed or
not), so the gap is linear in the placement variables: with T_G the group's travel in
0.1 km, T the whole population's, g = |G| and r = |rest|,
    mean_G - mean_rest = (n*T_G - g*T) / (g*r)   (in 0.1 km).
`worst * g * r >= 100 * |n*T_G - g*T|` for every group makes the least feasible `worst` the
largest gap in metres rounded up: exactly what the validator recomputes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ortools.sat.python import cp_model

from scheduler.domain.equity_groups import GapGroups, gap_groups, travel_gap_metres
from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule

METRES_PER_TENTH = 100
METRES_PER_KM = 1000
UNIT = 1 / METRES_PER_KM
"""Reported km per model unit (the model counts metres)."""


def build(model: TermModel) -> Objective:
    """worst >= each eligible group's gap in metres; 0 (a constant) without such groups."""
    chosen = gap_groups(model.prep.scenario)
    if not chosen.groups:
        return Objective("equity_gap", 0, maximize=False, unit=UNIT)
    cp = model.cp
    travel, most = _student_travel(model, chosen)
    total = _sum_var(model, chosen.population, travel, most, "equity_travel_total")
    top = METRES_PER_TENTH * max(most.values(), default=0)
    worst = cp.new_int_var(0, top, "equity_gap_worst")
    model.helpers.append(worst)
    n = len(chosen.population)
    for group in chosen.groups:
        size, rest = len(group.members), n - len(group.members)
        group_total = _sum_var(model, group.members, travel, most, f"equity_travel[{group.label}]")
        difference = METRES_PER_TENTH * (n * group_total - size * total)
        cp.add(difference <= size * rest * worst)
        cp.add(-difference <= size * rest * worst)
    return Objective("equity_gap", worst, maximize=False, unit=UNIT)


def _student_travel(
    model: TermModel, chosen: GapGroups
) -> tuple[dict[str, cp_model.LinearExprT], dict[str, int]]:
    """Each student's travel (0.1 km) over their modelled options, and its largest value."""
    travel: dict[str, cp_model.LinearExprT] = {}
    most: dict[str, int] = {}
    for sid in chosen.population:
        info = model.prep.students[sid]
        travel[sid] = sum(o.travel * model.place[sid, o.slot] for o in info.options)
        most[sid] = info.count * max((o.travel for o in info.options), default=0)
    return travel, most


def _sum_var(
    model: TermModel,
    students: Iterable[str],
    travel: dict[str, cp_model.LinearExprT],
    most: dict[str, int],
    name: str,
) -> cp_model.IntVar:
    """A variable equal to the students' summed travel: one long sum per group, not per
    constraint, so each group's two inequalities stay short."""
    ids = list(students)
    var = model.cp.new_int_var(0, sum(most[s] for s in ids), name)
    model.cp.add(var == sum(travel[s] for s in ids))
    model.helpers.append(var)
    return var


def value(model: TermModel, value_of: Callable[[cp_model.IntVar], int]) -> float:
    """The level's value (km) in a solution given variable by variable."""
    chosen = gap_groups(model.prep.scenario)
    travel = {
        sid: sum(
            o.travel * value_of(model.place[sid, o.slot]) for o in model.prep.students[sid].options
        )
        for sid in chosen.population
    }
    worst = max(
        (travel_gap_metres(g.members, chosen.population, travel) for g in chosen.groups),
        default=0,
    )
    return worst / METRES_PER_KM


OBJECTIVE = ObjectiveModule(name="equity_gap", maximize=False, build=build, evaluate=value)
