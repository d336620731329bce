"""The capacity-calendar rule modules (extension), each alone in a bare model.

As in test_rule_modules.py: only `TermModel` plus the rule modules, no heuristic. On each
planted ward term the optimum of an adversarial objective (most placements, or fewest for
`unit_fill`) breaks the rule exactly when its module is left out, and the independent
validator accepts the schedule when it is in. A term that cannot fill a unit is answered
`infeasible` with the unit and week named.
"""

from __future__ import annotations

import pytest
from factories import site, slot, student
from ortools.sat.python import cp_model
from solver_helpers import assert_proven, solve_valid
from weekly_factories import ward_term

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from solver import SolveOptions, solve
from solver.model import TermModel
from solver.prepare import prepare
from solver.readout import read_schedule, snapshot
from solver.rules import RULES


def _violations(scenario: Scenario, without: str | None, *, most: bool = True) -> set[str]:
    """Codes the validator finds in the optimum of the bare model (most or fewest
    placements)."""
    model = TermModel(prepare(scenario))
    for name, rule in RULES:
        if name != without:
            rule(model)
    placed = sum(model.place.values())
    model.cp.maximize(placed) if most else model.cp.minimize(placed)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    schedule = read_schedule(model, snapshot(model, solver), "feasible", [], SolveInfo())
    return {v.code for v in validate_schedule(scenario, schedule)}


def _one_each(**overrides) -> Scenario:
    return ward_term(
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {}}], **overrides
    )


def _shared_week() -> Scenario:
    """Two nurses, one seat a week on W1 (slots have two each): L1 and L2 overlap in the
    week of Mar 8."""
    return _one_each(
        students=[student("n1"), student("n2")],
        slots=[slot("L1", unit="W1", capacity=2), slot("L2", unit="W1", period="P2", capacity=2)],
        weekly_capacities=[{"site": "H1", "unit": "W1", "capacity": 1}],
    )


def _unit_needing_one() -> Scenario:
    units = [{"id": "W1", "name": "Ward 1", "min_fill": 1}]
    return _one_each(
        students=[student("n1")],
        sites=[site("H1", units=units), site("H2", 45.1, -75.1)],
        slots=[slot("L1", unit="W1", capacity=1), slot("L3", site="H2", period="P3")],
    )


def _same_site_twice() -> Scenario:
    return ward_term(
        students=[student("n1")],
        slots=[slot("L1", unit="W1"), slot("L4", unit="W2", period="P3")],
        policy={"no_repeat_site": True},
    )


def _two_peds_wards() -> Scenario:
    requirement = {"profession": "NURS", "count": 2, "tags": {}, "tag_limits": {"peds": 1}}
    return ward_term(
        students=[student("n1")],
        slots=[slot("L1", unit="W1"), slot("L2", unit="W1", period="P2")],
        placement_requirements=[requirement],
    )


CASES = [
    ("weekly_capacity", _shared_week, "weekly_capacity_exceeded", True),
    ("unit_fill", _unit_needing_one, "unit_under_min_fill", False),
    ("no_repeat_site", _same_site_twice, "site_repeated", True),
    ("tag_limits", _two_peds_wards, "tag_limit_exceeded", True),
]


@pytest.mark.parametrize(("rule", "term", "code", "most"), CASES, ids=[c[0] for c in CASES])
def test_rule_module_alone_keeps_its_rule(rule: str, term, code: str, most: bool) -> None:
    scenario = term()
    assert _violations(scenario, without=None, most=most) == set()
    assert code in _violations(scenario, without=rule, most=most)


def test_history_site_is_never_repeated() -> None:
    """n1 did H1 last year: with the rule neither H1 ward is held, without it both are."""
    earlier = {"site": "H1", "start": "2026-01-04", "end": "2026-02-04", "tags": []}
    scenario = ward_term(
        students=[student("n1", history=[earlier])],
        slots=[slot("L1", unit="W1"), slot("L4", unit="W2", period="P3")],
        policy={"no_repeat_site": True},
    )
    model = TermModel(prepare(scenario))
    for _name, rule in RULES:
        rule(model)
    model.cp.maximize(sum(model.place.values()))
    solver = cp_model.CpSolver()
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    assert solver.objective_value == 0
    assert "site_repeated" in _violations(scenario, without="no_repeat_site")


