"""The synthetic term generator and the fixture terms built from it (or by hand)."""

from __future__ import annotations

import ast
import math
import pathlib
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from long_run import LONG

import fixtures
from fixtures import fixture_path
from scheduler.domain.checks import check_scenario
from scheduler.domain.loading import load_scenario_text
from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.scenario import Interval, ProgramCalendar, Scenario, Session
from scheduler.synthetic import (
    PROFESSIONS,
    generate_term,
    period_fits,
    quotas,
    scenario_to_json,
)


@pytest.fixture(scope="module")
def term_2000() -> Scenario:
    return generate_term(students=2000, seed=5)


def test_same_seed_gives_the_same_json() -> None:
    first = scenario_to_json(generate_term(students=300, seed=7))
    assert first == scenario_to_json(generate_term(students=300, seed=7))
    assert first != scenario_to_json(generate_term(students=300, seed=8))


@pytest.mark.parametrize("students", [1, 12, 50, 300, 2000])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_generated_terms_pass_the_scenario_checks(students: int, seed: int) -> None:
    scenario = generate_term(students=students, seed=seed)
    assert check_scenario(scenario) == []
    assert len(scenario.students) == students
    assert scenario.term.id == f"gen-{students}-{seed}"


def test_json_round_trips_through_the_loader() -> None:
    scenario = generate_term(students=300, seed=3)
    loaded = load_scenario_text(scenario_to_json(scenario))
    assert loaded.ok, loaded.errors[:3]
    assert loaded.scenario == scenario
    assert '"2027-' in scenario_to_json(scenario) and "+00:00" not in scenario_to_json(scenario)


def test_five_thousand_students_are_valid() -> None:
    assert check_scenario(generate_term(students=5000, seed=1)) == []


@pytest.mark.slow
def test_twenty_thousand_students_are_valid_and_quick() -> None:
    """Valid always; quick (under 10 s) is checked by `make test-long` only, on a quiet
    machine: under load the same code took 18.6 s here (tests/long_run.py)."""
    started = time.perf_counter()
    scenario = generate_term(students=20000, seed=1)
    elapsed = time.perf_counter() - started
    assert check_scenario(scenario) == []
    if LONG:
        assert elapsed < 10


def test_rejects_an_empty_or_too_short_term() -> None:
    with pytest.raises(ValueError):
        generate_term(students=0, seed=1)
    with pytest.raises(ValueError):
        generate_term(students=10, seed=1, weeks=6)


def test_quotas_keep_the_total_and_the_largest_remainders() -> None:
    assert quotas(12, [p[2] for p in PROFESSIONS]) == [4, 2, 2, 1, 2, 1]
    assert sum(quotas(5000, [p[2] for p in PROFESSIONS])) == 5000


def test_profession_shares_are_realistic(term_2000: Scenario) -> None:
    assert math.isclose(sum(share for _, _, share in PROFESSIONS), 1.0)
    counts = Counter(student.profession for student in term_2000.students)
    for code, _, share in PROFESSIONS:
        assert abs(counts[code] - share * 2000) <= 1
    cohorts = Counter(student.cohort for student in term_2000.students)
    assert 0.4 < cohorts["2027"] / 2000 < 0.6


def test_student_details_have_realistic_rates(term_2000: Scenario) -> None:
    students = term_2000.students
    rate = {
        "transit": sum(s.travel_mode == "transit" for s in students) / 2000,
        "spanish": sum("es" in s.languages for s in students) / 2000,
        "work": sum(bool(s.weekly_unavailable) for s in students) / 2000,
        "one_off": sum(bool(s.unavailable) for s in students) / 2000,
    }
    assert 0.2 < rate["transit"] < 0.3
    assert 0.11 < rate["spanish"] < 0.19
    assert 0.35 < rate["work"] < 0.45
    assert 0.15 < rate["one_off"] < 0.25
    assert all("en" in s.languages for s in students)
    assert len({s.email for s in students}) == 2000


def test_placed_students_rank_three_to_five_hosting_sites(term_2000: Scenario) -> None:
    hosting = {(s.site, s.profession) for s in term_2000.slots if s.status != "declined"}
    for student in term_2000.students:
        placed = requirement_for(student, term_2000.placement_requirements) is not None
        assert (3 <= len(student.site_preferences) <= 5) if placed else not student.site_preferences
        assert all((site, student.profession) in hosting for site in student.site_preferences)


def test_term_crosses_the_march_dst_change() -> None:
    term = generate_term(students=12, seed=1).term
    zone = ZoneInfo(term.timezone)
    start = datetime(term.start.year, term.start.month, term.start.day, 12, tzinfo=zone)
    end = datetime(term.end.year, term.end.month, term.end.day, 12, tzinfo=zone)
    assert start.utcoffset() != end.utcoffset()


