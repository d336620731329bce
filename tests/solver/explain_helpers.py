"""Helpers of the explanation tests: find an entry's reasons, check suggestions by replaying."""

from __future__ import annotations

from typing import Any

from factories import activity, interval, session, student
from solver_helpers import ipe_only, solve_valid

from scheduler.domain.changes import apply_changes
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Reason, Schedule, Suggestion, Unassigned
from solver.explain import WhatIfSettings, suggest

SETTINGS = WhatIfSettings(time_limit_s=20, solve_s=5, workers=2)

S1_DAY, S2_DAY = "2027-02-03", "2027-02-10"
PAIR_RULE = {
    "min_size": 2,
    "max_size": 2,
    "min_professions": 2,
    "professions": {"NURS": {"min": 1, "max": 1}, "PT": {"min": 1, "max": 1}},
}


def pairs(**fields: Any) -> dict[str, Any]:
    """A1 in teams of one NURS and one PT, one team per session, no facilitator (unless
    `fields` say otherwise)."""
    sessions = [
        session("S1", f"{S1_DAY}T13:00", f"{S1_DAY}T15:00", max_teams=1),
        session("S2", f"{S2_DAY}T13:00", f"{S2_DAY}T15:00", max_teams=1),
    ]
    defaults = {"team": PAIR_RULE, "teams_per_facilitator": 0, "sessions": sessions}
    return activity(**{**defaults, **fields})


def nurses_and_pts(nurses: int, pts: int, **busy: Any) -> list[dict[str, Any]]:
    """Students n1.. and p1..; `busy` gives a student's extra fields by id."""
    people = [student(f"n{i}") for i in range(1, nurses + 1)]
    people += [student(f"p{i}", "PT") for i in range(1, pts + 1)]
    return [{**p, **busy.get(p["id"], {})} for p in people]


PROFESSIONS = [
    {"code": "NURS", "name": "Nursing"},
    {"code": "PT", "name": "Physical Therapy"},
    {"code": "GC", "name": "Genetic Counseling"},
]
NURS_IN_EVERY_TEAM = {
    "min_size": 1,
    "max_size": 4,
    "min_professions": 1,
    "professions": {"NURS": {"min": 1}},
}


def busy_on(day: str) -> dict:
    return {"unavailable": [interval(f"{day}T13:00", f"{day}T15:00")]}


def gc_only_free_without_nurses():
    """Nurses are free only at S1, the GC students only at S2; every team needs a NURS."""
    students = [student("n1", **busy_on(S2_DAY)), student("n2", **busy_on(S2_DAY))]
    students += [student(f"g{i}", "GC", **busy_on(S1_DAY)) for i in range(1, 4)]
    sessions = [
        session("S1", f"{S1_DAY}T13:00", f"{S1_DAY}T15:00"),
        session("S2", f"{S2_DAY}T13:00", f"{S2_DAY}T15:00"),
    ]
    a1 = activity(
        participants=[{"profession": "NURS"}, {"profession": "GC"}],
        team=NURS_IN_EVERY_TEAM,
        teams_per_facilitator=0,
        sessions=sessions,
    )
    return ipe_only(professions=PROFESSIONS, students=students, activities=[a1])


def entry(schedule: Schedule, student: str, need: str = "A1") -> Unassigned:
    """The student's (first) unassigned entry for an activity or requirement."""
    return next(
        e
        for e in schedule.unassigned
        if e.student == student and need in (e.activity, e.requirement)
    )


def codes(item: Unassigned) -> list[str]:
    return [r.code for r in item.reasons]


def reason(item: Unassigned, code: str) -> Reason:
    """The entry's reason with that code (fails the test when there is none)."""
    found = [r for r in item.reasons if r.code == code]
    assert found, f"no {code} among {codes(item)}"
    return found[0]


def groups(schedule: Schedule) -> list[dict]:
    return schedule.metrics["explanations"]["groups"]


def needs_met(schedule: Schedule) -> int:
    attended = sum(len(t.students) for e in schedule.sessions for t in e.teams)
    return attended + len(schedule.placements)


def verified_suggestions(scenario: Scenario, schedule: Schedule, **kw: object) -> list[Suggestion]:
    """Suggestions for the schedule, each replayed: the changed scenario, solved afresh,
    meets at least the needs the suggestion promised."""
    found = suggest(scenario, schedule, settings=SETTINGS, **kw)  # type: ignore[arg-type]
    for suggestion in found:
        assert suggestion.gain > 0
        assert suggestion.needs_met == needs_met(schedule) + suggestion.gain
        replayed = solve_valid(apply_changes(scenario, suggestion.changes))
        assert needs_met(replayed) >= suggestion.needs_met, suggestion.message
    return found


def by_code(suggestions: list[Suggestion], code: str) -> Suggestion:
    found = [s for s in suggestions if s.code == code]
    assert found, f"no {code} suggestion among {[s.code for s in suggestions]}"
    return found[0]
