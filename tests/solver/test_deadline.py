"""The whole run's deadline (`solver.deadline`, hooks in `solver.driver.run`).

Each stage's deadline path is forced on a small generated term by stage costs passed to
`run` (so nothing depends on how fast this machine is): a term too large for its limit is
answered before preparation; a model that no longer fits leaves the best draft as the
answer; bounds that do not fit are skipped. Every schedule is checked by the validator."""

from __future__ import annotations

from typing import Any

import pytest

import solver.driver as driver
from scheduler.domain.scenario import Pin, Scenario
from scheduler.domain.validator import objective_values, validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions
from solver.deadline import (
    DEFAULT_COSTS,
    MAX_SLOWDOWN,
    Pace,
    StageCosts,
    allowance,
    estimate_options,
    too_large,
)

SLOW = 1.0  # seconds per option: no stage with this cost fits any limit used here


@pytest.fixture(scope="module")
def term() -> Scenario:
    return generate_term(students=60, seed=3)


def _refuse(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} ran although the deadline said to skip it")

    return refuse


def _valid(scenario: Scenario, schedule: Any) -> None:
    assert schedule.status in ("optimal", "feasible")
    assert validate_schedule(scenario, schedule) == []
    values = objective_values(scenario, schedule)
    coverage = next(o for o in schedule.objectives if o.name == "coverage")
    assert coverage.value == values["coverage"]
    assert coverage.bound is None or coverage.bound >= coverage.value


def test_the_allowance_is_five_percent_or_two_seconds() -> None:
    assert allowance(10) == 2.0
    assert allowance(300) == 15.0


def test_the_option_estimate_bounds_the_prepared_options_from_above(term: Scenario) -> None:
    from solver.prepare import prepare

    prep = prepare(term)
    placements = sum(len(info.all_options) for info in prep.students.values())
    sessions = sum(
        len(free) for info in prep.students.values() for free in info.free_sessions.values()
    )
    assert placements + sessions <= estimate_options(term)


def test_a_term_too_large_for_its_limit_is_answered_before_preparing(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver, "prepare", _refuse("prepare"))
    schedule = driver.run(term, SolveOptions(time_limit_s=5), None, StageCosts(prepare=SLOW))
    assert schedule.status == "infeasible"
    assert schedule.sessions == [] and schedule.placements == []
    [error] = schedule.errors
    assert error.path == "policy.time_limit_s"
    assert "too large for a 5 s time limit" in error.message
    assert "60 students" in error.message


def test_the_same_term_with_a_long_enough_limit_is_not_too_large(term: Scenario) -> None:
    assert too_large(term, 5, StageCosts(prepare=SLOW)) is not None
    need = estimate_options(term) * (SLOW + DEFAULT_COSTS.starts) + 60 * DEFAULT_COSTS.readout
    assert too_large(term, need, StageCosts(prepare=SLOW)) is None
    assert too_large(term, 0.01) is None  # small terms: within the 2 s allowance


def test_when_the_model_no_longer_fits_the_best_draft_is_the_answer(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver, "TermModel", _refuse("the model build"))
    schedule = driver.run(term, SolveOptions(time_limit_s=5), None, StageCosts(model=SLOW))
    _valid(term, schedule)
    assert schedule.sessions and schedule.placements
    assert schedule.unassigned or schedule.objectives[0].value == schedule.objectives[0].bound


