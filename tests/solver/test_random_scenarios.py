"""Property test: small random terms always solve to schedules the independent validator
accepts, with objective values consistent with their bounds and with the validator's."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from factories import base_scenario_data, student
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import Violation, objective_values, validate_schedule
from solver import SolveOptions, solve

PROFESSIONS = ["NURS", "PT", "OT"]
TAGS = ["acute", "underserved", "rural"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
FIRST_MONDAY = date(2027, 3, 1)
MAXIMISED = {"coverage"}
EPS = 1e-6
COMPARED = ["coverage", "preferences", "travel_total", "travel_fairness", "team_balance"]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def stamp(day: date, hour: int, minutes: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minutes:02d}"


@st.composite
def span_on(draw: st.DrawFn, days: list[int], longest: int = 3, latest: int = 16) -> dict[str, str]:
    """An interval of 1..`longest` hours starting 08:00..`latest`:00 on one of the given
    days of the first two weeks of March 2027 (day 0 = Monday 1 March)."""
    day = FIRST_MONDAY + timedelta(days=draw(st.sampled_from(days)))
    hour = draw(st.integers(8, latest))
    minutes = draw(st.sampled_from([0, 30]))
    length = draw(st.integers(1, longest))
    return {"start": stamp(day, hour, minutes), "end": stamp(day, hour + length, minutes)}


@st.composite
def weekly_window(draw: st.DrawFn, longest: int = 6) -> dict[str, str]:
    hour = draw(st.integers(7, 15))
    length = draw(st.integers(1, longest))
    return {
        "day": draw(st.sampled_from(WEEKDAYS)),
        "start": f"{hour:02d}:00",
        "end": f"{hour + length:02d}:00",
    }


LIKELY = st.sampled_from([True, True, False])
FACILITATED = st.sampled_from([1, 0, 2])
ALL_DAYS = list(range(12))
SESSION_DAYS = [0, 1, 2, 3, 4]
"""Sessions fall in one week, so rooms, facilitators and students often clash."""
CLASH_DAYS = [0]
"""The one day of every session when activities may clash."""
SPLIT_DAYS = ([0, 2, 4], [1, 3])
"""Days of the two activities when they share students but must never clash."""


@st.composite
def team_rule(draw: st.DrawFn, professions: list[str]) -> dict[str, Any]:
    min_size = draw(st.sampled_from([2, 1, 3]))
    limits = {}
    for code in draw(st.lists(st.sampled_from(professions), unique=True, max_size=2)):
        low = draw(st.integers(0, 2))
        high = draw(st.one_of(st.none(), st.integers(low, 3)))
        limits[code] = {"min": low} if high is None else {"min": low, "max": high}
    return {
        "min_size": min_size,
        "max_size": draw(st.integers(min_size, 4)),
        "min_professions": draw(st.sampled_from([1, 2, 0, len(professions)])),
        "professions": limits,
    }


@st.composite
def activities(
    draw: st.DrawFn, professions: list[str], clash_across_activities: bool
) -> list[dict[str, Any]]:
    """1-2 activities. Sessions of two activities overlap in time only for disjoint
    participants (cohorts a and b) unless `clash_across_activities`, which draws two
    activities of every profession, without facilitators, all sessions starting 08:00-09:00
    on one day: most sessions of one overlap most of the other's."""
    count = 2 if clash_across_activities else draw(st.integers(1, 2))
    split_people = count == 2 and not clash_across_activities and draw(st.booleans())
    result = []
    for a in range(count):
        if clash_across_activities:
            days = CLASH_DAYS
        elif count == 1 or split_people:
            days = SESSION_DAYS
        else:
            days = SPLIT_DAYS[a]
        size = 3 if clash_across_activities else draw(st.sampled_from([2, 1, 3]))
        members = draw(st.permutations(professions))[:size]
        cohort = {"cohort": "ab"[a]} if split_people else {}
        sessions = [
            {
                **draw(span_on(days, latest=9 if clash_across_activities else 16)),
                "id": f"S{a}{k}",
                "room": draw(st.sampled_from(["R1", "R2"])),
                "max_teams": draw(st.sampled_from([2, 1, 0])),
            }
            for k in range(draw(st.integers(1, 3)))
        ]
        result.append(
            {
                "id": f"A{a}",
                "name": f"Activity {a}",
                "participants": [{"profession": p, **cohort} for p in members],
                "team": draw(team_rule(members)),
                "teams_per_facilitator": 0 if clash_across_activities else draw(FACILITATED),
                "sessions": sessions,
            }
        )
    return result


@st.composite
def people(draw: st.DrawFn, professions: list[str], sites: list[str]) -> list[dict[str, Any]]:
    result = []
    for i in range(draw(st.integers(3, 10))):
        home = draw(st.one_of(st.none(), location()))
        fields: dict[str, Any] = {
            "cohort": draw(st.sampled_from(["a", "b"])),
            "unavailable": draw(st.lists(span_on(ALL_DAYS, 4), max_size=2)),
            "weekly_unavailable": draw(st.lists(weekly_window(3), max_size=1)),
            "travel_mode": draw(st.sampled_from(["car", "car", "transit"])),
            "languages": draw(st.sampled_from([["en"], ["en"], ["fr"], ["en", "fr"], []])),
            "needs": draw(st.sampled_from([[], [], ["accessible"]])),
            "site_preferences": draw(st.permutations(sites))[: draw(st.integers(0, len(sites)))],
        }
        if home is not None:
            fields["home"] = home
        result.append(student(f"s{i}", draw(st.sampled_from(professions)), **fields))
    return result


