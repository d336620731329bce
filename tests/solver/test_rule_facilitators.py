"""Rule 5: enough free facilitators per session, never in two overlapping sessions, within
max_sessions."""

from __future__ import annotations

import math
from typing import Any

from factories import activity, interval, session, student
from solver_helpers import (
    assert_proven,
    held_sessions,
    ipe_only,
    session_entry_of,
    solve_valid,
)

PAIR_RULE = {
    "min_size": 2,
    "max_size": 2,
    "min_professions": 2,
    "professions": {"NURS": {"min": 1, "max": 1}, "PT": {"min": 1, "max": 1}},
}
ROOMS = [{"id": "R1", "name": "Room 1"}, {"id": "R2", "name": "Room 2"}]


def facilitator(facilitator_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": facilitator_id,
        "name": f"Facilitator {facilitator_id}",
        "profession": "NURS",
        **fields,
    }


def pairs(count: int) -> list[dict[str, Any]]:
    """`count` NURS and `count` PT students: at most `count` teams of two."""
    nurses = [student(f"n{i}") for i in range(1, count + 1)]
    return nurses + [student(f"p{i}", "PT") for i in range(1, count + 1)]


def pair_activity(*sessions: dict[str, Any], per_facilitator: int = 1) -> dict[str, Any]:
    return activity(team=PAIR_RULE, teams_per_facilitator=per_facilitator, sessions=list(sessions))


def wed(session_id: str, start: str, end: str, room: str = "R1", teams: int = 1) -> dict:
    return session(
        session_id, f"2027-02-03T{start}", f"2027-02-03T{end}", room=room, max_teams=teams
    )


def test_teams_per_facilitator_needs_ceil_of_teams_facilitators():
    a1 = pair_activity(wed("S1", "13:00", "15:00", teams=3), per_facilitator=2)
    scenario = ipe_only(
        activities=[a1], students=pairs(3), facilitators=[facilitator("F1"), facilitator("F2")]
    )
    schedule = solve_valid(scenario)
    entry = session_entry_of(schedule, "S1")
    assert len(entry.teams) == 3
    assert len(entry.facilitators) >= math.ceil(3 / 2)
    assert_proven(schedule, "coverage", 6)


def test_one_facilitator_runs_at_most_teams_per_facilitator_teams():
    a1 = pair_activity(wed("S1", "13:00", "15:00", teams=3), per_facilitator=2)
    scenario = ipe_only(activities=[a1], students=pairs(3), facilitators=[facilitator("F1")])
    schedule = solve_valid(scenario)
    assert len(session_entry_of(schedule, "S1").teams) == 2
    assert_proven(schedule, "coverage", 4)


def test_busy_facilitator_cannot_run_the_session():
    busy = [interval("2027-02-03T14:00", "2027-02-03T14:30")]
    a1 = pair_activity(wed("S1", "13:00", "15:00"), wed("S2", "16:00", "18:00"))
    scenario = ipe_only(
        activities=[a1], students=pairs(2), facilitators=[facilitator("F1", unavailable=busy)]
    )
    schedule = solve_valid(scenario)
    assert held_sessions(schedule) == {"S2"}
    assert_proven(schedule, "coverage", 2)


def test_facilitator_does_not_run_two_overlapping_sessions():
    a1 = pair_activity(wed("S1", "13:00", "15:00"), wed("S2", "14:00", "16:00", room="R2"))
    scenario = ipe_only(
        activities=[a1], rooms=ROOMS, students=pairs(2), facilitators=[facilitator("F1")]
    )
    schedule = solve_valid(scenario)
    assert len(held_sessions(schedule)) == 1
    assert_proven(schedule, "coverage", 2)


def test_second_facilitator_lets_overlapping_sessions_both_run():
    a1 = pair_activity(wed("S1", "13:00", "15:00"), wed("S2", "14:00", "16:00", room="R2"))
    facilitators = [facilitator("F1"), facilitator("F2")]
    scenario = ipe_only(activities=[a1], rooms=ROOMS, students=pairs(2), facilitators=facilitators)
    schedule = solve_valid(scenario)
    assert (
        session_entry_of(schedule, "S1").facilitators
        != session_entry_of(schedule, "S2").facilitators
    )
    assert_proven(schedule, "coverage", 4)


def test_max_sessions_limits_how_many_sessions_a_facilitator_runs():
    a1 = pair_activity(wed("S1", "09:00", "11:00"), wed("S2", "13:00", "15:00"))
    scenario = ipe_only(
        activities=[a1], students=pairs(2), facilitators=[facilitator("F1", max_sessions=1)]
    )
    schedule = solve_valid(scenario)
    assert len(held_sessions(schedule)) == 1
    assert_proven(schedule, "coverage", 2)


def test_zero_teams_per_facilitator_needs_no_facilitator():
    a1 = pair_activity(wed("S1", "13:00", "15:00", teams=2), per_facilitator=0)
    schedule = solve_valid(ipe_only(activities=[a1], students=pairs(2), facilitators=[]))
    assert session_entry_of(schedule, "S1").facilitators == []
    assert_proven(schedule, "coverage", 4)
