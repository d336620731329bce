"""The objective protocol (`solver.objectives.OBJECTIVES`): one module per objective name
the contract allows, each evaluating a solution exactly as the independent validator does
(`objective_values`, the referee), and each whole-term bound never beaten by a schedule
solved on small terms (given the levels before it at the schedule's own values)."""

from __future__ import annotations

from typing import get_args

import pytest
from ortools.sat.python import cp_model

from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import ObjectiveName, Scenario
from scheduler.domain.schedule import Schedule, SolveInfo
from scheduler.domain.validator import objective_values, validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions, solve
from solver.bounds import TermBounds
from solver.model import TermModel
from solver.objectives import OBJECTIVES
from solver.prepare import prepare
from solver.readout import read_schedule, snapshot
from solver.rules import apply_rules
from solver.warm import attendance_ceiling

QUICK = SolveOptions(time_limit_s=2, workers=1, seed=0)
ORDERS = [
    None,  # the policy's default order
    ["coverage", "travel_fairness", "travel_total", "preferences", "team_balance", "equity_gap"],
]


def test_the_registry_holds_exactly_the_objectives_the_contract_allows() -> None:
    assert set(OBJECTIVES) == set(get_args(ObjectiveName))
    assert all(name == module.name for name, module in OBJECTIVES.items())


def test_each_built_level_carries_its_modules_name_and_sense() -> None:
    term = generate_term(students=20, seed=1)
    before = solve(term, options=QUICK)
    model = TermModel(prepare(with_previous(term, before)))
    apply_rules(model)
    for name, module in OBJECTIVES.items():
        built = module.build(model)
        assert built is not None, name
        assert (built.name, built.maximize) == (name, module.maximize)


def test_only_a_level_that_takes_tie_breaks_names_levels_that_give_them() -> None:
    for module in OBJECTIVES.values():
        for name in module.takes_tie_breaks:
            assert OBJECTIVES[name].tie_break is not None, (module.name, name)


def _solved_model(scenario: Scenario) -> tuple[TermModel, dict[int, int], Schedule]:
    """A bare model's coverage optimum as values and as a schedule."""
    model = TermModel(prepare(scenario))
    apply_rules(model)
    for module in OBJECTIVES.values():
        module.build(model)  # every level's helpers exist, as in the driver
    coverage = OBJECTIVES["coverage"].build(model)
    assert coverage is not None
    model.cp.maximize(coverage.expression)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    assert solver.solve(model.cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    values = snapshot(model, solver)
    return model, values, read_schedule(model, values, "feasible", [], SolveInfo())


@pytest.mark.parametrize("seed", [1, 2])
def test_each_module_evaluates_a_solution_as_the_validator_does(seed: int) -> None:
    term = generate_term(students=24, seed=seed)
    repair = with_previous(term, solve(term, options=QUICK))
    for scenario in (term, repair):
        model, values, schedule = _solved_model(scenario)
        assert validate_schedule(scenario, schedule) == []
        referee = objective_values(scenario, schedule)
        for name, module in OBJECTIVES.items():
            if name not in referee:
                continue  # stability without a previous schedule
            assert module.value(model, values) == pytest.approx(referee[name], abs=1e-6), name


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("order", ORDERS)
def test_no_bound_is_beaten_by_a_solved_schedule(seed: int, order: list[str] | None) -> None:
    term = generate_term(students=24, seed=seed)
    if order is not None:
        policy = term.policy.model_copy(update={"objectives": order})
        term = term.model_copy(update={"policy": policy})
    first = solve(term, options=QUICK)
    repair = with_previous(term, first)
    for scenario, schedule in ((term, first), (repair, solve(repair, options=QUICK))):
        referee = objective_values(scenario, schedule)
        prep = prepare(scenario)
        bounds = TermBounds.of(prep, attendance_ceiling(prep), joint_seconds=1.0)
        model = TermModel(prep)
        fixed: dict[str, float] = {}
        for name in scenario.policy.objectives:
            module = OBJECTIVES[name]
            value = referee[name]
            bound = module.bound(bounds, fixed)
            if module.model_bound is not None:
                bound = module.model_bound(model)
            if bound is not None:
                beaten = value > bound + 1e-6 if module.maximize else value < bound - 1e-6
                assert not beaten, f"{name}: value {value} beats bound {bound}"
            fixed[name] = value
