"""The four term shapes of issue 17 (fixtures/shape_*.json, written by `shapes.py`).

Each is solved once by the product (8 s, two workers, seed 0) and checked against its true
lexicographic optimum, proven by the reference model and stored in `shapes_truth.json`
(`test_stored_truth_is_current` proves it again in the long profile,
`IPE_HYPOTHESIS_PROFILE=long`, about a minute):
- no false `optimal`: an optimal status means every level equals the true optimum;
- every claimed bound is on the right side of the true optimum;
- every claimed value equals the validator's recomputation, and the schedule is valid;
- the reported gap (value against bound) is within 5 % on every level, and no bound is on
  the wrong side of the value reached.
What fails on main is marked xfail with the measured numbers; where the gap depends on how
far the search got (machine load), the mark is not strict.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from scheduler.domain.loading import load_scenario_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values, validate_schedule
from solver import SolveOptions, solve

from .harness import EPS, PROFILE, right_side
from .model import MAXIMISED, solve_reference
from .shapes import FIXTURES, PROOF_SECONDS, SHAPES, TRUTH

SECONDS = 60.0
"""Generous: each shape is proven in a few seconds on an idle machine and the solve stops
at the proof, so the limit only matters on a loaded one (at 8 s, clinical_days once missed
its proof under load 15)."""
GAP = 0.05

WRONG_TRUTH: dict[str, tuple[bool, str]] = {}
"""Shapes whose claims contradict the proven optimum on main (strict): none since the
fixes of issue 17 (before: no_weekly_hours claimed a coverage bound of 52, truth 54)."""

WIDE_GAP = {
    "shape_overlapping_blocks": (
        False,
        "depends on the search: the relaxations bound travel_fairness at 23.7 (flows 14.5, "
        "joint LP 23.7; true optimum 40.8), so the gap closes only when CP-SAT proves it in "
        "time (before the period choice of the flow starts: 47.7 at 1 worker and 10 s, load "
        "10; since: proven in 6 s at load 15)",
    ),
}
"""Shapes whose reported gap is above 5 % on main, (strict?, measured)."""


def _shape(name: str, marks: dict[str, tuple[bool, str]]) -> object:
    strict, reason = marks.get(name, (True, ""))
    xfail = [pytest.mark.xfail(strict=strict, reason=reason)] if reason else []
    return pytest.param(name, marks=xfail, id=name)


@cache
def scenario(name: str) -> Scenario:
    loaded = load_scenario_text((FIXTURES / f"{name}.json").read_text())
    assert loaded.scenario is not None, loaded.errors
    return loaded.scenario


@cache
def answer(name: str) -> Schedule:
    return solve(scenario(name), options=SolveOptions(time_limit_s=SECONDS, workers=2, seed=0))


def truth(name: str) -> dict[str, float]:
    values: dict[str, float] = json.loads(Path(TRUTH).read_text())[name]
    return values


def gap(name: str, value: float, bound: float) -> float:
    """How far the value is from the bound, relative to the larger of the two (0 = proven);
    negative when the bound is on the wrong side of the value reached (no bound at all)."""
    missing = bound - value if name in MAXIMISED else value - bound
    return missing / max(abs(value), abs(bound), 1.0)


@pytest.mark.parametrize("name", list(SHAPES))
def test_schedule_is_valid_and_claims_are_recomputed(name: str) -> None:
    schedule = answer(name)
    assert validate_schedule(scenario(name), schedule) == []
    recomputed = objective_values(scenario(name), schedule)
    wrong = {
        o.name: (o.value, recomputed[o.name])
        for o in schedule.objectives
        if o.value is not None and abs(o.value - recomputed[o.name]) > EPS
    }
    assert wrong == {}


@pytest.mark.parametrize("name", [_shape(n, WRONG_TRUTH) for n in SHAPES])
def test_claims_respect_the_true_optimum(name: str) -> None:
    schedule, best = answer(name), truth(name)
    wrong_bounds = {
        o.name: (o.bound, best[o.name])
        for o in schedule.objectives
        if o.bound is not None and not right_side(o.name, o.bound, best[o.name])
    }
    assert wrong_bounds == {}
    if schedule.status == "optimal":
        recomputed = objective_values(scenario(name), schedule)
        assert {k: recomputed[k] for k in best} == best


@pytest.mark.parametrize("name", [_shape(n, WIDE_GAP) for n in SHAPES])
def test_reported_gap_within_five_percent(name: str) -> None:
    schedule = answer(name)
    gaps = {
        o.name: round(gap(o.name, o.value, o.bound), 4)
        for o in schedule.objectives
        if o.value is not None and o.bound is not None
    }
    assert all(-EPS <= g <= GAP for g in gaps.values()), gaps


@pytest.mark.slow
@pytest.mark.skipif(PROFILE != "reference-long", reason="the long profile proves it again")
@pytest.mark.parametrize("name", list(SHAPES))
def test_stored_truth_is_current(name: str) -> None:
    """The reference proves the stored optimum again from the fixture as it is now."""
    result = solve_reference(scenario(name), PROOF_SECONDS)
    assert result is not None and result.status == "optimal"
    assert result.values == truth(name)
