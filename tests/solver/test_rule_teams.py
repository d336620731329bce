"""Rule 3: team sizes, per-profession limits, distinct professions and max_teams."""

from __future__ import annotations

from typing import Any

from factories import activity, session, student
from solver_helpers import (
    activity_reasons,
    assert_proven,
    attendees,
    ipe_only,
    session_entry_of,
    solve_valid,
    team_sizes,
)

DAY = "2027-02-03"


def one_session(max_teams: int = 2, **team: Any) -> dict[str, Any]:
    """Activity A1 with one session S1 and no facilitator; `team` replaces team rule fields."""
    rule = {
        "min_size": 2,
        "max_size": 4,
        "min_professions": 2,
        "professions": {"NURS": {"min": 1, "max": 2}, "PT": {"min": 1, "max": 2}},
        **team,
    }
    return activity(
        teams_per_facilitator=0,
        team=rule,
        sessions=[session("S1", f"{DAY}T13:00", f"{DAY}T15:00", max_teams=max_teams)],
    )


def people(nurses: int, pts: int) -> list[dict[str, Any]]:
    return [student(f"n{i}") for i in range(1, nurses + 1)] + [
        student(f"p{i}", "PT") for i in range(1, pts + 1)
    ]


def professions_of(team_students: list[str]) -> list[str]:
    return ["NURS" if s.startswith("n") else "PT" for s in team_students]


def test_every_team_meets_size_and_profession_limits():
    schedule = solve_valid(ipe_only(activities=[one_session()], students=people(3, 3)))
    for team in session_entry_of(schedule, "S1").teams:
        kinds = professions_of(team.students)
        assert 2 <= len(kinds) <= 4
        assert 1 <= kinds.count("NURS") <= 2 and 1 <= kinds.count("PT") <= 2
    assert_proven(schedule, "coverage", 6)


def test_only_valid_split_leaves_surplus_students_out():
    schedule = solve_valid(ipe_only(activities=[one_session()], students=people(4, 1)))
    assert len(attendees(schedule, "S1") & {"n1", "n2", "n3", "n4"}) == 2
    assert "p1" in attendees(schedule, "S1")
    left_out = [u.student for u in schedule.unassigned]
    assert len(left_out) == 2
    assert all(activity_reasons(schedule, s) == ["sessions_full"] for s in left_out)
    assert_proven(schedule, "coverage", 3)


def test_team_of_exactly_min_size_is_held():
    scenario = ipe_only(activities=[one_session(min_size=3)], students=people(2, 1))
    schedule = solve_valid(scenario)
    assert team_sizes(schedule, "S1") == [3]
    assert_proven(schedule, "coverage", 3)


def test_fewer_students_than_min_size_hold_no_session():
    scenario = ipe_only(activities=[one_session(min_size=3)], students=people(1, 1))
    schedule = solve_valid(scenario)
    assert schedule.sessions == []
    assert_proven(schedule, "coverage", 0)


def test_max_teams_limits_how_many_attend():
    scenario = ipe_only(activities=[one_session(max_teams=1, max_size=2)], students=people(3, 3))
    schedule = solve_valid(scenario)
    assert team_sizes(schedule, "S1") == [2]
    assert_proven(schedule, "coverage", 2)


def test_second_team_is_formed_up_to_max_teams():
    scenario = ipe_only(activities=[one_session(max_teams=2, max_size=2)], students=people(3, 3))
    schedule = solve_valid(scenario)
    assert team_sizes(schedule, "S1") == [2, 2]
    assert_proven(schedule, "coverage", 4)


def test_profession_maximum_caps_that_profession_per_team():
    limits = {"NURS": {"min": 0, "max": 1}, "PT": {"min": 0, "max": 3}}
    scenario = ipe_only(activities=[one_session(professions=limits)], students=people(4, 4))
    schedule = solve_valid(scenario)
    for team in session_entry_of(schedule, "S1").teams:
        assert professions_of(team.students).count("NURS") <= 1
    assert len(attendees(schedule, "S1") & {"n1", "n2", "n3", "n4"}) == 2
    assert_proven(schedule, "coverage", 6)


def test_min_professions_without_limits_needs_a_second_profession_per_team():
    scenario = ipe_only(
        activities=[one_session(max_teams=2, professions={})], students=people(5, 1)
    )
    schedule = solve_valid(scenario)
    assert team_sizes(schedule, "S1") == [4]
    assert "p1" in attendees(schedule, "S1")
    assert_proven(schedule, "coverage", 4)


def test_single_profession_cannot_form_a_mixed_team():
    scenario = ipe_only(activities=[one_session(professions={})], students=people(4, 0))
    schedule = solve_valid(scenario)
    assert schedule.sessions == []
    assert_proven(schedule, "coverage", 0)