def test_unfillable_unit_is_answered_infeasible_naming_unit_and_week() -> None:
    units = [{"id": "W1", "name": "Ward 1", "min_fill": 2}]
    scenario = _one_each(
        students=[student("n1"), student("n2")],
        sites=[site("H1", units=units), site("H2", 45.1, -75.1)],
        slots=[slot("L1", unit="W1", capacity=1), slot("L3", site="H2", period="P3")],
    )
    schedule = solve(scenario, options=SolveOptions(time_limit_s=5, workers=1, seed=0))
    assert schedule.status == "infeasible"
    assert any("W1" in e.message and "2027-03-01" in e.message for e in schedule.errors)


def test_terms_using_the_extension_skip_the_heuristics() -> None:
    from solver.features import heuristics_apply, term_features

    assert term_features(ward_term()) == frozenset()
    assert term_features(_shared_week()) == {"weekly_capacities"}
    assert term_features(_unit_needing_one()) == {"unit_min_fill"}
    assert term_features(_same_site_twice()) == {"no_repeat_site"}
    assert term_features(_two_peds_wards()) == {"tag_limits"}
    assert not heuristics_apply(_shared_week())


def test_full_solve_respects_every_new_rule_and_is_proven() -> None:
    scenario = ward_term(
        weekly_capacities=[{"site": "H1", "unit": "W1", "capacity": 1}],
        policy={"no_repeat_site": True},
    )
    schedule = solve_valid(scenario)
    # W1 seats one student in all (L1 and L2 share the week of Mar 8); L3 and L4 clash
    # (both P3): each student holds one of them, so 1 + 3 placements at most
    assert_proven(schedule, "coverage", 4.0)


def test_relaxation_bounds_keep_units_apart() -> None:
    """Units of one site in one period carry different tags: the tag-aware relaxations
    must not merge them (a merged group read the first unit's tags, and the coverage
    bound fell below what a schedule holds)."""
    from solver.bounds import TermBounds

    units = [{"id": "W2", "name": "Plain"}, {"id": "W1", "name": "Ward", "tags": ["community"]}]
    scenario = ward_term(
        students=[student("n1")],
        sites=[site("H1", units=units, tags=[])],
        slots=[slot("L2", unit="W2", capacity=1), slot("L1", unit="W1", capacity=1)],
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {"community": 1}}],
    )
    bounds = TermBounds.of(prepare(scenario), ipe_best=0, joint_seconds=1.0)
    assert bounds.coverage() >= 1
    assert _violations(scenario, without=None) == set()


def _reason_codes(schedule, student_id: str) -> list[str]:
    return [
        reason.code
        for item in schedule.unassigned
        if item.student == student_id and item.requirement is not None
        for reason in item.reasons
    ]


def test_unmet_need_names_the_full_week() -> None:
    """One seat a week on W1 for two nurses: the one left out is told which week is full."""
    schedule = solve_valid(_shared_week())
    unplaced = {"n1", "n2"} - {p.student for p in schedule.placements}
    assert len(unplaced) == 1
    student_id = unplaced.pop()
    assert _reason_codes(schedule, student_id)[0] == "full_week"
    item = next(i for i in schedule.unassigned if i.student == student_id)
    assert "W1" in item.reasons[0].related and "2027-03-08" in item.reasons[0].related


def test_unmet_need_names_the_repeated_site_and_the_tag_limit() -> None:
    assert "site_repeat" in _reason_codes(solve_valid(_same_site_twice()), "n1")
    assert "tag_limit" in _reason_codes(solve_valid(_two_peds_wards()), "n1")


def test_history_lowers_tag_minimums_in_the_model() -> None:
    """Only an untagged ward is open: a student whose earlier placement was `community`
    may take it (minimum met by history), one without history may not."""
    earlier = {"site": "X", "start": "2026-01-04", "end": "2026-02-04", "tags": ["community"]}
    scenario = ward_term(
        students=[student("n1", history=[earlier]), student("n2")],
        slots=[slot("L4", unit="W2", period="P3", capacity=2)],
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {"community": 1}}],
    )
    schedule = solve_valid(scenario)
    assert {p.student for p in schedule.placements} == {"n1"}
    assert _reason_codes(schedule, "n2")[0] == "tag_minimum"
