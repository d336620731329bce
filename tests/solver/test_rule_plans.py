"""Rule 9 (extension): each student-plan rule module holds its rule on its own.

As in test_rule_modules.py: a bare model (TermModel plus the rule modules, coverage
maximised, no heuristic). On each planted term every coverage optimum breaks the rule when
its module is left out, and the validator accepts the optimum when it is in. Then the same
terms through the product's solve: valid, with a proven coverage bound.
"""

from __future__ import annotations

import pytest
from clerkship_factories import BLOCKS, clerkship, med, ward
from factories import weekly
from ortools.sat.python import cp_model
from solver_helpers import level, solve_valid

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from solver.model import TermModel
from solver.objectives import builders
from solver.prepare import prepare
from solver.readout import read_schedule, snapshot
from solver.rules import RULES

TWO = {"required": ["SURG", "PED"]}


def _optimum(scenario: Scenario, without: str | None) -> tuple[int, set[str]]:
    """Coverage optimum of the bare model and the validator's codes for it."""
    model = TermModel(prepare(scenario))
    for name, rule in RULES:
        if name != without:
            rule(model)
    model.cp.maximize(builders()["coverage"](model).expression)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    schedule = read_schedule(model, snapshot(model, solver), "feasible", [], SolveInfo())
    return len(schedule.placements), {v.code for v in validate_schedule(scenario, schedule)}


def _qualification() -> Scenario:
    return clerkship([med("m1")], [ward("H1", "SURG", "B1", requires=["ALS"])])


def _repeat() -> Scenario:
    return clerkship([med("m1", TWO)], [ward("H1", "SURG", "B1"), ward("H1", "SURG", "B3")])


def _outside_plan() -> Scenario:
    return clerkship([med("m1", TWO)], [ward("H1", "SURG", "B1"), ward("H1", "MED", "B3")])


def _elective() -> Scenario:
    plan = {"required": ["PED"], "electives": [{"choose": 1, "among": ["SURG", "MED"]}]}
    return clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H1", "MED", "B3")])


def _shared_dates() -> Scenario:
    """B12 on Mondays and B2 on Tuesdays: no clashing hours (rule 2), shared dates."""
    periods = [
        {
            "id": "B12",
            "start": BLOCKS["B12"][0],
            "end": BLOCKS["B12"][1],
            "weekly": [weekly("mon", "08:00", "16:00")],
        },
        {
            "id": "B2",
            "start": BLOCKS["B2"][0],
            "end": BLOCKS["B2"][1],
            "weekly": [weekly("tue", "08:00", "16:00")],
        },
    ]
    slots = [ward("H1", "SURG", "B12"), ward("H1", "PED", "B2")]
    return clerkship([med("m1", TWO)], slots, periods=periods)


def _precedence() -> Scenario:
    plan = {**TWO, "precedences": [{"before": "SURG", "after": "PED"}]}
    return clerkship([med("m1", plan)], [ward("H1", "SURG", "B3"), ward("H1", "PED", "B1")])


def _min_gap() -> Scenario:
    plan = {**TWO, "min_gap_days": 1}
    return clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H1", "PED", "B2")])


def _max_gap() -> Scenario:
    plan = {**TWO, "max_gap_days": 27}
    return clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H1", "PED", "B3")])


def _per_site() -> Scenario:
    plan = {**TWO, "max_per_site": 1}
    return clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H1", "PED", "B2")])


def _site_change() -> Scenario:
    plan = {**TWO, "max_site_changes": 0}
    return clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H2", "PED", "B2")])


CASES = [
    ("qualifications", _qualification, "qualification_missing"),
    ("disciplines", _repeat, "discipline_repeated"),
    ("disciplines", _outside_plan, "discipline_not_in_plan"),
    ("disciplines", _elective, "elective_over_choice"),
    ("rotation_overlap", _shared_dates, "rotations_overlap"),
    ("precedences", _precedence, "precedence_broken"),
    ("rotation_gaps", _min_gap, "gap_too_short"),
    ("rotation_gaps", _max_gap, "gap_too_long"),
    ("max_per_site", _per_site, "site_over_max"),
    ("site_changes", _site_change, "too_many_site_changes"),
]


@pytest.mark.parametrize(("module", "make", "code"), CASES, ids=[c[2] for c in CASES])
def test_rule_module_holds_its_rule_alone(module, make, code):
    scenario = make()
    assert module in dict(RULES)
    _, codes_without = _optimum(scenario, without=module)
    assert code in codes_without
    _, codes_with = _optimum(scenario, without=None)
    assert codes_with == set()


@pytest.mark.parametrize(("module", "make", "code"), CASES, ids=[c[2] for c in CASES])
def test_the_product_solve_keeps_the_rule_with_a_proven_coverage(module, make, code):
    schedule = solve_valid(make(), time_limit_s=10)
    coverage = level(schedule, "coverage")
    assert coverage.value == coverage.bound == len(schedule.placements)


def test_boundary_gap_exactly_at_the_limits_keeps_both_rotations():
    plan = {**TWO, "min_gap_days": 28, "max_gap_days": 28}
    scenario = clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H1", "PED", "B3")])
    placed, codes = _optimum(scenario, without=None)
    assert placed == 2 and codes == set()


def test_precedence_boundary_before_ends_the_day_before():
    plan = {**TWO, "precedences": [{"before": "SURG", "after": "PED"}]}
    scenario = clerkship([med("m1", plan)], [ward("H1", "SURG", "B12"), ward("H1", "PED", "B3")])
    placed, codes = _optimum(scenario, without=None)
    assert placed == 2 and codes == set()
