"""Rule 2 for placements: never two placements on site at the same moment, never a placement
during the student's busy time."""

from __future__ import annotations

from typing import Any

from factories import interval, slot, student, weekly
from solver_helpers import assert_proven, placements_only, slots_of, solve_valid

P1 = {
    "id": "P1",
    "start": "2027-03-01",
    "end": "2027-03-26",
    "weekly": [weekly("mon", "08:00", "16:00"), weekly("tue", "08:00", "16:00")],
}
TWO_PLACEMENTS = [{"profession": "NURS", "count": 2, "tags": {}}]


def with_second_period(start: str, end: str, *windows: dict[str, str]) -> Any:
    """n1 needs two placements: L1 in P1 and L2 in a second period P2."""
    p2 = {"id": "P2", "start": start, "end": end, "weekly": list(windows)}
    return placements_only(
        students=[student("n1")],
        periods=[P1, p2],
        slots=[slot("L1"), slot("L2", period="P2")],
        placement_requirements=TWO_PLACEMENTS,
    )


def test_overlapping_windows_on_overlapping_dates_allow_one_placement():
    scenario = with_second_period("2027-03-15", "2027-04-09", weekly("tue", "12:00", "18:00"))
    schedule = solve_valid(scenario)
    assert len(slots_of(schedule, "n1")) == 1
    assert_proven(schedule, "coverage", 1)


def test_windows_on_other_weekdays_allow_both_placements():
    scenario = with_second_period("2027-03-15", "2027-04-09", weekly("wed", "08:00", "16:00"))
    schedule = solve_valid(scenario)
    assert slots_of(schedule, "n1") == {"L1", "L2"}
    assert_proven(schedule, "coverage", 2)


def test_touching_windows_allow_both_placements():
    scenario = with_second_period("2027-03-15", "2027-04-09", weekly("tue", "16:00", "20:00"))
    schedule = solve_valid(scenario)
    assert slots_of(schedule, "n1") == {"L1", "L2"}
    assert_proven(schedule, "coverage", 2)


def test_same_windows_on_disjoint_dates_allow_both_placements():
    scenario = with_second_period("2027-03-29", "2027-04-23", weekly("mon", "08:00", "16:00"))
    schedule = solve_valid(scenario)
    assert slots_of(schedule, "n1") == {"L1", "L2"}
    assert_proven(schedule, "coverage", 2)


def test_student_busy_during_a_period_is_not_placed_in_it():
    busy = [interval("2027-03-09T15:00", "2027-03-09T17:00")]
    scenario = placements_only(students=[student("n1", unavailable=busy), student("n2")])
    schedule = solve_valid(scenario)
    assert slots_of(schedule, "n1") == set()
    assert slots_of(schedule, "n2") == {"L1"}
    assert_proven(schedule, "coverage", 1)


def test_busy_time_touching_the_period_windows_does_not_block_it():
    after_tuesday = [interval("2027-03-09T16:00", "2027-03-09T17:00")]
    before_mondays = [weekly("mon", "06:00", "08:00")]
    students = [student("n1", unavailable=after_tuesday, weekly_unavailable=before_mondays)]
    schedule = solve_valid(placements_only(students=students))
    assert slots_of(schedule, "n1") == {"L1"}
    assert_proven(schedule, "coverage", 1)
