"""Helpers of the explanation tests: find an entry's reasons, check suggestions by replaying."""

from __future__ import annotations

from solver_helpers import solve_valid

from scheduler.domain.changes import apply_changes
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Reason, Schedule, Suggestion, Unassigned
from solver.explain import WhatIfSettings, suggest

SETTINGS = WhatIfSettings(time_limit_s=20, solve_s=5, workers=2)


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
