"""Benchmark families of generated terms: each is deterministic, valid, and has the one
property that defines it (small terms, so the suite stays fast)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from scheduler.domain.checks import check_scenario
from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.scenario import Period, Scenario
from scheduler.synthetic import DEFAULT, generate_term, scenario_to_json
from scheduler.synthetic_families import FAMILIES, family_named


def term(name: str, students: int = 300, seed: int = 1) -> Scenario:
    return generate_term(students=students, seed=seed, family=family_named(name))


def test_at_least_the_issue_families_exist() -> None:
    assert {
        "default",
        "facilitator-bound",
        "clinical-days",
        "overlapping-blocks",
        "many-small-activities",
        "one-large-activity",
        "tight-seats",
    } <= set(FAMILIES)
    with pytest.raises(ValueError, match="known families: default"):
        family_named("huge")


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("students", [1, 40, 300])
def test_every_family_is_valid_and_fixed_by_the_seed(name: str, students: int) -> None:
    scenario = term(name, students, seed=2)
    assert check_scenario(scenario) == []
    assert len(scenario.students) == students
    assert scenario_to_json(scenario) == scenario_to_json(term(name, students, seed=2))
    assert scenario_to_json(scenario) != scenario_to_json(term(name, students, seed=3))


def test_the_default_family_is_the_term_without_a_family() -> None:
    plain = generate_term(students=120, seed=4)
    assert scenario_to_json(plain) == scenario_to_json(term("default", 120, seed=4))
    assert plain.term.id == "gen-120-4"
    assert term("tight-seats", 120, seed=4).term.id == "gen-120-4-tight-seats"


def _facilitator_sessions_needed(scenario: Scenario) -> int:
    """A lower bound on the facilitator-sessions that seat every participant: the fewest
    teams (all of maximum size), each facilitator leading `teams_per_facilitator` teams."""
    needed = 0
    for activity in scenario.activities:
        attendees = sum(1 for s in scenario.students if participates(s, activity))
        teams = math.ceil(attendees / activity.team.max_size)
        needed += math.ceil(teams / activity.teams_per_facilitator)
    return needed


@pytest.mark.parametrize("seed", [1, 2])
def test_facilitator_bound_has_less_facilitator_capacity_than_attendees_need(seed: int) -> None:
    bound = term("facilitator-bound", 600, seed)
    offered = sum(f.max_sessions or 0 for f in bound.facilitators)
    assert offered < _facilitator_sessions_needed(bound)
    default = term("default", 600, seed)
    assert sum(f.max_sessions or 0 for f in default.facilitators) > _facilitator_sessions_needed(
        default
    )


def _weekdays(period: Period) -> set[str]:
    return {window.day for window in period.weekly}


def test_clinical_days_are_tue_thu_and_classes_the_other_days() -> None:
    scenario = term("clinical-days", 300)
    assert len(scenario.periods) == 2
    for period in scenario.periods:
        assert _weekdays(period) == {"tue", "thu"}
        assert (period.end - period.start) == timedelta(weeks=5, days=4)  # six weeks, Mon-Fri
    assert not any(
        window.day in ("tue", "thu")
        for calendar in scenario.program_calendars
        for window in calendar.weekly_unavailable
    )
    for activity in scenario.activities:
        assert all(s.start.strftime("%a") in ("Mon", "Wed", "Fri") for s in activity.sessions)


def test_overlapping_blocks_are_placements_only_in_periods_that_overlap() -> None:
    scenario = term("overlapping-blocks", 300)
    assert scenario.activities == [] and scenario.facilitators == [] and scenario.rooms == []
    periods = scenario.periods
    overlapping = [
        (a, b)
        for i, a in enumerate(periods)
        for b in periods[i + 1 :]
        if a.start <= b.end and b.start <= a.end
    ]
    clashing = [(a, b) for a, b in overlapping if _weekdays(a) & _weekdays(b)]
    assert overlapping and clashing  # some overlap on dates only, some on the same weekdays
    assert len(overlapping) > len(clashing)
    assert {s.period for s in scenario.slots} == {p.id for p in periods}


def _attendees(scenario: Scenario) -> list[int]:
    return [
        sum(1 for s in scenario.students if participates(s, activity))
        for activity in scenario.activities
    ]


def test_many_small_activities_each_hold_a_small_share_of_the_students() -> None:
    scenario = term("many-small-activities", 300)
    assert len(scenario.activities) >= 10 > len(term("default", 300).activities)
    assert all(0 < n <= 0.4 * len(scenario.students) for n in _attendees(scenario))


def test_one_large_activity_is_attended_by_every_student() -> None:
    scenario = term("one-large-activity", 300)
    assert len(scenario.activities) == 1
    assert _attendees(scenario) == [300]
    assert len(scenario.activities[0].sessions) > 2


def _seat_ratio(scenario: Scenario) -> float:
    usable = sum(s.capacity for s in scenario.slots if s.status != "declined")
    needed = 0
    for student in scenario.students:
        requirement = requirement_for(student, scenario.placement_requirements)
        needed += requirement.count if requirement else 0
    return usable / needed


def _team_places_per_attendee(scenario: Scenario) -> float:
    places = sum(s.max_teams * a.team.max_size for a in scenario.activities for s in a.sessions)
    return places / sum(_attendees(scenario))


@pytest.mark.parametrize("seed", [1, 2])
def test_tight_seats_have_almost_no_slack(seed: int) -> None:
    tight, default = term("tight-seats", 600, seed), term("default", 600, seed)
    assert 1.0 <= _seat_ratio(tight) < 1.1 < 1.2 < _seat_ratio(default)
    assert _team_places_per_attendee(tight) < 0.8 * _team_places_per_attendee(default)


def test_default_family_is_the_module_default() -> None:
    assert FAMILIES["default"] is DEFAULT
