"""The local repair's whole-term `stability` bound (`solver.incremental.proof`) against the
exact reference model, on tiny repairs built to exercise each seat the bound leaves out:
a free seat behind a session, one behind a kept placement, and one that a student can use
only by freeing a seat another student who lost one takes back (where leaving it out
would be wrong)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from solver.incremental.run import stability_floor

from . import harness
from .model import solve_reference

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "solver"))
from repair_helpers import (  # noqa: E402  (the solver tests' helpers)
    KEPT_CLASH_BEFORE,
    SESSION_CLASH_BEFORE,
    SHARED_SEAT_BEFORE,
    declined,
    kept_clash_term,
    session_clash_term,
    shared_seat_term,
)


def _repair(scenario: Scenario, before: Schedule, *slots: str) -> Scenario:
    for slot in slots:
        scenario = declined(scenario, slot)
    problem = with_previous(scenario, before)
    policy = problem.policy.model_copy(update={"objectives": ["coverage", "stability"]})
    return problem.model_copy(update={"policy": policy})


CASES = {
    "session-clash": lambda: _repair(session_clash_term(), SESSION_CLASH_BEFORE, "L1"),
    "session-clash-both": lambda: _repair(session_clash_term(True), SESSION_CLASH_BEFORE, "L1"),
    "kept-clash": lambda: _repair(kept_clash_term(), KEPT_CLASH_BEFORE, "L1"),
    "shared-seat": lambda: _repair(shared_seat_term(), SHARED_SEAT_BEFORE, "L1", "T1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_local_stability_bound_never_exceeds_the_true_minimum(case: str) -> None:
    problem = CASES[case]()
    reference = solve_reference(problem)
    assert reference is not None and reference.status == "optimal"
    coverage, changes = reference.values["coverage"], reference.values["stability"]
    assert stability_floor(problem, round(coverage)) <= changes
    result = harness.run(problem)
    for prop in ("wrong_bounds", "false_optimal", "reference_disagreements"):
        assert not getattr(harness, prop)(result), prop


def test_the_bound_is_tight_where_the_local_path_must_prove_its_answer() -> None:
    """Each case's local answer is proven: its changes equal the bound."""
    for case in ("session-clash", "kept-clash", "shared-seat"):
        problem = CASES[case]()
        schedule = harness.run(problem).schedule
        assert schedule.metrics["repair"]["path"] == "local", (case, schedule.metrics)
