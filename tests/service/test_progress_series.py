"""A run keeps its progress over time: every change of a level's best value or bound, thinned
when long, saved with the run (the run page draws it)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from service_support import World, build_world, scenario_of, tiny_document, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.db.tables import SolveRunRow
from scheduler.services import progress_series, solve_runs, terms
from scheduler.services.progress_series import MAX_POINTS_PER_LEVEL, add_point, by_level
from scheduler.services.solving import SolveOutcome, SolveProgress


def test_a_point_is_kept_only_when_a_figure_changes() -> None:
    series: list[dict[str, Any]] = []
    assert add_point(series, level="coverage", elapsed_s=0.1, best=5, bound=9)
    assert not add_point(series, level="coverage", elapsed_s=0.2, best=5, bound=9)
    assert add_point(series, level="coverage", elapsed_s=0.3, best=6, bound=9)
    assert add_point(series, level="preferences", elapsed_s=0.4, best=5, bound=9)
    assert [len(points) for points in by_level(series).values()] == [2, 1]


def test_a_long_level_is_thinned_keeping_its_first_and_newest_point() -> None:
    series: list[dict[str, Any]] = []
    add_point(series, level="travel", elapsed_s=0.0, best=None, bound=0.0)
    for step in range(1, 3 * MAX_POINTS_PER_LEVEL):
        add_point(series, level="coverage", elapsed_s=float(step), best=float(step), bound=1e6)
    coverage = by_level(series)["coverage"]
    assert len(coverage) <= MAX_POINTS_PER_LEVEL
    assert coverage[0]["best"] == 1.0
    assert coverage[-1]["best"] == float(3 * MAX_POINTS_PER_LEVEL - 1)
    assert [p["elapsed_s"] for p in coverage] == sorted(p["elapsed_s"] for p in coverage)
    assert len(by_level(series)["travel"]) == 1


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


def test_the_job_saves_every_reported_point_and_each_levels_final_figures(
    database_url: str,
    session: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = tiny_document(id=f"series-{time.monotonic_ns()}")
    term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario_of(document))
    session.commit()
    run = SolveRunRow(term_id=term.id or 0, time_limit_s=5, workers=1, seed=0)
    session.add(run)
    session.commit()
    schedule = tiny_schedule().model_copy(update={"term": document["term"]["id"]})

    def reporting_solve(**kwargs: Any) -> SolveOutcome:
        report = kwargs["on_progress"]
        for step, (best, bound) in enumerate([(1.0, 9.0), (3.0, 9.0), (3.0, 7.0), (5.0, 7.0)]):
            report(SolveProgress("coverage", best, bound, 0.1 * (step + 1)))
        return SolveOutcome(schedule=schedule)

    monkeypatch.setattr(solve_runs, "solve_scenario", reporting_solve)
    solve_runs.run_job(database_url, run.id or 0)
    session.refresh(run)
    assert run.status == "succeeded", run.error
    levels = progress_series.by_level(run.progress_series)
    reported = [(p["best"], p["bound"]) for p in levels["coverage"]][:4]
    assert reported == [(1.0, 9.0), (3.0, 9.0), (3.0, 7.0), (5.0, 7.0)]
    assert set(levels) == {o.name for o in schedule.objectives}
    for objective in schedule.objectives:
        last = levels[objective.name][-1]
        assert (last["best"], last["bound"]) == (objective.value, objective.bound)
