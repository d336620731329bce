"""How the lexicographic driver spends its time on the levels (`solver.driver`).

A level never ends worse than the values it started from; a relaxation bound is only
computed when it fits in the time left; large terms keep their warm start on a level
whose budget is too short for CP-SAT to improve it (measured), except in a repair; no
further draft is begun once the drafts' deadline has passed."""

from __future__ import annotations

import time
from types import SimpleNamespace

from solver.driver import (
    LARGE_SEARCH_SECONDS,
    LevelResult,
    RunSettings,
    _bound_fits,
    _search_pays,
    _worse,
)


def _level(maximize: bool) -> SimpleNamespace:
    return SimpleNamespace(maximize=maximize)


def test_a_search_result_worse_than_its_start_is_worse_in_the_levels_direction() -> None:
    start = LevelResult("preferences", 100.0, None)
    assert _worse(_level(False), LevelResult("preferences", 101.0, 90.0), start)
    assert not _worse(_level(False), LevelResult("preferences", 99.0, 90.0), start)
    assert _worse(_level(True), LevelResult("coverage", 99.0, 120.0), start)
    assert not _worse(_level(True), LevelResult("coverage", 100.0, 120.0), start)


def _settings(seconds_left: float) -> RunSettings:
    return RunSettings(
        time_limit=seconds_left, workers=1, seed=0, log=False, started=time.monotonic()
    )


def test_a_bound_is_computed_only_when_it_fits_in_the_time_left() -> None:
    assert _bound_fits(_settings(10.0), "preferences", 3.0)
    assert not _bound_fits(_settings(3.0), "preferences", 3.0)
    # total travel takes about three flows' worth of the last bound
    assert not _bound_fits(_settings(9.0), "travel_total", 3.0)
    assert _bound_fits(_settings(11.0), "travel_total", 3.0)


def _model(large: bool, previous: object = None) -> SimpleNamespace:
    policy = SimpleNamespace(previous=previous)
    prep = SimpleNamespace(large=large, scenario=SimpleNamespace(policy=policy))
    return SimpleNamespace(prep=prep)


def test_large_terms_keep_their_start_on_short_level_budgets() -> None:
    start = {0: 1}
    assert not _search_pays(_model(large=True), start, budget=6.0)  # type: ignore[arg-type]
    assert _search_pays(_model(large=True), start, LARGE_SEARCH_SECONDS)  # type: ignore[arg-type]
    assert _search_pays(_model(large=True), None, budget=6.0)  # type: ignore[arg-type]
    assert _search_pays(_model(large=False), start, budget=6.0)  # type: ignore[arg-type]
    repair = _model(large=True, previous=object())
    assert _search_pays(repair, start, budget=6.0)  # type: ignore[arg-type]


def test_the_lp_draft_is_skipped_on_the_largest_terms() -> None:
    from solver.driver import LP_DRAFT_MAX_STUDENTS, _lp_deadline

    settings = _settings(60.0)
    assert _lp_deadline(settings, 5_000) is not None
    assert _lp_deadline(settings, LP_DRAFT_MAX_STUDENTS + 1) is None


def test_no_further_draft_is_begun_once_the_drafts_deadline_has_passed() -> None:
    from scheduler.synthetic import generate_term
    from solver.prepare import prepare
    from solver.warm import draft_coverage, flow_starts, greedy_drafts

    prep = prepare(generate_term(students=600, seed=5))
    starts = flow_starts(prep)
    assert len(greedy_drafts(prep, starts)) > 1
    late = greedy_drafts(prep, starts, deadline=time.monotonic() - 1.0)
    assert len(late) == 1
    assert draft_coverage(late[0]) > 0  # the first draft is a whole schedule