def location() -> st.SearchStrategy[dict[str, float]]:
    offsets = st.floats(-0.3, 0.3, allow_nan=False).map(lambda x: round(x, 3))
    return st.builds(lambda a, b: {"lat": 45.0 + a, "lon": -75.0 + b}, offsets, offsets)


@st.composite
def placement_world(draw: st.DrawFn, professions: list[str]) -> dict[str, Any]:
    sites = [
        {
            "id": f"H{i}",
            "name": f"Site {i}",
            "location": draw(location()),
            "transit_accessible": draw(LIKELY),
            "accessible": draw(LIKELY),
            "tags": draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=2)),
            "languages": ["en"],
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    periods = []
    for i in range(draw(st.integers(1, 2))):
        start = date(2027, 2, 22) + timedelta(weeks=draw(st.integers(0, 2)))
        end = start + timedelta(days=draw(st.integers(4, 20)))
        windows = draw(st.lists(weekly_window(), max_size=2))
        periods.append(
            {"id": f"P{i}", "start": start.isoformat(), "end": end.isoformat(), "weekly": windows}
        )
    slots = [
        {
            "id": f"L{i}",
            "site": draw(st.sampled_from(sites))["id"],
            "period": draw(st.sampled_from(periods))["id"],
            "profession": draw(st.sampled_from(professions)),
            "capacity": draw(st.sampled_from([2, 1, 0])),
            "language": draw(st.sampled_from([None, None, None, "en", "fr"])),
            "status": draw(st.sampled_from(["confirmed", "offered", "declined"])),
        }
        for i in range(draw(st.sampled_from([3, 4, 2, 1])))
    ]
    requirements = []
    for code in professions:
        count = draw(st.sampled_from([1, 2, 0, None]))
        if count is None:
            continue
        tags = draw(st.dictionaries(st.sampled_from(TAGS), st.integers(0, count), max_size=2))
        requirements.append({"profession": code, "count": count, "tags": tags})
    return {
        "sites": sites,
        "periods": periods,
        "slots": slots,
        "placement_requirements": requirements,
    }


@st.composite
def calendar(draw: st.DrawFn, professions: list[str]) -> dict[str, Any]:
    """Busy time of one profession, or of one cohort of it."""
    cohort = draw(st.sampled_from([{}, {"cohort": "a"}]))
    return {
        "profession": draw(st.sampled_from(professions)),
        **cohort,
        "unavailable": draw(st.lists(span_on(ALL_DAYS, 4), max_size=1)),
        "weekly_unavailable": draw(st.lists(weekly_window(2), max_size=1)),
    }


@st.composite
def scenarios(draw: st.DrawFn, clash_across_activities: bool = True) -> Scenario:
    professions = PROFESSIONS[: draw(st.integers(2, 3))]
    world = draw(placement_world(professions))
    facilitators = [
        {
            "id": f"F{i}",
            "name": f"Facilitator {i}",
            "profession": professions[0],
            "unavailable": draw(st.lists(span_on(ALL_DAYS, 4), max_size=1)),
            "max_sessions": draw(st.sampled_from([None, 1, 2, 0])),
        }
        for i in range(draw(st.sampled_from([1, 2, 0])))
    ]
    max_km = draw(st.one_of(st.none(), st.integers(150, 600).map(lambda x: x / 10)))
    data = {
        **base_scenario_data(),
        **world,
        "professions": [{"code": code, "name": code} for code in professions],
        "students": draw(people(professions, [s["id"] for s in world["sites"]])),
        "rooms": [
            {"id": "R1", "name": "Room 1", "accessible": draw(LIKELY)},
            {"id": "R2", "name": "Room 2", "accessible": draw(st.booleans())},
        ],
        "facilitators": facilitators,
        "program_calendars": draw(st.lists(calendar(professions), max_size=1)),
        "activities": draw(activities(professions, clash_across_activities)),
        "policy": {} if max_km is None else {"max_travel_km": max_km},
    }
    scenario = Scenario.model_validate(data)
    assume(check_scenario(scenario) == [])
    return scenario


def examine(scenario: Scenario) -> tuple[list[Violation], list[str]]:
    """Solve; return the validator's violations and every inconsistency of the objectives
    (value vs bound by sense, optimal means value == bound, value vs the validator's)."""
    schedule = solve(scenario, options=SolveOptions(time_limit_s=5, workers=2, seed=0))
    recomputed = objective_values(scenario, schedule)
    problems = []
    for level in schedule.objectives:
        value, bound, name = level.value, level.bound, level.name
        if value is None or bound is None:
            problems.append(f"{name}: no value or bound")
            continue
        if (value > bound + EPS) if name in MAXIMISED else (value < bound - EPS):
            problems.append(f"{name}: value {value} beyond bound {bound}")
        if schedule.status == "optimal" and abs(value - bound) > EPS:
            problems.append(f"{name}: optimal but value {value} != bound {bound}")
        if name in COMPARED and abs(value - recomputed[name]) > EPS:
            problems.append(f"{name}: reported {value}, validator computes {recomputed[name]}")
    return validate_schedule(scenario, schedule), problems


@SETTINGS
@given(scenarios(clash_across_activities=False))
def test_random_terms_solve_to_valid_consistent_schedules(scenario: Scenario):
    violations, problems = examine(scenario)
    assert violations == []
    assert problems == []


@settings(SETTINGS, phases=[Phase.explicit, Phase.generate])
@given(scenarios(clash_across_activities=True))
def test_random_terms_with_clashing_activities_solve_to_valid_schedules(scenario: Scenario):
    violations, problems = examine(scenario)
    assert violations == []
    assert problems == []
