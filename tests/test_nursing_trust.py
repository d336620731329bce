"""The `nursing-trust` family and its fixture: weekly blocks over wards with weekly capacity
by year, history and specialities; valid, fixed by the seed, and solved within the
capacity calendar with students spread over more than one ward."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from fixtures import fixture_path
from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import objective_values, validate_schedule
from scheduler.synthetic import generate_term, scenario_to_json
from scheduler.synthetic_families import family_named
from solver import SolveOptions, solve


def family_term(students: int, seed: int = 1) -> Scenario:
    return generate_term(students=students, seed=seed, family=family_named("nursing-trust"))


def test_the_family_has_what_defines_it() -> None:
    term = family_term(120)
    assert check_scenario(term) == []
    units = [u for site in term.sites for u in site.units]
    assert len(units) == 20 and all(u.tags for u in units)
    assert {row.cohort for row in term.weekly_capacities} == {"y1", "y2", "y3", None}
    # blocks overlap in time, so a ward's weekly capacity is shared across blocks
    periods = sorted(term.periods, key=lambda p: p.start)
    assert any(later.start <= p.end for p, later in zip(periods, periods[1:], strict=False))
    by_year = defaultdict(set)
    for student in term.students:
        by_year[student.cohort].add(len(student.history))
    assert by_year == {"y1": {0}, "y2": {3}, "y3": {6}}
    assert {"distinct_sites", "distinct_tags"} <= set(term.policy.objectives)
    assert scenario_to_json(term) == scenario_to_json(family_term(120))


def test_the_fixture_loads_and_solves_within_capacity() -> None:
    data = json.loads(fixture_path("nursing_trust").read_text())
    scenario = Scenario.model_validate(data)
    assert check_scenario(scenario) == []
    schedule = solve(scenario, options=SolveOptions(time_limit_s=10, workers=2, seed=0))
    assert schedule.status in ("optimal", "feasible")
    assert validate_schedule(scenario, schedule) == []
    recomputed = objective_values(scenario, schedule)
    for level in schedule.objectives:
        assert level.value == pytest.approx(recomputed[level.name])
        if level.bound is not None and level.name in ("coverage", "distinct_sites"):
            assert level.value <= level.bound + 1e-6
    wards: dict[str, set[str]] = defaultdict(set)
    slots = {s.id: s for s in scenario.slots}
    for p in schedule.placements:
        wards[p.student].add(f"{slots[p.slot].site}/{slots[p.slot].unit}")
    multi = [s for s, held in wards.items() if len(held) > 1]
    assert len(multi) >= len(wards) // 2  # diversity levels: most students see 2+ wards
