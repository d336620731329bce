"""Each size regime of the solve (`solver.size_policy`), forced on a 60-student term by a
size policy passed to `run`: the regime's own steps run (or are skipped), and the schedule
passes the validator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import solver.driver as driver
import solver.warm as warm
from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions
from solver.prepare import prepare
from solver.size_policy import DEFAULT_SIZE_POLICY, SizePolicy

LIMIT = SolveOptions(time_limit_s=2, workers=1)


@pytest.fixture(scope="module")
def term() -> Scenario:
    return generate_term(students=60, seed=3)


def _spy(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Record each call's result of `owner.name`, still calling it."""
    calls: list[Any] = []
    original: Callable[..., Any] = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(owner, name, spy)
    return calls


def _refuse(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} ran in a regime that skips it")

    monkeypatch.setattr(owner, name, refuse)


def _solved(scenario: Scenario, size: SizePolicy, options: SolveOptions = LIMIT) -> Schedule:
    schedule = driver.run(scenario, options, None, size=size)
    assert schedule.status in ("optimal", "feasible")
    assert validate_schedule(scenario, schedule) == []
    assert schedule.sessions and schedule.placements
    return schedule


def test_the_default_policy_holds_the_measured_thresholds(term: Scenario) -> None:
    assert SizePolicy(3000, 10_000, 200_000) == DEFAULT_SIZE_POLICY
    assert not prepare(term).large


def test_a_small_term_starts_from_the_best_rank_flow_too(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = _spy(monkeypatch, driver, "flow_starts")
    _solved(term, DEFAULT_SIZE_POLICY)
    assert starts[0].best is not None and starts[0].avoiding is not None


def test_a_large_term_skips_the_cp_sat_starts_and_polish_but_drafts_by_lp(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse(monkeypatch, driver, "polish")
    _refuse(monkeypatch, warm, "_ipe_model")
    starts = _spy(monkeypatch, driver, "flow_starts")
    drafted = _spy(monkeypatch, warm, "_lp_draft")
    _solved(term, SizePolicy(large_students=0))
    assert starts[0].best is None  # sessions clash with placements: the avoiding flow only
    assert len(drafted) == 1


def test_the_largest_terms_skip_the_lp_draft(
    term: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse(monkeypatch, warm, "_lp_draft")
    _refuse(monkeypatch, driver, "polish")
    _solved(term, SizePolicy(large_students=0, lp_draft_max_students=0))


@pytest.mark.parametrize("all_options_up_to, restricted", [(200_000, False), (0, True)])
def test_a_repair_models_every_option_only_up_to_the_policys_count(
    term: Scenario, monkeypatch: pytest.MonkeyPatch, all_options_up_to: int, restricted: bool
) -> None:
    first = _solved(term, DEFAULT_SIZE_POLICY)
    problem = with_previous(term, first)
    dropped = _spy(monkeypatch, driver, "restrict_options")
    size = SizePolicy(all_options_up_to=all_options_up_to)
    full_path = SolveOptions(time_limit_s=2, workers=1, local_repair=False)
    _solved(problem, size, full_path)
    assert dropped == [restricted]
