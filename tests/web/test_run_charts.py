"""The run page draws each objective level's value and bound over time on the server, from
the series the run stored: several points per level when the run reported several."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from service_support import World
from sqlalchemy import Engine
from web_support import sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import SolveRunRow

SERIES = [
    {"level": "coverage", "elapsed_s": 0.2, "best": 10.0, "bound": 20.0},
    {"level": "coverage", "elapsed_s": 0.5, "best": 14.0, "bound": 20.0},
    {"level": "coverage", "elapsed_s": 0.9, "best": 18.0, "bound": 18.0},
    {"level": "preferences", "elapsed_s": 1.1, "best": 40.0, "bound": 12.0},
    {"level": "preferences", "elapsed_s": 2.0, "best": 30.0, "bound": 25.0},
]


def _stored_run(engine: Engine, world: World, status: str, **progress: Any) -> tuple[int, int]:
    """A run of school A's term with `status` and the progress columns given: the term's id
    and the run's."""
    term_id = world.terms["a"].id or 0
    with new_session(engine) as session:
        run = SolveRunRow(
            term_id=term_id, time_limit_s=5, workers=1, seed=0, status=status, **progress
        )
        session.add(run)
        session.commit()
        return term_id, run.id or 0


def test_the_run_page_draws_every_stored_point_of_each_level(
    client: TestClient, engine: Engine, world: World
) -> None:
    term_id, run_id = _stored_run(engine, world, "succeeded", progress_series=SERIES)
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term_id}/runs/{run_id}").text
    charts = page.split('id="charts"', 1)[1].split("</figure>", 1)[0]
    assert re.findall(r'data-points="(\d+)"', charts) == ["3", "2"]
    assert charts.count("<svg") == 2
    coverage = charts.split("<svg", 2)[1]
    best_line = re.search(r'<polyline class="best"[^>]*points="([^"]+)"', coverage)
    assert best_line is not None and len(best_line.group(1).split()) == 3
    assert "coverage: best 18, bound 18" in charts
    assert "<script" not in charts


def test_the_progress_answer_carries_the_drawn_charts(
    client: TestClient, engine: Engine, world: World
) -> None:
    term_id, run_id = _stored_run(engine, world, "failed", progress_series=SERIES)
    sign_in(client, world, "coord_a")
    progress = client.get(f"/app/terms/{term_id}/runs/{run_id}/progress").json()
    assert progress["points"] == len(SERIES)
    assert progress["charts_html"].count("<svg") == 2


def test_a_run_from_before_series_were_stored_shows_its_newest_figures(
    client: TestClient, engine: Engine, world: World
) -> None:
    term_id, run_id = _stored_run(
        engine,
        world,
        "succeeded",
        progress_level="coverage",
        progress_best=12.0,
        progress_bound=12.0,
        progress_elapsed_s=1.5,
    )
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term_id}/runs/{run_id}").text
    assert re.findall(r'data-points="(\d+)"', page) == ["1"]
    assert "coverage: best 12, bound 12" in page


def test_a_run_without_progress_says_so(client: TestClient, engine: Engine, world: World) -> None:
    term_id, run_id = _stored_run(engine, world, "failed")
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term_id}/runs/{run_id}").text
    assert "No progress reported yet." in page