def test_a_draft_answer_never_breaks_a_pin(term: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.prepare import prepare

    monkeypatch.setattr(driver, "TermModel", _refuse("the model build"))
    draft = driver.run(term, SolveOptions(time_limit_s=5), None, StageCosts(model=SLOW))
    held = {(p.student, p.slot) for p in draft.placements}
    student, slot = next(
        (info.id, option.slot)
        for info in prepare(term).students.values()
        for option in info.all_options
        if (info.id, option.slot) not in held
    )
    policy = term.policy.model_copy(update={"pinned": [Pin(student=student, slot=slot)]})
    pinned = term.model_copy(update={"policy": policy})
    schedule = driver.run(pinned, SolveOptions(time_limit_s=5), None, StageCosts(model=SLOW))
    if schedule.status == "infeasible":
        assert [e.path for e in schedule.errors] == ["policy"]
    else:  # the pinned term's draft happened to keep the pin
        _valid(pinned, schedule)
        assert (student, slot) in {(p.student, p.slot) for p in schedule.placements}


def test_bounds_that_do_not_fit_are_skipped(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver.TermBounds, "of", _refuse("the relaxation bounds"))
    schedule = driver.run(term, SolveOptions(time_limit_s=3), None, StageCosts(bounds=SLOW))
    _valid(term, schedule)


@pytest.mark.parametrize("limit", [0.01, 0.3])
def test_a_tiny_limit_still_returns_a_valid_schedule(term: Scenario, limit: float) -> None:
    schedule = driver.run(term, SolveOptions(time_limit_s=limit), None)
    _valid(term, schedule)


def test_a_run_slower_than_its_costs_expects_more_time_for_each_stage() -> None:
    costs = StageCosts(prepare=1e-6, model=1e-5, bounds=1e-5, readout=1e-3)
    usual = Pace.measured(costs, options=1_000_000, students=1000, prepare_s=1.0)
    slow = Pace.measured(costs, options=1_000_000, students=1000, prepare_s=3.0)
    fast = Pace.measured(costs, options=1_000_000, students=1000, prepare_s=0.1)
    assert usual.factor == pytest.approx(1.0) and fast.factor == 1.0
    assert slow.factor == pytest.approx(3.0)
    assert slow.model_s() == pytest.approx(3 * usual.model_s())
    assert Pace.measured(costs, 1_000_000, 1000, prepare_s=100.0).factor == MAX_SLOWDOWN
    assert Pace.measured(costs, 1000, 10, prepare_s=1.0).factor == 1.0  # too short to tell


def test_a_machine_shared_with_other_work_slows_the_pace() -> None:
    costs = StageCosts(prepare=1e-9)  # preparation's own estimate too short to measure
    pace = Pace.measured(costs, 1000, 10, prepare_s=1.0, prepare_cpu_s=0.25)
    assert pace.factor == pytest.approx(4.0)  # a quarter of a core
    assert pace.shared(0.01, 0.001).factor == pytest.approx(4.0)  # too short to tell
    assert pace.shared(2.0, 0.2).factor == pytest.approx(10.0)
    assert pace.shared(1.0, 1.0).factor == pytest.approx(4.0)  # never counted faster
    assert pace.shared(100.0, 1.0).factor == MAX_SLOWDOWN


def test_unmet_needs_left_at_the_deadline_keep_no_reasons_and_are_counted(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solver.explain.api as explain
    from scheduler.domain.schedule import SolveInfo
    from solver.deadline import draft_schedule
    from solver.prepare import prepare
    from solver.warm import flow_starts, greedy_drafts

    prep = prepare(term)
    starts = flow_starts(prep)
    drafts = greedy_drafts(prep, starts)
    assert draft_schedule(prep, drafts, SolveInfo(), None, deadline=0.0).unassigned[0].reasons
    monkeypatch.setattr(explain, "ALWAYS_EXPLAINED", 0)  # a small term is always explained
    late = draft_schedule(prep, drafts, SolveInfo(), None, deadline=0.0)
    assert late.unassigned and not any(entry.reasons for entry in late.unassigned)
    explanations = late.metrics["explanations"]
    assert explanations["unexplained"] == explanations["unmet"] == len(late.unassigned)
    assert validate_schedule(term, late) == []
    in_time = draft_schedule(prep, drafts, SolveInfo(), None)
    assert all(entry.reasons for entry in in_time.unassigned)
    assert "unexplained" not in in_time.metrics["explanations"]
