"""A term using a feature the heuristic stages do not encode is solved by the exact model
alone (`solver.features`): no flow start, draft, trimming or polish runs, and the answer
is still valid and proven on a small term."""

from __future__ import annotations

from typing import Any

import pytest

import solver.driver as driver
import solver.features as features
from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions, solve

LIMIT = SolveOptions(time_limit_s=10, workers=2, seed=0)


@pytest.fixture
def exact_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every term uses a feature no heuristic encodes; records heuristic calls."""
    monkeypatch.setitem(features.FEATURES, "test-only", lambda scenario: True)
    called: list[str] = []

    def refuse(name: str) -> Any:
        def stage(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            raise AssertionError(f"{name} ran on a term with a feature it does not encode")

        return stage

    for name in ("flow_starts", "greedy_drafts", "restrict_options", "polish", "local_repair"):
        monkeypatch.setattr(driver, name, refuse(name))
    return called


@pytest.fixture(scope="module")
def term() -> Scenario:
    return generate_term(students=40, seed=5)


def test_features_registry_is_empty_by_default(term: Scenario) -> None:
    assert features.term_features(term) == frozenset()
    assert features.heuristics_apply(term)


def test_exact_model_alone_gives_a_valid_proven_schedule(
    term: Scenario, exact_only: list[str]
) -> None:
    schedule = solve(term, options=LIMIT)
    assert exact_only == []
    assert schedule.status in ("optimal", "feasible")
    assert validate_schedule(term, schedule) == []
    coverage = next(o for o in schedule.objectives if o.name == "coverage")
    assert coverage.bound is not None and coverage.value is not None
    assert coverage.value <= coverage.bound + 1e-6


def test_repair_skips_the_local_path(term: Scenario, exact_only: list[str]) -> None:
    first = solve(term, options=LIMIT)
    again = solve(with_previous(term, first), options=LIMIT)
    assert exact_only == []
    assert validate_schedule(term, again) == []
