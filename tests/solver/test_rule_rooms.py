"""Rule 4: one session per room at a time; students who need access only in accessible rooms."""

from __future__ import annotations

from typing import Any

from factories import activity, session, student
from solver_helpers import (
    activity_reasons,
    assert_proven,
    attendees,
    held_sessions,
    ipe_only,
    solve_valid,
)

DAY = "2027-02-03"
ROOMS = [
    {"id": "R1", "name": "Room 1", "accessible": False},
    {"id": "R2", "name": "Room 2", "accessible": True},
]
PAIRS = [student("n1"), student("n2"), student("p1", "PT"), student("p2", "PT")]


def small_teams(*sessions: dict[str, Any], activity_id: str = "A1", **fields: Any) -> dict:
    """An activity whose sessions each hold one team of two, without facilitators."""
    team = {
        "min_size": 2,
        "max_size": 2,
        "min_professions": 2,
        "professions": {"NURS": {"min": 1, "max": 1}, "PT": {"min": 1, "max": 1}},
    }
    return activity(
        activity_id, team=team, teams_per_facilitator=0, sessions=list(sessions), **fields
    )


def at(session_id: str, start: str, end: str, room: str = "R1") -> dict[str, Any]:
    return session(session_id, f"{DAY}T{start}", f"{DAY}T{end}", room=room, max_teams=1)


def test_overlapping_sessions_in_one_room_are_not_both_held():
    a1 = small_teams(at("S1", "13:00", "15:00"), at("S2", "14:00", "16:00"))
    schedule = solve_valid(ipe_only(activities=[a1], rooms=ROOMS, students=PAIRS))
    assert len(held_sessions(schedule)) == 1
    assert_proven(schedule, "coverage", 2)


def test_overlapping_sessions_of_two_activities_share_no_room():
    cohort_a = [student("n1", cohort="a"), student("p1", "PT", cohort="a")]
    cohort_b = [student("n2", cohort="b"), student("p2", "PT", cohort="b")]
    a1 = small_teams(
        at("S1", "13:00", "15:00"),
        participants=[{"profession": "NURS", "cohort": "a"}, {"profession": "PT", "cohort": "a"}],
    )
    a2 = small_teams(
        at("S2", "14:00", "16:00"),
        activity_id="A2",
        participants=[{"profession": "NURS", "cohort": "b"}, {"profession": "PT", "cohort": "b"}],
    )
    scenario = ipe_only(activities=[a1, a2], rooms=ROOMS, students=cohort_a + cohort_b)
    schedule = solve_valid(scenario)
    assert len(held_sessions(schedule)) == 1
    assert_proven(schedule, "coverage", 2)


def test_touching_sessions_in_one_room_are_both_held():
    a1 = small_teams(at("S1", "13:00", "15:00"), at("S2", "15:00", "17:00"))
    schedule = solve_valid(ipe_only(activities=[a1], rooms=ROOMS, students=PAIRS))
    assert held_sessions(schedule) == {"S1", "S2"}
    assert_proven(schedule, "coverage", 4)


def test_overlapping_sessions_in_different_rooms_are_both_held():
    a1 = small_teams(at("S1", "13:00", "15:00"), at("S2", "14:00", "16:00", room="R2"))
    schedule = solve_valid(ipe_only(activities=[a1], rooms=ROOMS, students=PAIRS))
    assert held_sessions(schedule) == {"S1", "S2"}
    assert_proven(schedule, "coverage", 4)


def test_student_needing_access_attends_only_the_accessible_room():
    a1 = small_teams(at("S1", "09:00", "11:00"), at("S2", "13:00", "15:00", room="R2"))
    students = [student("n1", needs=["accessible"]), student("n2"), *PAIRS[2:]]
    schedule = solve_valid(ipe_only(activities=[a1], rooms=ROOMS, students=students))
    assert "n1" in attendees(schedule, "S2")
    assert_proven(schedule, "coverage", 4)


def test_student_needing_access_without_accessible_room_is_unassigned():
    a1 = small_teams(at("S1", "09:00", "11:00"), at("S2", "13:00", "15:00"))
    students = [student("n1", needs=["accessible"]), student("n2"), *PAIRS[2:]]
    schedule = solve_valid(ipe_only(activities=[a1], rooms=ROOMS, students=students))
    assert "n1" not in attendees(schedule, "S1") | attendees(schedule, "S2")
    assert activity_reasons(schedule, "n1") == ["no_free_session"]
    assert_proven(schedule, "coverage", 2)
