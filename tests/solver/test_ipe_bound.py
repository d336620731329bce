"""The IPE attendance bound sees facilitators, rooms, team rules and clashing sessions.

Each case plants one binding resource in an IPE-only term whose true optimum is known by
hand; the LP bound must be at least that optimum (a bound) and, here, equal to it (it
sees the resource). The solve must then prove coverage optimal.
"""

from __future__ import annotations

from factories import activity, session, student
from solver_helpers import assert_proven, ipe_only, level, solve_valid

from scheduler.domain.scenario import Scenario
from solver.ipe_bound import ipe_attendance_bound
from solver.prepare import prepare
from solver.warm import attendance_ceiling


def _students(nurses: int, pts: int) -> list[dict]:
    return [student(f"n{i}") for i in range(nurses)] + [student(f"p{i}", "PT") for i in range(pts)]


def _bounds(scenario: Scenario) -> tuple[int, int | None]:
    prep = prepare(scenario)
    return attendance_ceiling(prep), ipe_attendance_bound(prep)


def test_one_facilitator_session_limits_attendance() -> None:
    """F1 runs one session (max_sessions 1) of at most 2 teams of 4: 8 of 24 can attend."""
    scenario = ipe_only(
        students=_students(12, 12),
        facilitators=[{"id": "F1", "name": "F", "profession": "NURS", "max_sessions": 1}],
        activities=[
            activity(
                sessions=[
                    session("S1", "2027-02-03T13:00", "2027-02-03T15:00", max_teams=6),
                    session("S2", "2027-02-10T13:00", "2027-02-10T15:00", max_teams=6),
                ]
            )
        ],
    )
    ceiling, relaxed = _bounds(scenario)
    assert ceiling == 24
    assert relaxed == 8
    assert_proven(solve_valid(scenario), "coverage", 8)


def test_one_room_holds_one_session_at_a_time() -> None:
    """S1 and S2 overlap in R1: one is held, 2 teams of 4 at most."""
    scenario = ipe_only(
        students=_students(6, 6),
        facilitators=[
            {"id": "F1", "name": "F", "profession": "NURS"},
            {"id": "F2", "name": "G", "profession": "PT"},
        ],
        activities=[
            activity(
                sessions=[
                    session("S1", "2027-02-03T13:00", "2027-02-03T15:00"),
                    session("S2", "2027-02-03T14:00", "2027-02-03T16:00"),
                ]
            )
        ],
    )
    ceiling, relaxed = _bounds(scenario)
    assert ceiling == 12
    assert relaxed == 8
    assert_proven(solve_valid(scenario), "coverage", 8)


def test_profession_minimums_cap_the_teams() -> None:
    """Each team needs a nurse: 1 nurse makes 1 team of at most 3 (2 PT at most)."""
    scenario = ipe_only(students=_students(1, 8))
    ceiling, relaxed = _bounds(scenario)
    assert ceiling == 9
    assert relaxed == 3
    schedule = solve_valid(scenario)
    assert level(schedule, "coverage").value == 3
    assert level(schedule, "coverage").bound == 3


def test_distinct_professions_per_team_cap_the_teams() -> None:
    """Teams need 2 professions (min_professions 2, no per-profession minimum): 1 PT and 6
    nurses make one team of at most 4 (a nurse-only team is not allowed)."""
    team = {"min_size": 2, "max_size": 4, "min_professions": 2, "professions": {}}
    scenario = ipe_only(students=_students(6, 1), activities=[activity(team=team)])
    ceiling, relaxed = _bounds(scenario)
    assert ceiling == 7
    assert relaxed == 4
    schedule = solve_valid(scenario)
    assert level(schedule, "coverage").value == 4
