"""A discipline done in an earlier term (`students[].history[].discipline`) is not required
or held again: the plan this term is the plan less what history holds (`term_plan`), for
the validator and the solver alike (issue #18, item 4)."""

from __future__ import annotations

from clerkship_factories import clerkship, med, rotations_schedule, ward

from scheduler.domain.validator import validate_schedule
from solver import SolveOptions, solve

PLAN = {"required": ["SURG", "PED"], "precedences": [{"before": "SURG", "after": "PED"}]}
SLOTS = [ward("H1", "SURG", "B1"), ward("H1", "PED", "B2"), ward("H2", "PED", "B1")]
SURGERY_LAST_YEAR = {
    "site": "OLD",
    "start": "2026-05-03",
    "end": "2026-05-30",
    "discipline": "SURG",
}


def _scenario(history: list[dict]):
    return clerkship([med("m1", PLAN, history=history)], SLOTS)


def _codes(scenario, held: list[str], missing: int = 0) -> list[str]:
    schedule = rotations_schedule({"m1": held}, {"m1": missing} if missing else None)
    return [v.code for v in validate_schedule(scenario, schedule)]


def test_without_history_the_whole_plan_is_asked() -> None:
    scenario = _scenario([])
    assert _codes(scenario, ["H1-SURG-B1", "H1-PED-B2"]) == []
    assert "missing_unassigned_placement" in _codes(scenario, ["H1-PED-B2"])


def test_a_discipline_done_before_is_not_required_again() -> None:
    scenario = _scenario([SURGERY_LAST_YEAR])
    assert scenario.students[0].term_plan is not None
    assert scenario.students[0].term_plan.count == 1
    assert _codes(scenario, ["H2-PED-B1"]) == []  # PED alone; its precedence was met before


def test_a_discipline_done_before_is_not_held_again() -> None:
    scenario = _scenario([SURGERY_LAST_YEAR])
    assert "discipline_not_in_plan" in _codes(scenario, ["H1-SURG-B1", "H1-PED-B2"])


def test_the_solver_places_only_what_is_left() -> None:
    scenario = _scenario([SURGERY_LAST_YEAR])
    schedule = solve(scenario, options=SolveOptions(time_limit_s=10, workers=2, seed=0))
    assert validate_schedule(scenario, schedule) == []
    held = [p.slot for p in schedule.placements if p.student == "m1"]
    assert len(held) == 1 and held[0].split("-")[1] == "PED"
    assert schedule.unassigned == []
