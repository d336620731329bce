"""A level's reported value is what the decisions achieve, even when the search stops at a
solution whose helper variable (the worst travel) is not tight: here a solution is forced
with the helper at its top while the placement held is the near one."""

from __future__ import annotations

from factories import site, slot, student
from ortools.sat.python import cp_model
from solver_helpers import placements_only

from solver import driver
from solver.model import TermModel
from solver.objectives import builders
from solver.prepare import prepare
from solver.rules import apply_rules


def test_a_stopped_level_reports_the_worst_travel_actually_held():
    scenario = placements_only(
        students=[student("n1", home={"lat": 45.0, "lon": -75.1})],
        sites=[site("H1"), site("H2", lat=45.5)],
        slots=[slot("L1"), slot("L2", site="H2")],
    )
    model = TermModel(prepare(scenario))
    apply_rules(model)
    fairness = builders()["travel_fairness"](model)
    worst = model.helpers[-1]
    near = model.place["n1", "L1"]
    start = {var.index: 0 for var in model.all_variables()}
    start[near.index] = 1
    options = model.prep.students["n1"].options
    start[worst.index] = max(o.travel for o in options)  # valid, the helper not tight
    driver._hint(model, start)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    assert solver.solve(model.cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert solver.value(worst) == start[worst.index]
    held = next(o.travel for o in options if o.slot == "L1")
    assert driver._achieved(model, fairness, solver, optimal=False) == held
