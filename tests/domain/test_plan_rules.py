"""Rule 9 (extension): student plans, rotations and qualifications in the validator, and the
objective values of scores and compactness; feasible, violated and boundary cases."""

from __future__ import annotations

import pytest
from clerkship_factories import clerkship, med, rotations_schedule, ward

from scheduler.domain.checks import check_scenario
from scheduler.domain.validator import objective_values, validate_schedule

PLAN = {"required": ["SURG", "PED"], "precedences": [{"before": "SURG", "after": "PED"}]}
SLOTS = [
    ward("H1", "SURG", "B1"),
    ward("H1", "SURG", "B12"),
    ward("H1", "PED", "B2"),
    ward("H2", "PED", "B3"),
    ward("H2", "PED", "B34"),
    ward("H1", "SURG", "B3"),
    ward("H2", "MED", "B2"),
]


def codes(scenario, held, missing=None) -> list[str]:
    return [v.code for v in validate_schedule(scenario, rotations_schedule(held, missing))]


def scenario_with(plan=None, **student_fields):
    return clerkship([med("m1", {**PLAN, **(plan or {})}, **student_fields)], SLOTS)


def test_a_plan_completed_in_order_is_valid_and_checks_pass():
    scenario = scenario_with()
    assert check_scenario(scenario) == []
    assert codes(scenario, {"m1": ["H1-SURG-B1", "H1-PED-B2"]}) == []


def test_the_plan_replaces_the_requirement_count():
    scenario = scenario_with()
    assert codes(scenario, {"m1": ["H1-SURG-B1"]}) == ["missing_unassigned_placement"]
    assert codes(scenario, {"m1": ["H1-SURG-B1"]}, {"m1": 1}) == []


def test_a_discipline_is_never_repeated_even_short_of_the_count():
    scenario = scenario_with()
    found = codes(scenario, {"m1": ["H1-SURG-B1", "H1-SURG-B3"]})
    assert "discipline_repeated" in found


def test_a_discipline_outside_the_plan_is_refused():
    found = codes(scenario_with(), {"m1": ["H1-SURG-B1", "H2-MED-B2"]})
    assert found == ["discipline_not_in_plan"]


def test_electives_choose_at_most_k():
    plan = {
        "required": [],
        "precedences": [],
        "electives": [{"choose": 1, "among": ["SURG", "MED"]}],
    }
    scenario = scenario_with(plan)
    assert codes(scenario, {"m1": ["H2-MED-B2"]}) == []
    found = codes(scenario, {"m1": ["H1-SURG-B1", "H2-MED-B2"]})
    assert "elective_over_choice" in found


def test_precedence_broken_when_after_comes_first_or_alone():
    scenario = scenario_with()
    assert codes(scenario, {"m1": ["H1-SURG-B3", "H1-PED-B2"]}) == ["precedence_broken"]
    assert codes(scenario, {"m1": ["H1-PED-B2"]}, {"m1": 1}) == ["precedence_broken"]


def test_precedence_boundary_before_ending_the_day_before_after_starts():
    # B12 ends 2027-02-28, B3 starts 2027-03-01: valid; B12 and B2 share February: invalid
    scenario = scenario_with()
    assert codes(scenario, {"m1": ["H1-SURG-B12", "H2-PED-B3"]}) == []
    found = codes(scenario, {"m1": ["H1-SURG-B12", "H1-PED-B2"]})
    assert "precedence_broken" in found and "rotations_overlap" in found


def test_gaps_between_consecutive_rotations():
    # B1 then B3: 28 whole days between (February)
    held = {"m1": ["H1-SURG-B1", "H2-PED-B3"]}
    assert codes(scenario_with({"max_gap_days": 28}), held) == []
    assert codes(scenario_with({"max_gap_days": 27}), held) == ["gap_too_long"]
    assert codes(scenario_with({"min_gap_days": 28}), held) == []
    assert codes(scenario_with({"min_gap_days": 29}), held) == ["gap_too_short"]
    assert codes(scenario_with({"min_gap_days": 1}), {"m1": ["H1-SURG-B1", "H1-PED-B2"]}) == [
        "gap_too_short"
    ]


def test_max_per_site_and_site_changes():
    held = {"m1": ["H1-SURG-B1", "H2-PED-B3"]}
    assert codes(scenario_with({"max_site_changes": 1}), held) == []
    assert codes(scenario_with({"max_site_changes": 0}), held) == ["too_many_site_changes"]
    same_site = {"m1": ["H1-SURG-B1", "H1-PED-B2"]}
    assert codes(scenario_with({"max_per_site": 2}), same_site) == []
    assert codes(scenario_with({"max_per_site": 1}), same_site) == ["site_over_max"]


@pytest.mark.parametrize(("qualifications", "valid"), [([], False), (["ALS"], True)])
def test_a_slot_requiring_a_qualification(qualifications, valid):
    slots = [ward("H1", "SURG", "B1", requires=["ALS"])]
    scenario = clerkship([med("m1", qualifications=qualifications)], slots)
    found = codes(scenario, {"m1": ["H1-SURG-B1"]})
    assert found == ([] if valid else ["qualification_missing"])


def test_students_without_a_plan_never_repeat_a_discipline_either():
    scenario = clerkship(
        [med("m1")],
        SLOTS,
        placement_requirements=[{"profession": "MED", "count": 2, "tags": {}}],
    )
    assert codes(scenario, {"m1": ["H1-SURG-B1", "H2-PED-B3"]}) == []
    assert codes(scenario, {"m1": ["H1-SURG-B1", "H1-SURG-B3"]}) == ["discipline_repeated"]


def test_scenario_checks_name_the_plan_field():
    plan = {
        "required": ["SURG", "SURG"],
        "electives": [{"choose": 3, "among": ["MED"]}],
        "precedences": [{"before": "OBS", "after": "SURG"}],
        "min_gap_days": 5,
        "max_gap_days": 2,
    }
    scenario = clerkship([med("m1", plan, scores={"sites": {"H9": 1}})], SLOTS)
    paths = {p.path for p in check_scenario(scenario)}
    assert {
        "students[0].plan",
        "students[0].plan.electives[0].choose",
        "students[0].plan.precedences[0].before",
        "students[0].plan.min_gap_days",
        "students[0].scores.sites.H9",
    } <= paths
    orphan = clerkship([med("m1", PLAN)], SLOTS, placement_requirements=[])
    assert "students[0].plan" in {p.path for p in check_scenario(orphan)}


def test_objective_values_of_scores_and_compactness():
    scores = {"sites": {"H2": 3}, "disciplines": {"PED": 5}}
    students = [
        med("m1", PLAN, scores=scores, score_weight=2),
        med("m2", PLAN, scores={"sites": {"H1": 1}}),
    ]
    scenario = clerkship(students, SLOTS)
    # m1: SURG B1 at H1 (0) + PED B3 at H2 (3 + 5) = 8, x2 = 16; idle February (28 days)
    # and one change of site (7); m2: SURG B12 at H1 (1), short of PED: 1, no idle day.
    schedule = rotations_schedule(
        {"m1": ["H1-SURG-B1", "H2-PED-B3"], "m2": ["H1-SURG-B12"]}, {"m2": 1}
    )
    assert validate_schedule(scenario, schedule) == []
    values = objective_values(scenario, schedule)
    assert values["scores"] == 17
    assert values["worst_satisfaction"] == 1
    assert values["compactness"] == 28 + 7
