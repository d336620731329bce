"""Does a complete assignment satisfy every constraint of a CP-SAT model? Checked in Python.

A repair builds its start from the previous schedule by hand (`solver.projection`);
before the driver may trust it as a solution (not just a hint) every constraint is
evaluated here over the model's proto. Only the constraint kinds the rules and objectives
use are known; any other kind makes the answer False, so an unknown constraint is never
skipped. Targets of `max` equalities (the stability objective's helpers) are derived first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ortools.sat.python import cp_model

Values = dict[int, int]


def complete_max_targets(model: cp_model.CpModel, values: Values) -> None:
    """Set every unenforced lin_max target that is a plain variable without a value."""
    for constraint in model.proto.constraints:
        if not constraint.has_lin_max() or len(constraint.enforcement_literal):
            continue
        target = constraint.lin_max.target
        variables = list(target.vars)
        exprs = [_terms(e) for e in constraint.lin_max.exprs]
        if len(variables) != 1 or variables[0] in values:
            continue
        if any(v not in values for terms, _ in exprs for v, _ in terms):
            continue
        best = max(_evaluate(e, values) for e in exprs)
        values[variables[0]] = (best - target.offset) // list(target.coeffs)[0]


def satisfies(model: cp_model.CpModel, values: Values) -> bool:
    """True when every variable has a value in its domain and every constraint holds."""
    proto = model.proto
    for index, variable in enumerate(proto.variables):
        if index not in values or not _in_domain(values[index], list(variable.domain)):
            return False
    return all(_holds(constraint, values) for constraint in proto.constraints)


def _holds(constraint: Any, values: Values) -> bool:
    if not all(_literal(lit, values) for lit in constraint.enforcement_literal):
        return True
    if constraint.has_linear():
        linear = constraint.linear
        total = sum(c * values[v] for v, c in zip(linear.vars, linear.coeffs, strict=True))
        return _in_domain(total, list(linear.domain))
    if constraint.has_bool_or():
        return any(_literal(lit, values) for lit in constraint.bool_or.literals)
    if constraint.has_bool_and():
        return all(_literal(lit, values) for lit in constraint.bool_and.literals)
    if constraint.has_at_most_one():
        return sum(_literal(lit, values) for lit in constraint.at_most_one.literals) <= 1
    if constraint.has_exactly_one():
        return sum(_literal(lit, values) for lit in constraint.exactly_one.literals) == 1
    if constraint.has_lin_max():
        found = [_evaluate(_terms(e), values) for e in constraint.lin_max.exprs]
        return _evaluate(_terms(constraint.lin_max.target), values) == max(found)
    return False


Terms = tuple[list[tuple[int, int]], int]


def _terms(expression: Any) -> Terms:
    """([(variable, coefficient)], offset) of a linear expression proto."""
    return list(zip(expression.vars, expression.coeffs, strict=True)), expression.offset


def _evaluate(expression: Terms, values: Values) -> int:
    pairs, offset = expression
    return offset + sum(c * values[v] for v, c in pairs)


def _literal(literal: int, values: Values) -> bool:
    return bool(values[literal]) if literal >= 0 else not values[-literal - 1]


def _in_domain(value: int, domain: Sequence[int]) -> bool:
    return any(domain[i] <= value <= domain[i + 1] for i in range(0, len(domain), 2))