def _overlap(a: Session, b: Session) -> bool:
    return a.start < b.end and b.start < a.end


def test_no_student_can_be_booked_into_two_activities_at_once(term_2000: Scenario) -> None:
    activities = term_2000.activities
    for i, first in enumerate(activities):
        for second in activities[i + 1 :]:
            for one in first.sessions:
                assert not any(_overlap(one, other) for other in second.sessions)


def test_parallel_sessions_use_different_rooms(term_2000: Scenario) -> None:
    booked = [(s.room, s) for a in term_2000.activities for s in a.sessions]
    for i, (room, session) in enumerate(booked):
        for other_room, other in booked[i + 1 :]:
            assert room != other_room or not _overlap(session, other)


def test_session_capacity_is_one_and_a_third_to_one_and_a_half_of_the_teams_needed(
    term_2000: Scenario,
) -> None:
    for activity in term_2000.activities:
        participants = sum(participates(s, activity) for s in term_2000.students)
        teams = sum(session.max_teams for session in activity.sessions)
        typical = (activity.team.min_size + activity.team.max_size) / 2
        assert 1.3 <= teams * typical / participants <= 2.2, activity.id


def test_seats_cover_the_placement_need(term_2000: Scenario) -> None:
    need: Counter[str] = Counter()
    for student in term_2000.students:
        requirement = requirement_for(student, term_2000.placement_requirements)
        need[student.profession] += requirement.count if requirement else 0
    seats: Counter[str] = Counter()
    for slot in term_2000.slots:
        seats[slot.profession] += slot.capacity if slot.status != "declined" else 0
    for code, _, _ in PROFESSIONS:
        assert 1.2 * need[code] <= seats[code] <= 1.5 * need[code] + 4, code


def test_slots_fit_their_professions_program_calendars(term_2000: Scenario) -> None:
    periods = {p.id: p for p in term_2000.periods}
    placed = {(r.profession, r.cohort) for r in term_2000.placement_requirements}
    for slot in term_2000.slots:
        for program in term_2000.program_calendars:
            selectors = {(program.profession, program.cohort), (program.profession, None)}
            if program.profession == slot.profession and selectors & placed:
                assert period_fits(periods[slot.period], program), slot.id


def test_some_sessions_clash_with_a_placement_period(term_2000: Scenario) -> None:
    """Sessions and placements must be solved together: some, not all, sessions clash."""
    sessions = [s for a in term_2000.activities for s in a.sessions]
    clashing = [
        session
        for session in sessions
        if any(not period_fits(period, _busy_during(session)) for period in term_2000.periods)
    ]
    assert 0 < len(clashing) < len(sessions)


def _busy_during(session: Session) -> ProgramCalendar:
    busy = Interval(start=session.start, end=session.end)
    return ProgramCalendar(profession="NURS", unavailable=[busy])


def test_tiny_fixture_loads_with_the_hand_counted_shape() -> None:
    loaded = load_scenario_text(fixture_path("tiny").read_text())
    assert loaded.ok, loaded.errors
    scenario = loaded.scenario
    assert scenario is not None
    assert Counter(s.profession for s in scenario.students) == {
        "NURS": 4,
        "PT": 3,
        "OT": 3,
        "SLP": 2,
    }
    assert [len(a.sessions) for a in scenario.activities] == [2]
    assert (len(scenario.rooms), len(scenario.facilitators)) == (1, 1)
    assert (len(scenario.sites), len(scenario.periods), len(scenario.slots)) == (2, 1, 3)
    assert len(scenario.placement_requirements) == 1
    assert scenario.term.timezone == "America/New_York"


def test_demo_fixture_is_the_renamed_generated_term() -> None:
    text = fixture_path("demo").read_text()
    loaded = load_scenario_text(text)
    assert loaded.ok, loaded.errors[:3]
    assert loaded.scenario is not None
    assert loaded.scenario.term.id == "demo-2027-spring"
    assert len(loaded.scenario.students) == 300
    assert len(loaded.scenario.activities) == 3
    generated = generate_term(students=300, seed=2027)
    renamed = generated.model_copy(
        update={
            "term": generated.term.model_copy(
                update={"id": "demo-2027-spring", "name": "Demo term, spring 2027"}
            )
        }
    )
    assert text == scenario_to_json(renamed), "regenerate fixtures/demo.json (see its docstring)"


def test_fixtures_package_imports_nothing_from_the_app() -> None:
    tree = ast.parse(pathlib.Path(fixtures.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"pathlib"}
