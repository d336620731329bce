"""Clerkship terms (student plans, extension): the shipped fixture solves in seconds with
every plan complete and proven, the generated family's greedy start keeps rule 9, and the
family has the shape that defines it."""

from __future__ import annotations

import json

from ortools.sat.python import cp_model
from solver_helpers import level, solve_valid

from fixtures import fixture_path
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from scheduler.synthetic_clerkship import BLOCK_DAYS, BLOCKS
from scheduler.synthetic_families import family_named
from solver.driver import default_workers
from solver.model import TermModel
from solver.plan_greedy import plan_start
from solver.prepare import prepare
from solver.readout import read_schedule
from solver.rules import apply_rules


def _fixture() -> Scenario:
    return Scenario.model_validate(json.loads(fixture_path("clerkship").read_text()))


def test_the_fixture_completes_every_plan_with_a_proven_coverage():
    scenario = _fixture()
    schedule = solve_valid(scenario, time_limit_s=10)  # validator: no repeat, precedences
    needed = sum(s.plan.count for s in scenario.students if s.plan is not None)
    coverage = level(schedule, "coverage")
    assert coverage.value == coverage.bound == needed
    assert schedule.unassigned == []
    for name in ("worst_satisfaction", "scores"):
        result = level(schedule, name)
        assert result.bound is not None and result.value <= result.bound
    compact = level(schedule, "compactness")
    assert compact.bound is not None and compact.bound <= compact.value


def test_the_greedy_start_keeps_every_rule_of_a_generated_term():
    scenario = generate_term(students=40, seed=3, family=family_named("clerkship"))
    model = TermModel(prepare(scenario))
    apply_rules(model)

    def make() -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = min(2, default_workers())
        solver.parameters.max_time_in_seconds = 10
        return solver

    values = plan_start(model, make, seed=0)
    assert values is not None
    schedule = read_schedule(model, values, "feasible", [], SolveInfo())
    assert validate_schedule(scenario, schedule) == []
    needed = sum(s.plan.count for s in scenario.students if s.plan is not None)
    assert len(schedule.placements) >= 0.9 * needed


def test_the_family_plans_fit_the_horizon_and_rotations_overlap():
    scenario = generate_term(students=60, seed=5, family=family_named("clerkship"))
    lengths = {
        s.discipline: (p.end - p.start).days + 1
        for s in scenario.slots
        for p in scenario.periods
        if p.id == s.period
    }
    for student in scenario.students:
        plan = student.plan
        assert plan is not None and plan.count >= 5
        longest = sorted(lengths[d] for d in plan.disciplines)[-plan.count :]
        assert sum(longest) <= BLOCKS * BLOCK_DAYS
    assert {d for d in lengths.values()} >= {BLOCK_DAYS, 3 * BLOCK_DAYS}
    assert any(s.plan.precedences for s in scenario.students if s.plan is not None)
    starts = {(p.start, p.end) for p in scenario.periods}
    assert len(starts) > BLOCKS  # rotations of several lengths at every start overlap
