"""Explanations name the causes of student plans (extension): an unmet precedence, no
rotation that fits beside those held, a qualification the student lacks."""

from __future__ import annotations

from clerkship_factories import clerkship, med, ward
from solver_helpers import solve_valid

TWO = {"required": ["SURG", "PED"]}


def _reasons(scenario) -> list[str]:
    schedule = solve_valid(scenario)
    entries = [u for u in schedule.unassigned if u.requirement is not None]
    assert len(entries) == 1
    return [r.code for r in entries[0].reasons]


def test_an_unmet_precedence_is_the_headline():
    plan = {**TWO, "precedences": [{"before": "SURG", "after": "PED"}]}
    scenario = clerkship([med("m1", plan)], [ward("H1", "SURG", "B3"), ward("H1", "PED", "B1")])
    found = _reasons(scenario)
    assert found[0] == "unmet_precedence"


def test_no_rotation_fits_beside_the_one_held():
    plan = {**TWO, "max_site_changes": 0}
    scenario = clerkship([med("m1", plan)], [ward("H1", "SURG", "B1"), ward("H2", "PED", "B2")])
    found = _reasons(scenario)
    assert found[0] == "no_rotation_fits"


def test_a_missing_qualification_is_named():
    slots = [ward("H1", "SURG", "B1"), ward("H1", "PED", "B2", requires=["PALS"])]
    found = _reasons(clerkship([med("m1", TWO)], slots))
    assert "qualification_required" in found


def test_students_short_for_one_precedence_form_one_group():
    from explain_helpers import groups

    plan = {**TWO, "precedences": [{"before": "SURG", "after": "PED"}]}
    students = [med(f"m{i}", plan) for i in range(3)]
    slots = [ward("H1", "SURG", "B3", capacity=3), ward("H1", "PED", "B1", capacity=3)]
    schedule = solve_valid(clerkship(students, slots))
    (group,) = groups(schedule)
    assert group["needs"] == 3 and group["code"] == "unmet_precedence"
    assert "PED needs SURG finished before it starts" in group["message"]
