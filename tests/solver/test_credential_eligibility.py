"""Onboarding compliance in the solver: options are only generated for slots the student's
credentials cover (`solver.credentials`), so every stage respects it; checked on the
compliance fixture through the independent validator, and in explanations and what-ifs."""

from __future__ import annotations

from datetime import date

import pytest
from explain_helpers import by_code, verified_suggestions
from repair_helpers import repaired
from solver_helpers import solve_valid

from fixtures import fixture_path
from scheduler.domain.diff import diff_schedules
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Placement, RenewCredential, Schedule
from scheduler.domain.validator import validate_schedule
from solver.explain import codes
from solver.explain.facts import Facts
from solver.explain.proposals import _usable_pairs
from solver.incremental.eligibility import Eligibility
from solver.prepare import prepare

BLOCKED_AT_HOSPITAL = {"C03", "C04", "C06"}
"""BLS pending, MMR missing, BLS issued after both periods start."""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate_json(fixture_path("compliance").read_text())


@pytest.fixture(scope="module")
def schedule(scenario: Scenario) -> Schedule:
    return solve_valid(scenario)


def _site_of(scenario: Scenario, schedule: Schedule) -> dict[str, str]:
    sites = {s.id: s.site for s in scenario.slots}
    return {p.student: sites[p.slot] for p in schedule.placements}


def test_the_solve_keeps_uncovered_students_away_from_the_hospital(
    scenario: Scenario, schedule: Schedule
) -> None:
    placed = _site_of(scenario, schedule)
    assert not BLOCKED_AT_HOSPITAL & {s for s, site in placed.items() if site == "SITE-H"}
    assert set(placed) == {"C01", "C02", "C03", "C04", "C05", "C06"}
    slots = {p.student: p.slot for p in schedule.placements}
    assert slots.get("C02") != "H-P2"  # BLS expires 2027-03-02, during P2


def test_without_the_requirements_the_same_students_would_go_to_the_hospital(
    scenario: Scenario,
) -> None:
    sites = [s.model_copy(update={"required_credentials": []}) for s in scenario.sites]
    free = scenario.model_copy(update={"sites": sites})
    placed = _site_of(free, solve_valid(free))
    assert BLOCKED_AT_HOSPITAL & {s for s, site in placed.items() if site == "SITE-H"}


def test_options_of_both_eligibility_paths_leave_out_uncovered_slots(scenario: Scenario) -> None:
    prep = prepare(scenario)
    eligibility = Eligibility(scenario)
    for student in ("C03", "C04", "C06"):
        assert {o.site for o in prep.students[student].all_options} == {"SITE-C"}
        assert {o.site for o in eligibility.options(student)} == {"SITE-C"}
    assert {o.slot for o in prep.students["C02"].all_options} == {"H-P1", "C-P1", "C-P2"}
    assert {o.slot for o in prep.students["C05"].all_options} == {"H-P1", "H-P2", "C-P1", "C-P2"}


def test_the_unmet_need_names_the_expiring_credential(schedule: Schedule) -> None:
    (entry,) = schedule.unassigned
    assert entry.student == "C07"
    reasons = [r for r in entry.reasons if r.code == codes.CREDENTIAL_NOT_VALID]
    assert [r.message for r in reasons] == ["BLS expires 2027-03-02, during P2 at SITE-H"]
    assert reasons[0].related[:3] == ["BLS", "P2", "SITE-H"]


def test_a_renewal_that_unlocks_the_placement_is_suggested_and_verified(
    scenario: Scenario, schedule: Schedule
) -> None:
    renewal = by_code(verified_suggestions(scenario, schedule), "renew_credential")
    (change,) = renewal.changes
    assert isinstance(change, RenewCredential)
    assert (change.student, change.code) == ("C07", "BLS")
    assert renewal.helps == ["C07"] and renewal.gain == 1
    assert "renew BLS for student C07" in renewal.message


def test_a_repair_after_a_credential_lapses_moves_only_that_student(
    scenario: Scenario, schedule: Schedule
) -> None:
    """C01 holds H-P2, then their BLS turns out to expire during P2: the repair (local path
    or full) moves C01 and nobody else."""
    lapsed = [
        s.model_copy(
            update={
                "credentials": [
                    c.model_copy(update={"expires": date(2027, 3, 10)}) if c.code == "BLS" else c
                    for c in s.credentials
                ]
            }
        )
        if s.id == "C01"
        else s
        for s in scenario.students
    ]
    changed = scenario.model_copy(update={"students": lapsed})
    held = {"C01": "H-P2", "C02": "H-P1", "C05": "H-P1", "C03": "C-P1", "C04": "C-P1"}
    held["C06"] = "C-P2"
    placements = [Placement(student=s, slot=slot) for s, slot in held.items()]
    before = schedule.model_copy(update={"placements": placements})
    assert validate_schedule(scenario, before) == []
    assert [v.code for v in validate_schedule(changed, before)] == ["credential_not_valid"]
    after = repaired(changed, before)
    moved = {c.student for c in diff_schedules(before, after).moved}
    assert moved == {"C01"}
    slots = {p.student: p.slot for p in after.placements}
    assert slots["C01"] in ("H-P1", "C-P1", "C-P2")


def test_a_new_slot_is_only_proposed_where_the_credentials_hold(
    scenario: Scenario, schedule: Schedule
) -> None:
    facts = Facts.of(prepare(scenario), schedule)
    pairs = set(_usable_pairs(facts, "C07"))
    assert ("SITE-H", "P1") in pairs  # BLS valid until 2027-03-02, after P1
    assert ("SITE-H", "P2") not in pairs
    assert {("SITE-C", "P1"), ("SITE-C", "P2")} <= pairs
