"""Explain a term: why needs are unmet and which changes, re-solved, would meet more.

Reasons and group causes come with every solve; this use case adds what is too expensive
for every solve: verified what-if suggestions (a time budget bounds them), and the
activities whose rules can never hold a team. A scenario that fails validation is answered
with its errors (each with a JSON path), never with a bare status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule, Suggestion, Unassigned
from scheduler.domain.validator import Violation, validate_schedule
from scheduler.services.solving import solve_scenario
from solver.explain import WhatIfProgress, WhatIfSettings, explain_term

DEFAULT_TIME_LIMIT_S = 30.0


class UnknownStudent(LookupError):
    """`student` names no student of the scenario."""


@dataclass(frozen=True)
class ExplainOutcome:
    """The explained schedule (reasons, `metrics["explanations"]`, `suggestions`)."""

    schedule: Schedule
    student: str | None = None
    violations: list[Violation] = field(default_factory=list)

    @property
    def entries(self) -> list[Unassigned]:
        """Unmet needs, of the one student when the explanation is about one."""
        return [
            e for e in self.schedule.unassigned if self.student is None or e.student == self.student
        ]

    @property
    def groups(self) -> list[dict[str, Any]]:
        return list(self.schedule.metrics.get("explanations", {}).get("groups", []))

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.schedule.metrics.get("explanations", {}).get("conflicts", []))

    @property
    def suggestions(self) -> list[Suggestion]:
        return list(self.schedule.suggestions)


def explain_scenario(
    *,
    scenario: Scenario,
    student: str | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    schedule: Schedule | None = None,
    solve_time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    on_progress: Callable[[WhatIfProgress], None] | None = None,
) -> ExplainOutcome:
    """Solve (or take `schedule`), explain every unmet need and verify suggestions within
    about `time_limit_s` seconds. An invalid scenario comes back with status `invalid` and
    its errors; a given schedule that breaks rules comes back unexplained, with them.
    `on_progress` hears after each what-if proposal how far the search is."""
    errors = check_scenario(scenario)
    if errors:
        return ExplainOutcome(schedule=invalid_schedule(scenario, errors), student=student)
    if student is not None and all(s.id != student for s in scenario.students):
        raise UnknownStudent(student)
    fresh = schedule is None
    if schedule is None:
        solved = solve_scenario(
            scenario=scenario, time_limit_s=solve_time_limit_s, workers=workers, seed=seed
        )
        schedule, violations = solved.schedule, solved.violations
    else:
        violations = validate_schedule(scenario, schedule)
    if violations or schedule.status in ("infeasible", "invalid"):
        # Broken or impossible schedules carry their own reasons (violations, `errors`).
        return ExplainOutcome(schedule=schedule, student=student, violations=violations)
    settings = WhatIfSettings(
        time_limit_s=time_limit_s, workers=workers, seed=seed or 0, on_progress=on_progress
    )
    explained = explain_term(
        scenario, schedule, settings=settings, student=student, reasons=not fresh
    )
    return ExplainOutcome(schedule=explained, student=student)


def invalid_schedule(scenario: Scenario, errors: list[ErrorItem]) -> Schedule:
    """Status `invalid` with every validation error: the contradictory rules, by path."""
    return Schedule(term=scenario.term.id, status="invalid", errors=errors)
