"""Helpers of the solver tests: solve small scenarios and read the answer by behaviour."""

from __future__ import annotations

from typing import Any

from factories import activity, make_scenario, session, site, slot, student, weekly

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ObjectiveResult, Schedule
from scheduler.domain.validator import objective_values, validate_schedule
from solver import SolveOptions, solve

TIME_LIMIT_S = 10.0


def ipe_only(**overrides: Any) -> Scenario:
    """The base scenario without placements: only sessions count."""
    return make_scenario(**{"slots": [], "placement_requirements": [], **overrides})


def placements_only(**overrides: Any) -> Scenario:
    """The base scenario without activities: only placements count."""
    return make_scenario(**{"activities": [], **overrides})


def solve_valid(scenario: Scenario, time_limit_s: float = TIME_LIMIT_S) -> Schedule:
    """Solve, and check the independent validator accepts the schedule and its values."""
    schedule = solve(scenario, options=SolveOptions(time_limit_s=time_limit_s, workers=2, seed=0))
    assert validate_schedule(scenario, schedule) == []
    recomputed = objective_values(scenario, schedule)
    for level in schedule.objectives:
        if level.name in recomputed and level.value is not None:
            assert abs(level.value - recomputed[level.name]) < 1e-6, level.name
    return schedule


def level(schedule: Schedule, name: str) -> ObjectiveResult:
    """The schedule's result for one objective level."""
    return next(o for o in schedule.objectives if o.name == name)


def assert_proven(schedule: Schedule, name: str, expected: float) -> None:
    """The level is proven optimal at the hand-computed value."""
    assert schedule.status == "optimal"
    result = level(schedule, name)
    assert result.value == result.bound == expected


def attendees(schedule: Schedule, session_id: str) -> set[str]:
    """Students in any team of a session (empty when the session is not held)."""
    return {
        student
        for entry in schedule.sessions
        if entry.session == session_id
        for team in entry.teams
        for student in team.students
    }


def held_sessions(schedule: Schedule) -> set[str]:
    return {entry.session for entry in schedule.sessions if entry.teams}


def session_entry_of(schedule: Schedule, session_id: str):
    return next(entry for entry in schedule.sessions if entry.session == session_id)


def team_sizes(schedule: Schedule, session_id: str) -> list[int]:
    return [len(team.students) for team in session_entry_of(schedule, session_id).teams]


def slots_of(schedule: Schedule, student_id: str) -> set[str]:
    return {p.slot for p in schedule.placements if p.student == student_id}


def placed(schedule: Schedule) -> set[str]:
    return {p.student for p in schedule.placements}


def activity_reasons(schedule: Schedule, student_id: str, activity_id: str = "A1") -> list[str]:
    """Headline reason code of the student's unassigned entry for the activity ([] when
    attending); the causes after the headline are tested in tests/solver/test_explain*.py."""
    return [
        item.reasons[0].code
        for item in schedule.unassigned
        if item.student == student_id and item.activity == activity_id
    ]


def requirement_entries(schedule: Schedule, student_id: str) -> list[Any]:
    """The student's unassigned placement entries."""
    return [
        item
        for item in schedule.unassigned
        if item.student == student_id and item.requirement is not None
    ]


# --- a term where the preferred placement period covers a session ----------------------

CLASH_PERIODS = [
    # P1 is on site Mondays 08:00-16:00 in March: it covers the Monday session below.
    {
        "id": "P1",
        "start": "2027-03-01",
        "end": "2027-03-26",
        "weekly": [weekly("mon", "08:00", "16:00")],
    },
    {
        "id": "P2",
        "start": "2027-04-05",
        "end": "2027-04-23",
        "weekly": [weekly("mon", "08:00", "16:00")],
    },
]
CLASH_SITES = [site("H1"), site("H2", 45.2, -75.2)]
CLASH_SLOTS = [slot("L1", site="H1", period="P1"), slot("L2", site="H2", period="P2")]
CLASH_PAIR_RULE = {
    "min_size": 2,
    "max_size": 2,
    "min_professions": 2,
    "professions": {"NURS": {"min": 1, "max": 1}, "PT": {"min": 1, "max": 1}},
}


def clash_term(*sessions: dict[str, Any], nurses: int, **overrides: Any) -> Scenario:
    """Nurses who all rank H1 (period P1) first and H2 (period P2) second, one PT per nurse,
    one activity of pairs (one NURS + one PT) without facilitators; fields can be replaced."""
    students = [student(f"n{i}", site_preferences=["H1", "H2"]) for i in range(1, nurses + 1)]
    students += [student(f"p{i}", "PT") for i in range(1, nurses + 1)]
    a1 = activity(team=CLASH_PAIR_RULE, teams_per_facilitator=0, sessions=list(sessions))
    fields: dict[str, Any] = {
        "students": students,
        "activities": [a1],
        "sites": CLASH_SITES,
        "periods": CLASH_PERIODS,
        "slots": CLASH_SLOTS,
        "placement_requirements": [{"profession": "NURS", "count": 1, "tags": {}}],
    }
    return make_scenario(**{**fields, **overrides})


MONDAY = session("S1", "2027-03-08T10:00", "2027-03-08T12:00", max_teams=1)
WEDNESDAY = session("S2", "2027-03-10T10:00", "2027-03-10T12:00", max_teams=1)
