"""The `equity_gap` objective: a planted travel gap narrows by the proven amount, at the cost
the equity report states, and every value matches the validator's recomputation.

The planted term: five city students who rank the city site B first and five rural students
(attribute `rural_origin`) 55.6 km north with no preference; B and the site A 11 km east of
the city have five seats each. Without fairness the city students take B (their first
choice, 0 km) and the rural ones A (56.7 km): the rural mean is 56.7 km, the city's 0.
Every swap of a rural student into B narrows the gap by (56.7 - 55.6 + 11.0) / 5 = 2.42 km,
so the fairest schedule swaps all five: gap |55.6 - 11.0| = 44.6 km, for +5 in preferences
(five second choices) and +49.5 km of total travel.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import make_scenario, site, slot, student
from solver_helpers import level, solve_valid

from scheduler.domain.equity import equity_report
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Placement, Schedule
from scheduler.domain.validator import objective_values
from solver.model import TermModel
from solver.objectives import builders, level_value
from solver.prepare import prepare
from solver.rules import apply_rules

CITY = {"lat": 45.0, "lon": -75.0}
NORTH = {"lat": 45.5, "lon": -75.0}
BASELINE = ["coverage", "preferences", "travel_fairness", "travel_total"]
FAIR = ["coverage", "equity_gap"]
GAP_WITHOUT = 56.7
GAP_WITH = 44.6


def planted(objectives: list[str], rural: int = 5, city: int = 5, **overrides: Any) -> Scenario:
    students = [
        student(f"u{i}", home=CITY, site_preferences=["B", "A"], attributes={"rural_origin": False})
        for i in range(city)
    ]
    students += [
        student(f"r{i}", home=NORTH, attributes={"rural_origin": True}) for i in range(rural)
    ]
    fields: dict[str, Any] = {
        "students": students,
        "activities": [],
        "sites": [site("B", 45.0, -75.0), site("A", 45.0, -74.86)],
        "slots": [slot("LB", site="B", capacity=5), slot("LA", site="A", capacity=5)],
        "placement_requirements": [{"profession": "NURS", "count": 1, "tags": {}}],
        "policy": {"objectives": objectives},
    }
    return make_scenario(**{**fields, **overrides})


def gap(scenario: Scenario, schedule: Schedule) -> float:
    return objective_values(scenario, schedule)["equity_gap"]


def test_without_fairness_the_planted_gap_is_there():
    scenario = planted(BASELINE)
    schedule = solve_valid(scenario)
    assert {p.student for p in schedule.placements if p.slot == "LB"} == {f"u{i}" for i in range(5)}
    assert gap(scenario, schedule) == GAP_WITHOUT


def test_fairness_narrows_the_gap_by_the_proven_amount_at_the_stated_cost():
    plain_scenario, fair_scenario = planted(BASELINE), planted(FAIR)
    plain = solve_valid(plain_scenario)
    fair = solve_valid(fair_scenario)  # also checks every level against the validator
    result = level(fair, "equity_gap")
    assert fair.status == "optimal"
    assert result.value == result.bound == GAP_WITH  # no schedule has a smaller gap
    assert gap(fair_scenario, fair) == GAP_WITH
    narrowing = gap(plain_scenario, plain) - result.bound
    assert narrowing == pytest.approx(GAP_WITHOUT - GAP_WITH)  # 12.1 km, proven
    report = equity_report(fair_scenario, fair, baseline=plain)
    cost = {line.objective: line for line in report.cost}
    assert cost["equity_gap"].delta == pytest.approx(-narrowing)
    assert cost["preferences"].delta == 5.0
    assert cost["travel_total"].delta == pytest.approx(49.5)
    assert cost["coverage"].delta == 0.0
    fair_values = objective_values(fair_scenario, fair)
    plain_values = objective_values(plain_scenario, plain)
    for name, line in cost.items():
        assert line.delta == pytest.approx(fair_values[name] - plain_values[name])
    assert report.equity_gap.value == GAP_WITH
    assert report.equity_gap.worst_group == "attributes.rural_origin=true"


def test_fairness_holds_when_later_levels_optimise_preferences_and_travel():
    scenario = planted(["coverage", "equity_gap", "preferences", "travel_fairness", "travel_total"])
    schedule = solve_valid(scenario)
    assert gap(scenario, schedule) == GAP_WITH
    assert objective_values(scenario, schedule)["preferences"] == 15.0


def test_groups_under_five_are_not_optimised():
    slots = [slot("LB", site="B", capacity=6), slot("LA", site="A", capacity=4)]
    scenario = planted([*FAIR, "preferences", "travel_total"], rural=4, city=6, slots=slots)
    schedule = solve_valid(scenario)
    result = level(schedule, "equity_gap")
    assert result.value == result.bound == 0.0
    assert gap(scenario, schedule) == 0.0  # rural: 4 students, never compared


def test_without_students_who_need_placements_the_level_is_zero():
    scenario = planted(FAIR, placement_requirements=[])
    schedule = solve_valid(scenario)
    assert level(schedule, "equity_gap").value == 0.0


# --- the model's value is the validator's, rounding included -------------------------------


def fixed_gap(scenario: Scenario, held: dict[str, str]) -> tuple[float, float]:
    """(least equity_gap the model allows with exactly these placements, level_value of the
    solution) in km."""
    from ortools.sat.python import cp_model

    model = TermModel(prepare(scenario))
    apply_rules(model)
    objective = builders()["equity_gap"](model)
    assert objective is not None
    for (sid, slot_id), var in model.place.items():
        model.cp.add(var == int(held.get(sid) == slot_id))
    model.cp.minimize(objective.expression)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10
    solver.parameters.num_workers = 2
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    values = {var.index: int(solver.value(var)) for var in model.all_variables()}
    return solver.value(objective.expression) * objective.unit, level_value(
        "equity_gap", model, values
    ) or 0.0


@pytest.mark.parametrize("swapped", [0, 1, 2, 3])
def test_model_value_matches_the_validator_for_uneven_groups(swapped):
    """Five rural students against six city ones (5 x 6 = 30 does not divide the metres):
    the model's optimum of `worst` is the validator's rounded-up value."""
    slots = [slot("LB", site="B", capacity=6), slot("LA", site="A", capacity=6)]
    scenario = planted(FAIR, city=6, slots=slots)
    held = {f"u{i}": "LB" for i in range(6)}
    held.update({f"r{i}": "LA" for i in range(5)})
    for i in range(swapped):
        held[f"u{i}"], held[f"r{i}"] = "LA", "LB"
    schedule = Schedule(
        term=scenario.term.id,
        status="feasible",
        placements=[Placement(student=s, slot=slot_id) for s, slot_id in held.items()],
    )
    model_value, kept_value = fixed_gap(scenario, held)
    expected = gap(scenario, schedule)
    assert model_value == pytest.approx(expected, abs=1e-9)
    assert kept_value == pytest.approx(expected, abs=1e-9)


@pytest.mark.slow
def test_generated_term_with_fairness_after_coverage():
    from scheduler.synthetic import generate_term

    term = generate_term(students=60, seed=5)
    policy = term.policy.model_copy(update={"objectives": FAIR})
    scenario = term.model_copy(update={"policy": policy})
    schedule = solve_valid(scenario, time_limit_s=10)
    result = level(schedule, "equity_gap")
    assert result.value is not None
    assert result.value == gap(scenario, schedule)


def competing_sites_term() -> Scenario:
    """Ten one-seat sites 5 km apart along a road east of the city (no preferences), five
    city students and five students 100 km north: more sites than the model's candidate
    slots per student (solver.candidates.KEEP_PER_PERIOD = 8)."""
    sites = [site(f"S{k}", 45.0, -75.0 + k * 0.0635) for k in range(10)]
    slots = [slot(f"L{k}", site=f"S{k}", capacity=1) for k in range(10)]
    students = [student(f"u{i}", home=CITY, attributes={"g": False}) for i in range(5)]
    far = {"lat": 45.9, "lon": -75.0}
    students += [student(f"r{i}", home=far, attributes={"g": True}) for i in range(5)]
    return make_scenario(
        activities=[],
        students=students,
        sites=sites,
        slots=slots,
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {}}],
        policy={"objectives": FAIR},
    )


def test_the_reported_bound_holds_for_the_whole_term():
    scenario = competing_sites_term()
    schedule = solve_valid(scenario)
    result = level(schedule, "equity_gap")
    # the city students take the five far sites: a valid schedule with a smaller gap
    fairer = {f"r{i}": f"L{4 - i}" for i in range(5)} | {f"u{i}": f"L{5 + i}" for i in range(5)}
    better = Schedule(
        term=scenario.term.id,
        status="feasible",
        placements=[Placement(student=s, slot=slot_id) for s, slot_id in fairer.items()],
    )
    assert gap(scenario, better) == pytest.approx(65.88)
    assert result.bound is None or result.bound <= gap(scenario, better) + 1e-9
