"""Complete chosen placements into a whole solution of the model, or say they cannot be.

A greedy start (`solver.plan_greedy`, `solver.feature_start`) chooses placements under the
rules it knows; the model may hold more (any rule module of `solver.rules`) and helper
variables those placements decide (time lines, diversity flags). One CP-SAT solve with
the placements fixed to the chosen ones completes every other variable under every rule,
so a start kept by the driver is always valid; None when the model refuses them (then
they are at most a hint). A hint alone was not taken up: with two workers CP-SAT's first
solutions of a 40-student clerkship term held 175 rotations where the greedy held 229.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from ortools.sat.python import cp_model

from solver.model import TermModel
from solver.readout import snapshot


def complete(
    model: TermModel,
    taken: Collection[tuple[str, str]],
    make_solver: Callable[[], cp_model.CpSolver],
) -> dict[int, int] | None:
    """Every variable's value with exactly the `(student, slot)` placements `taken`."""
    chosen = set(taken)
    for key, var in model.place.items():
        model.cp.add_hint(var, key in chosen)
    solver = make_solver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(model.cp)
    model.cp.clear_hints()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return snapshot(model, solver)


def taken_in(model: TermModel, values: dict[int, int]) -> set[tuple[str, str]]:
    """The placements a set of values holds."""
    return {key for key, var in model.place.items() if values.get(var.index, 0)}
