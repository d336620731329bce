"""The Python check of a complete assignment against a CP-SAT model, which decides whether
a repair's projected start may be trusted as a solution."""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.assignment import complete_max_targets, satisfies


def small_model() -> tuple[cp_model.CpModel, cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 5, "x")
    y = model.new_bool_var("y")
    top = model.new_int_var(0, 5, "top")
    model.add(x + 2 * y <= 5)
    model.add(x >= 3).only_enforce_if(y)
    model.add_max_equality(top, [x, 2])
    model.add_exactly_one([y, y.negated()])
    return model, x, y, top


def test_a_solution_satisfies_and_its_max_targets_are_derived():
    model, x, y, top = small_model()
    values = {x.index: 3, y.index: 1}
    complete_max_targets(model, values)
    assert values[top.index] == 3
    assert satisfies(model, values)


def test_a_broken_constraint_or_domain_or_missing_value_does_not():
    model, x, y, top = small_model()
    assert not satisfies(model, {x.index: 4, y.index: 1, top.index: 4})  # x + 2y > 5
    assert not satisfies(model, {x.index: 1, y.index: 1, top.index: 2})  # enforced x >= 3
    assert not satisfies(model, {x.index: 1, y.index: 0, top.index: 1})  # top != max(x, 2)
    assert not satisfies(model, {x.index: 6, y.index: 0, top.index: 6})  # outside x's domain
    assert not satisfies(model, {x.index: 1, y.index: 0})  # top has no value
    assert satisfies(model, {x.index: 1, y.index: 0, top.index: 2})


def test_an_unknown_kind_of_constraint_is_never_taken_as_satisfied():
    model, x, y, top = small_model()
    model.add_all_different([x, top])
    assert not satisfies(model, {x.index: 1, y.index: 0, top.index: 2})
