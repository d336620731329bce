"""Sessions and placements solved jointly: a placement whose weekly window covers a session
never hides that session from the student, and coverage is proven maximal."""

from __future__ import annotations

from factories import session, slot, weekly
from solver_helpers import (
    MONDAY,
    WEDNESDAY,
    assert_proven,
    attendees,
    clash_term,
    slots_of,
    solve_valid,
)


def test_joint_solve_gives_up_the_preferred_period_to_keep_the_only_session():
    schedule = solve_valid(clash_term(MONDAY, nurses=1))
    assert attendees(schedule, "S1") == {"n1", "p1"}
    assert slots_of(schedule, "n1") == {"L2"}
    assert_proven(schedule, "coverage", 3)
    assert_proven(schedule, "preferences", 2)


def test_only_the_nurse_in_the_covered_session_gives_up_the_preferred_period():
    schedule = solve_valid(clash_term(MONDAY, WEDNESDAY, nurses=2))
    (monday_nurse,) = attendees(schedule, "S1") & {"n1", "n2"}
    (wednesday_nurse,) = attendees(schedule, "S2") & {"n1", "n2"}
    assert slots_of(schedule, monday_nurse) == {"L2"}
    assert slots_of(schedule, wednesday_nurse) == {"L1"}
    assert_proven(schedule, "coverage", 6)
    assert_proven(schedule, "preferences", 3)


def test_each_nurse_keeps_exactly_the_placements_their_session_allows():
    periods = [
        {
            "id": f"P{i}",
            "start": "2027-03-01",
            "end": "2027-03-26",
            "weekly": [weekly(day, "08:00", "16:00")],
        }
        for i, day in ((1, "mon"), (2, "tue"))
    ]
    sessions = [
        session(f"S{i}", f"2027-03-{day}T10:00", f"2027-03-{day}T12:00", max_teams=1)
        for i, day in ((1, "08"), (2, "09"), (3, "10"))
    ]
    scenario = clash_term(
        *sessions,
        nurses=3,
        periods=periods,
        slots=[slot("L1", period="P1", capacity=3), slot("L2", period="P2", capacity=3)],
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {}}],
    )
    schedule = solve_valid(scenario)
    for session_id, allowed in (("S1", {"L2"}), ("S2", {"L1"}), ("S3", {"L1", "L2"})):
        (nurse,) = attendees(schedule, session_id) & {"n1", "n2", "n3"}
        assert slots_of(schedule, nurse) == allowed
    assert_proven(schedule, "coverage", 10)
