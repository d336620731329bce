"""Rows and objectives of the GLOP relaxations, set coefficient by coefficient.

pywraplp's natural API (`lp.Add(sum(xs) <= b)`) builds a Python expression tree per row:
building the joint LP of a 2,000-student term took 9 s of its 12 s that way (profiled).
Rows here are lists of (variable, coefficient) pairs; a variable listed twice adds up.
"""

from __future__ import annotations

from collections.abc import Iterable

from ortools.linear_solver import pywraplp

Terms = Iterable[tuple[pywraplp.Variable, float]]
INFINITY = pywraplp.Solver.infinity()


def add_row(
    lp: pywraplp.Solver, terms: Terms, low: float = -INFINITY, high: float = INFINITY
) -> pywraplp.Constraint:
    """low <= sum of coefficient * variable <= high."""
    row = lp.RowConstraint(low, high, "")
    for variable, coefficient in _merged(terms):
        row.SetCoefficient(variable, coefficient)
    return row


def ones(variables: Iterable[pywraplp.Variable], coefficient: float = 1.0) -> list:
    """Every variable with the same coefficient."""
    return [(variable, coefficient) for variable in variables]


def set_objective(lp: pywraplp.Solver, terms: Terms, *, maximize: bool) -> None:
    objective = lp.Objective()
    objective.Clear()
    for variable, coefficient in _merged(terms):
        objective.SetCoefficient(variable, coefficient)
    if maximize:
        objective.SetMaximization()
    else:
        objective.SetMinimization()


def _merged(terms: Terms) -> list[tuple[pywraplp.Variable, float]]:
    merged: dict[int, tuple[pywraplp.Variable, float]] = {}
    for variable, coefficient in terms:
        key = variable.index()
        previous = merged.get(key)
        merged[key] = (variable, coefficient + (previous[1] if previous else 0.0))
    return list(merged.values())
