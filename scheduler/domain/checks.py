"""Semantic checks of a parsed scenario: everything pydantic cannot see field by field.

Every check appends to one list, so a coordinator sees all problems at once, each with the
JSON path of the offending value and a plain sentence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.domain.checks_weekly import check_weekly
from scheduler.domain.plan_checks import check_plans
from scheduler.domain.scenario import Activity, Interval, Scenario, WeeklyWindow
from scheduler.domain.scenario_types import clock_minutes
from scheduler.domain.schedule import ErrorItem


class Problems:
    """Collects validation problems in document order."""

    def __init__(self) -> None:
        self.items: list[ErrorItem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(ErrorItem(path=path, message=message))


def check_scenario(scenario: Scenario) -> list[ErrorItem]:
    """Every semantic problem of the scenario; an empty list means it can be solved."""
    problems = Problems()
    _check_term(scenario, problems)
    _check_unique_ids(scenario, problems)
    _check_references(scenario, problems)
    _check_times(scenario, problems)
    for index, activity in enumerate(scenario.activities):
        _check_team_rule(scenario, activity, f"activities[{index}]", problems)
    _check_requirements(scenario, problems)
    _check_policy(scenario, problems)
    check_weekly(scenario, problems)  # extension: units, weekly capacities, history
    problems.items += check_plans(scenario)  # extension: student plans
    return problems.items


def _check_term(scenario: Scenario, problems: Problems) -> None:
    term = scenario.term
    if term.end < term.start:
        problems.add("term.end", f"term ends ({term.end}) before it starts ({term.start})")
    try:
        ZoneInfo(term.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("term.timezone", f"unknown IANA timezone {term.timezone!r}")


def _duplicates(values: Iterable[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def _flag_duplicates(ids: list[str], path: str, field: str, what: str, problems: Problems) -> None:
    repeated = _duplicates(ids)
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in repeated and value in seen:
            problems.add(f"{path}[{index}].{field}", f"duplicate {what} id {value!r}")
        seen.add(value)


def _check_unique_ids(scenario: Scenario, problems: Problems) -> None:
    lists: list[tuple[str, str, str, list[str]]] = [
        ("professions", "code", "profession", [p.code for p in scenario.professions]),
        ("students", "id", "student", [s.id for s in scenario.students]),
        ("rooms", "id", "room", [r.id for r in scenario.rooms]),
        ("facilitators", "id", "facilitator", [f.id for f in scenario.facilitators]),
        ("activities", "id", "activity", [a.id for a in scenario.activities]),
        ("sites", "id", "site", [s.id for s in scenario.sites]),
        ("periods", "id", "period", [p.id for p in scenario.periods]),
        ("slots", "id", "slot", [s.id for s in scenario.slots]),
    ]
    for path, field, what, ids in lists:
        _flag_duplicates(ids, path, field, what, problems)
    seen_sessions: set[str] = set()
    for a_index, activity in enumerate(scenario.activities):
        for s_index, session in enumerate(activity.sessions):
            if session.id in seen_sessions:
                problems.add(
                    f"activities[{a_index}].sessions[{s_index}].id",
                    f"duplicate session id {session.id!r} "
                    "(session ids are unique across activities)",
                )
            seen_sessions.add(session.id)


def _check_references(scenario: Scenario, problems: Problems) -> None:
    professions = {p.code for p in scenario.professions}
    rooms = {r.id for r in scenario.rooms}
    sites = {s.id for s in scenario.sites}
    periods = {p.id for p in scenario.periods}

    def need(value: str, known: set[str], path: str, what: str) -> None:
        if value not in known:
            problems.add(path, f"unknown {what} {value!r}")

    for i, student in enumerate(scenario.students):
        need(student.profession, professions, f"students[{i}].profession", "profession")
        for j, site in enumerate(student.site_preferences):
            need(site, sites, f"students[{i}].site_preferences[{j}]", "site")
        for j in _repeated_positions(student.site_preferences):
            problems.add(f"students[{i}].site_preferences[{j}]", "site is ranked twice")
    for i, calendar in enumerate(scenario.program_calendars):
        need(calendar.profession, professions, f"program_calendars[{i}].profession", "profession")
    for i, facilitator in enumerate(scenario.facilitators):
        need(facilitator.profession, professions, f"facilitators[{i}].profession", "profession")
    for i, activity in enumerate(scenario.activities):
        for j, participant in enumerate(activity.participants):
            need(
                participant.profession,
                professions,
                f"activities[{i}].participants[{j}].profession",
                "profession",
            )
        for code in activity.team.professions:
            need(code, professions, f"activities[{i}].team.professions.{code}", "profession")
        for j, session in enumerate(activity.sessions):
            need(session.room, rooms, f"activities[{i}].sessions[{j}].room", "room")
    for i, slot in enumerate(scenario.slots):
        need(slot.site, sites, f"slots[{i}].site", "site")
        need(slot.period, periods, f"slots[{i}].period", "period")
        need(slot.profession, professions, f"slots[{i}].profession", "profession")
    for i, requirement in enumerate(scenario.placement_requirements):
        need(
            requirement.profession,
            professions,
            f"placement_requirements[{i}].profession",
            "profession",
        )


def _repeated_positions(values: list[str]) -> list[int]:
    seen: set[str] = set()
    positions = []
    for index, value in enumerate(values):
        if value in seen:
            positions.append(index)
        seen.add(value)
    return positions


def _check_times(scenario: Scenario, problems: Problems) -> None:
    term_start = datetime.combine(scenario.term.start, time())
    term_end = datetime.combine(scenario.term.end, time()) + timedelta(days=1)

    def interval(item: Interval, path: str) -> None:
        _check_interval(item.start, item.end, path, term_start, term_end, problems)

    def weekly(items: list[WeeklyWindow], path: str) -> None:
        for j, window in enumerate(items):
            if clock_minutes(window.end) <= clock_minutes(window.start):
                problems.add(
                    f"{path}[{j}].end",
                    f"weekly window ends ({window.end}) before it starts ({window.start})",
                )

    for i, student in enumerate(scenario.students):
        for j, busy in enumerate(student.unavailable):
            interval(busy, f"students[{i}].unavailable[{j}]")
        weekly(student.weekly_unavailable, f"students[{i}].weekly_unavailable")
    for i, calendar in enumerate(scenario.program_calendars):
        for j, busy in enumerate(calendar.unavailable):
            interval(busy, f"program_calendars[{i}].unavailable[{j}]")
        weekly(calendar.weekly_unavailable, f"program_calendars[{i}].weekly_unavailable")
    for i, facilitator in enumerate(scenario.facilitators):
        for j, busy in enumerate(facilitator.unavailable):
            interval(busy, f"facilitators[{i}].unavailable[{j}]")
        weekly(facilitator.weekly_unavailable, f"facilitators[{i}].weekly_unavailable")
    for i, activity in enumerate(scenario.activities):
        for j, session in enumerate(activity.sessions):
            path = f"activities[{i}].sessions[{j}]"
            _check_interval(session.start, session.end, path, term_start, term_end, problems)
    for i, period in enumerate(scenario.periods):
        if period.end < period.start:
            problems.add(
                f"periods[{i}].end", f"period ends ({period.end}) before it starts ({period.start})"
            )
        if period.start < scenario.term.start or period.end > scenario.term.end:
            problems.add(
                f"periods[{i}]",
                f"period {period.start}..{period.end} lies outside the term "
                f"{scenario.term.start}..{scenario.term.end}",
            )
        weekly(period.weekly, f"periods[{i}].weekly")


def _check_interval(
    start: datetime,
    end: datetime,
    path: str,
    term_start: datetime,
    term_end: datetime,
    problems: Problems,
) -> None:
    if end <= start:
        problems.add(
            f"{path}.end", f"ends ({end:%Y-%m-%dT%H:%M}) before it starts ({start:%Y-%m-%dT%H:%M})"
        )
        return
    if start < term_start or end > term_end:
        problems.add(
            path,
            f"interval {start:%Y-%m-%dT%H:%M}..{end:%Y-%m-%dT%H:%M} lies outside the term",
        )


def _check_team_rule(scenario: Scenario, activity: Activity, path: str, problems: Problems) -> None:
    rule = activity.team
    participant_professions = {p.profession for p in activity.participants}
    if rule.min_size > rule.max_size:
        problems.add(
            f"{path}.team.min_size",
            f"min_size {rule.min_size} is above max_size {rule.max_size}: no team can be formed",
        )
    if rule.min_professions > len(participant_professions):
        problems.add(
            f"{path}.team.min_professions",
            f"min_professions {rule.min_professions} is above the {len(participant_professions)} "
            "participant professions: no team can be formed",
        )
    if rule.min_professions > rule.max_size:
        problems.add(
            f"{path}.team.min_professions",
            f"min_professions {rule.min_professions} is above max_size {rule.max_size}",
        )
    minimum_sum = sum(limit.min for limit in rule.professions.values())
    if minimum_sum > rule.max_size:
        problems.add(
            f"{path}.team.professions",
            f"per-profession minimums sum to {minimum_sum}, above max_size {rule.max_size}",
        )
    for code, limit in rule.professions.items():
        if limit.max is not None and limit.min > limit.max:
            problems.add(
                f"{path}.team.professions.{code}",
                f"min {limit.min} is above max {limit.max}",
            )
        if limit.min > 0 and code not in participant_professions:
            problems.add(
                f"{path}.team.professions.{code}",
                f"every team needs {limit.min} {code} but {code} is not a participant profession",
            )
    reachable = 0
    for code in participant_professions:
        cap = rule.professions.get(code)
        reachable += rule.max_size if cap is None or cap.max is None else cap.max
    if participant_professions and reachable < rule.min_size:
        problems.add(
            f"{path}.team.min_size",
            f"per-profession maximums allow at most {reachable} students, "
            f"below min_size {rule.min_size}",
        )


def _check_requirements(scenario: Scenario, problems: Problems) -> None:
    requirements = scenario.placement_requirements
    selectors = [f"{r.profession}/{r.cohort}" for r in requirements]
    for index in _repeated_positions(selectors):
        problems.add(
            f"placement_requirements[{index}]",
            "another requirement already covers the same profession and cohort",
        )
    _flag_duplicates(
        [r.key for r in requirements], "placement_requirements", "id", "requirement", problems
    )
    for i, requirement in enumerate(requirements):
        for tag, minimum in requirement.tags.items():
            path = f"placement_requirements[{i}].tags.{tag}"
            if minimum < 0:
                problems.add(path, "tag minimum is negative")
            elif minimum > requirement.count:
                problems.add(
                    path,
                    f"tag minimum {minimum} is above count {requirement.count}: "
                    "no student could meet it",
                )


def _check_policy(scenario: Scenario, problems: Problems) -> None:
    objectives = scenario.policy.objectives
    for index in _repeated_positions(list(objectives)):
        problems.add(
            f"policy.objectives[{index}]", f"objective {objectives[index]!r} is listed twice"
        )
    _check_pins(scenario, problems)
    previous = scenario.policy.previous
    if previous is not None and previous.term != scenario.term.id:
        problems.add(
            "policy.previous.term",
            f"previous schedule is for term {previous.term!r}, not {scenario.term.id!r}",
        )


def _check_pins(scenario: Scenario, problems: Problems) -> None:
    """Each pin names a known student and exactly one known session or slot."""
    students = {s.id for s in scenario.students}
    sessions = {s.id for a in scenario.activities for s in a.sessions}
    slots = {s.id for s in scenario.slots}
    for i, pin in enumerate(scenario.policy.pinned):
        path = f"policy.pinned[{i}]"
        if pin.student not in students:
            problems.add(f"{path}.student", f"unknown student {pin.student!r}")
        if (pin.session is None) == (pin.slot is None):
            problems.add(path, "a pin names exactly one of `session` and `slot`")
        if pin.session is not None and pin.session not in sessions:
            problems.add(f"{path}.session", f"unknown session {pin.session!r}")
        if pin.slot is not None and pin.slot not in slots:
            problems.add(f"{path}.slot", f"unknown slot {pin.slot!r}")
