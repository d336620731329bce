"""Explanations of a large term stay cheap next to the solve.

`make test` explains a 300-student term (the same code paths: reasons, groups, what-ifs
within their budget); `make test-long` explains the 2,000-student one and also checks the
seconds it takes, which only mean something on a quiet machine (tests/long_run.py).
"""

from __future__ import annotations

import time

import pytest
from long_run import LONG

from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions, solve
from solver.explain import WhatIfSettings, annotate, explain_term
from solver.prepare import prepare

pytestmark = pytest.mark.slow

STUDENTS, SOLVE_S, WHATIF_S = (2000, 60, 30) if LONG else (300, 10, 10)


def test_a_large_term_is_explained_within_its_budget():
    scenario = generate_term(students=STUDENTS, seed=1)
    schedule = solve(scenario, options=SolveOptions(time_limit_s=SOLVE_S, workers=2, seed=0))
    assert schedule.unassigned, "the synthetic term leaves a few % of needs unmet"
    prep = prepare(scenario)
    started = time.monotonic()
    explained = annotate(prep, schedule)
    reasons_s = time.monotonic() - started
    assert all(e.reasons for e in explained.unassigned)
    started = time.monotonic()
    full = explain_term(
        scenario,
        explained,
        settings=WhatIfSettings(time_limit_s=WHATIF_S, workers=2),
        reasons=False,
    )
    whatif_s = time.monotonic() - started
    for suggestion in full.suggestions:
        assert suggestion.gain > 0
    assert validate_schedule(scenario, full) == []
    print(f"\nreasons+groups {reasons_s:.1f} s, explain with what-ifs {whatif_s:.1f} s")
    if LONG:  # measurements: meaningful on a quiet machine only
        assert reasons_s < 30
        assert whatif_s < WHATIF_S + 15  # the budget, plus at most one re-solve's overrun
