"""Alternative schedules (solver.alternatives): valid, within tolerance, pairwise different,
claims that hold. Asserts behaviour, never exact values (the searches are time-limited)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.domain.alternatives import (
    Tolerance,
    allowed,
    compare,
    differing_students,
    model_limit,
    within,
)
from scheduler.domain.claims import MAXIMISED, claim_problems, refuted_bounds
from scheduler.domain.loading import load_scenario_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values, validate_schedule
from scheduler.synthetic import generate_term
from scheduler.synthetic_families import family_named
from solver import SolveOptions
from solver.alternatives import solve_alternatives

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"
OPTIONS = SolveOptions(time_limit_s=5, workers=2, seed=0)


@pytest.fixture(scope="module")
def demo():
    return load_scenario_text(DEMO.read_bytes()).scenario


@pytest.fixture(scope="module")
def three(demo) -> list[Schedule]:
    return solve_alternatives(demo, count=3, options=OPTIONS)


def test_tolerance_is_relative_to_the_best_and_the_right_way_round():
    assert within("coverage", 100, 100, 0.0)
    assert not within("coverage", 99, 100, 0.0)
    assert within("coverage", 98, 100, 0.02) and not within("coverage", 97.9, 100, 0.02)
    assert within("preferences", 102, 100, 0.02) and not within("preferences", 102.1, 100, 0.02)
    assert within("preferences", 90, 100, 0.0)  # better is always within
    assert not within("team_balance", 1, 0, 0.5)  # a minimised best of 0 allows only 0
    assert allowed("travel_total", 50.0, 0.1) == pytest.approx(55.0)


def test_model_limits_round_inwards():
    assert model_limit("travel_total", 10.05, 0.0, 0.1) == 100  # 100.5 tenths -> 100
    assert model_limit("coverage", 99.5, 0.0, 1.0) == 100
    assert Tolerance().of("coverage") == 0.0 and Tolerance().of("preferences") == 0.02
    with pytest.raises(ValueError, match="preferences"):
        Tolerance().with_levels({"preferences": 2.0})


@pytest.mark.slow  # solves the demo term (K searches of a few seconds)
def test_three_alternatives_are_valid_within_tolerance_and_pairwise_different(demo, three):
    assert len(three) == 3
    best = objective_values(demo, three[0])
    tolerance = Tolerance()
    for schedule in three:
        assert validate_schedule(demo, schedule) == []
        values = objective_values(demo, schedule)
        assert claim_problems(schedule, values) == []
        for name in demo.policy.objectives:
            assert within(name, values[name], best[name], tolerance.of(name)), name
    for i, first in enumerate(three):
        for second in three[i + 1 :]:
            assert differing_students(first, second)


@pytest.mark.slow  # solves the demo term (K searches of a few seconds)
def test_a_later_bound_is_claimed_only_when_the_earlier_levels_equal_the_best(demo, three):
    best = objective_values(demo, three[0])
    for schedule in three[1:]:
        values = objective_values(demo, schedule)
        same = True
        for level in schedule.objectives:
            if not same:
                trivial = None if level.name in MAXIMISED else 0.0
                assert level.bound == trivial, level.name
            same = same and abs(values[level.name] - best[level.name]) < 1e-6


@pytest.mark.slow  # solves the demo term (K searches of a few seconds)
def test_the_comparison_recomputes_every_column(demo, three):
    table = compare(demo, three, Tolerance())
    assert [c.index for c in table.alternatives] == [1, 2, 3]
    assert table.pairwise_different
    assert all(c.valid and c.within_tolerance for c in table.alternatives)
    assert table.alternatives[0].moved_vs_first == 0
    assert all(c.moved_vs_first > 0 for c in table.alternatives[1:])
    first = table.alternatives[0]
    assert [cell.name for cell in first.objectives] == list(demo.policy.objectives)
    assert set(first.coverage_by_activity) == {a.id for a in demo.activities}
    assert set(first.coverage_by_requirement) == {r.key for r in demo.placement_requirements}


@pytest.mark.slow  # solves the demo term (K searches of a few seconds)
def test_one_alternative_is_the_plain_solve(demo):
    only = solve_alternatives(demo, count=1, options=SolveOptions(time_limit_s=2, workers=1))
    assert len(only) == 1
    assert validate_schedule(demo, only[0]) == []


CASES = Path(__file__).resolve().parents[1] / "reference" / "cases"


FAMILIES = ["default", "clinical-days", "tight-seats", "facilitator-bound"]


def _term(source: str) -> Scenario:
    """A saved reference case (each once broke a claim) or a 40-student generated term."""
    if source.startswith("generated:"):
        return generate_term(students=40, seed=1, family=family_named(source.split(":")[1]))
    return Scenario.model_validate_json((CASES / f"{source}.json").read_text())


@pytest.mark.parametrize(
    "source",
    sorted(p.stem for p in CASES.glob("*.json")) + [f"generated:{f}" for f in FAMILIES],
)
def test_no_alternative_refutes_another_ones_claims(source):
    """Every alternative is valid, claims what the validator recomputes, and no schedule
    beats a bound another one claims (the referee's rule, `claims.refuted_bounds`)."""
    scenario = _term(source)
    found = solve_alternatives(
        scenario, count=3, options=SolveOptions(time_limit_s=2, workers=1, seed=0)
    )
    values = [objective_values(scenario, schedule) for schedule in found]
    for schedule, recomputed in zip(found, values, strict=True):
        if schedule.status in ("optimal", "feasible"):
            assert validate_schedule(scenario, schedule) == []
        assert claim_problems(schedule, recomputed) == []
    for claimed in found:
        for schedule, recomputed in zip(found, values, strict=True):
            if schedule.status in ("optimal", "feasible"):
                assert refuted_bounds(claimed, recomputed) == []
    for i, first in enumerate(found):
        assert all(differing_students(first, other) for other in found[i + 1 :])
    if source.startswith("generated:"):
        assert len(found) == 3  # each of these terms has room for alternatives
