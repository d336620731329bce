"""Explanations of a 2,000-student term stay cheap next to the solve (measured, slow)."""

from __future__ import annotations

import time

import pytest

from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions, solve
from solver.explain import WhatIfSettings, annotate, explain_term
from solver.prepare import prepare

pytestmark = pytest.mark.slow


def test_two_thousand_students_are_explained_in_seconds():
    scenario = generate_term(students=2000, seed=1)
    schedule = solve(scenario, options=SolveOptions(time_limit_s=60, workers=2, seed=0))
    assert schedule.unassigned, "the synthetic term leaves a few % of needs unmet"
    prep = prepare(scenario)
    started = time.monotonic()
    explained = annotate(prep, schedule)
    reasons_s = time.monotonic() - started
    assert reasons_s < 30
    assert all(e.reasons for e in explained.unassigned)
    started = time.monotonic()
    full = explain_term(
        scenario, explained, settings=WhatIfSettings(time_limit_s=30, workers=2), reasons=False
    )
    whatif_s = time.monotonic() - started
    assert whatif_s < 30 + 15  # the budget, plus at most one re-solve's overrun
    for suggestion in full.suggestions:
        assert suggestion.gain > 0
    assert validate_schedule(scenario, full) == []
    print(f"\nreasons+groups {reasons_s:.1f} s, explain with what-ifs {whatif_s:.1f} s")
