"""Summaries of a schedule for people: how many needs it meets, activity by activity, and
how fairly outcomes fall across professions and student groups (the equity report).

Counted from the scenario and the schedule alone, so the figures do not depend on what the
solver chose to put in `metrics`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scheduler.domain.equity import DEFAULT_THRESHOLD, EquityReport, equity_report
from scheduler.domain.equity_svg import charts
from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.scenario import Activity, Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services.solving import ProgressCallback, SolveOutcome, solve_scenario


@dataclass(frozen=True)
class Coverage:
    """Needs met out of needs owed, for one activity or for placements."""

    name: str
    met: int
    total: int


def coverage(scenario: Scenario, schedule: Schedule) -> list[Coverage]:
    """One line per activity, then one for placements (when the term has any)."""
    lines = [_activity_coverage(scenario, schedule, activity) for activity in scenario.activities]
    if scenario.placement_requirements:
        lines.append(_placement_coverage(scenario, schedule))
    return lines


def total_coverage(lines: list[Coverage]) -> Coverage:
    """All needs together: the value the `coverage` objective maximises."""
    return Coverage("all needs", sum(c.met for c in lines), sum(c.total for c in lines))


def _activity_coverage(scenario: Scenario, schedule: Schedule, activity: Activity) -> Coverage:
    owed = {s.id for s in scenario.students if participates(s, activity)}
    attending = {
        student
        for assignment in schedule.sessions
        if assignment.activity == activity.id
        for team in assignment.teams
        for student in team.students
    }
    return Coverage(activity.id, len(owed & attending), len(owed))


def _placement_coverage(scenario: Scenario, schedule: Schedule) -> Coverage:
    held = Counter(p.student for p in schedule.placements)
    met = total = 0
    for student in scenario.students:
        requirement = requirement_for(student, scenario.placement_requirements)
        if requirement is not None:
            total += requirement.count
            met += min(held[student.id], requirement.count)
    return Coverage("placements", met, total)


# --- equity (issue 8) -------------------------------------------------------------------------

FAIRNESS_LEVEL = "equity_gap"


def equity(
    *,
    scenario: Scenario,
    schedule: Schedule,
    threshold: float = DEFAULT_THRESHOLD,
    previous: Schedule | None = None,
    baseline: Schedule | None = None,
) -> EquityReport:
    """The equity report of a schedule (`scheduler.domain.equity`): by profession and group,
    gaps flagged, moves against `previous`, the fairness level's cost against `baseline`."""
    return equity_report(
        scenario, schedule, threshold=threshold, previous=previous, baseline=baseline
    )


def equity_charts(report: EquityReport) -> dict[str, str]:
    """SVG charts of an equity report by file name (`gap-METRIC.svg`, `cost.svg`), for the
    coordinator pages: each is a self-contained, accessible `<svg role="img">`."""
    return charts(report)


def has_fairness_level(scenario: Scenario) -> bool:
    """True when the policy optimises `equity_gap`: only then is there a cost to show."""
    return FAIRNESS_LEVEL in scenario.policy.objectives


def without_fairness(scenario: Scenario) -> Scenario:
    """The same term with the `equity_gap` level taken out of the policy order."""
    order = [name for name in scenario.policy.objectives if name != FAIRNESS_LEVEL]
    policy = scenario.policy.model_copy(update={"objectives": order})
    return scenario.model_copy(update={"policy": policy})


def solve_without_fairness(
    *,
    scenario: Scenario,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> SolveOutcome:
    """The baseline of the cost section: the term solved with every level but `equity_gap`,
    re-checked by the validator like any solve."""
    return solve_scenario(
        scenario=without_fairness(scenario),
        time_limit_s=time_limit_s,
        workers=workers,
        seed=seed,
        on_progress=on_progress,
    )
