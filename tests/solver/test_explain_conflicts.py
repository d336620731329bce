"""Contradictory rules: an activity no team can ever form in is reported with the minimal set
of conflicting rules and their ids (assumption literals), never as a bare INFEASIBLE."""

from __future__ import annotations

from factories import activity, interval, make_scenario, session, student
from solver_helpers import ipe_only

from scheduler.services.explaining import explain_scenario
from solver.explain import conflicts_of

S1_DAY, S2_DAY = "2027-02-03", "2027-02-10"
BOTH_SESSIONS = [
    interval(f"{S1_DAY}T13:00", f"{S1_DAY}T15:00"),
    interval(f"{S2_DAY}T13:00", f"{S2_DAY}T15:00"),
]


def rule_codes(conflict) -> list[str]:
    return [rule.code for rule in conflict.rules]


def related(conflict) -> set[str]:
    return {r for rule in conflict.rules for r in rule.related}


def test_profession_minimum_without_a_free_member_of_it_conflicts():
    students = [student("n1", unavailable=BOTH_SESSIONS), student("p1", "PT"), student("p2", "PT")]
    (conflict,) = conflicts_of(ipe_only(students=students))
    assert conflict.activity == "A1"
    assert sorted(rule_codes(conflict)) == ["participants_free", "team_profession_min"]
    assert {"activities[0].team.professions.NURS.min", "NURS"} <= related(conflict)
    assert "none of the 1 NURS participant(s) is free at any session" in conflict.message


def test_min_size_above_everyone_in_the_term_conflicts():
    team = {"min_size": 5, "max_size": 6, "min_professions": 1, "professions": {}}
    (conflict,) = conflicts_of(ipe_only(activities=[activity(team=team)]))
    codes = rule_codes(conflict)
    assert "team_min_size" in codes
    assert "activities[0].team.min_size" in related(conflict)
    assert set(codes) <= {"team_min_size", "participants_free"}


def test_sessions_without_room_for_a_team_conflict_session_by_session():
    sessions = [
        session("S1", f"{S1_DAY}T13:00", f"{S1_DAY}T15:00", max_teams=0),
        session("S2", f"{S2_DAY}T13:00", f"{S2_DAY}T15:00", max_teams=0),
    ]
    (conflict,) = conflicts_of(ipe_only(activities=[activity(sessions=sessions)]))
    assert rule_codes(conflict) == ["session_max_teams", "session_max_teams"]
    assert {"activities[0].sessions[0].max_teams", "activities[0].sessions[1].max_teams"} <= (
        related(conflict)
    )


def test_no_free_facilitator_conflicts():
    busy = {"id": "F1", "name": "F", "profession": "NURS", "unavailable": BOTH_SESSIONS}
    (conflict,) = conflicts_of(ipe_only(facilitators=[busy]))
    assert rule_codes(conflict) == ["facilitators_free"]


def test_the_core_is_minimal_and_a_feasible_activity_has_none():
    assert conflicts_of(ipe_only()) == []
    students = [student("n1", unavailable=BOTH_SESSIONS), student("p1", "PT")]
    team = {"min_size": 5, "max_size": 6, "min_professions": 1, "professions": {"NURS": {"min": 1}}}
    (conflict,) = conflicts_of(ipe_only(students=students, activities=[activity(team=team)]))
    # Two minimal sets exist (NURS minimum vs no free NURS; min_size vs the 1 free student):
    # the core is one of them, not their union.
    minimal = [
        ["participants_free", "team_profession_min"],
        ["participants_free", "participants_free", "team_min_size"],
    ]
    assert sorted(rule_codes(conflict)) in minimal


def test_rules_contradicting_each_other_come_back_invalid_with_their_paths():
    team = {"min_size": 5, "max_size": 4, "min_professions": 1, "professions": {}}
    outcome = explain_scenario(scenario=make_scenario(activities=[activity(team=team)]))
    assert outcome.schedule.status == "invalid"
    assert [e.path for e in outcome.schedule.errors] == ["activities[0].team.min_size"]
    assert "no team can be formed" in outcome.schedule.errors[0].message


def test_the_explain_service_reports_conflicts_of_every_activity():
    students = [student("n1", unavailable=BOTH_SESSIONS), student("p1", "PT"), student("p2", "PT")]
    outcome = explain_scenario(
        scenario=ipe_only(students=students), time_limit_s=5, solve_time_limit_s=5, workers=2
    )
    (conflict,) = outcome.conflicts
    assert conflict["activity"] == "A1"
    assert {r["code"] for r in conflict["rules"]} == {"team_profession_min", "participants_free"}
