"""The benchmark families' summary (`bench/families.py`): one row per family and size, ok
or stopped, and the committed table built from them."""

from __future__ import annotations

from bench.families import markdown, summarise


def _product(coverage: tuple[float, float], preferences: tuple[float, float]) -> dict:
    return {
        "ok": True,
        "status": "feasible",
        "objectives": [
            {"name": "coverage", "value": coverage[0], "bound": coverage[1]},
            {"name": "preferences", "value": preferences[0], "bound": preferences[1]},
        ],
        "model": {"eligible_options": 1234, "sessions": 5},
        "seconds": 59.5,
        "wall_s": 61.0,
        "workers": 2,
        "violations": 0,
        "peak_rss_mb": 250.0,
        "load_average": [1.0, 1.0, 1.0],
    }


def test_a_row_has_the_values_bounds_and_gaps() -> None:
    row = summarise("tight-seats", 600, 60.0, _product((990, 1000), (110, 100)))
    assert row["coverage"] == {"value": 990, "bound": 1000, "gap": 0.0101}
    assert row["preferences"]["gap"] == 0.0909
    assert row["ok"] and row["violations"] == 0 and row["wall_s"] == 61.0


def test_a_stopped_run_is_a_row_without_a_schedule() -> None:
    stopped = {"ok": False, "stopped": "memory cap", "last_stage": {"stage": "solving"}}
    row = summarise("default", 20000, 300.0, stopped)
    assert not row["ok"] and row["stopped"] == "memory cap while solving"
    table = markdown([row, summarise("default", 600, 60.0, _product((5, 5), (3, 3)))])
    assert "| default | 20,000 | stopped: memory cap while solving |" in table
    assert "| default | 600 | feasible | 5 / 5 (0.0%) | 3 / 3 (0.0%) |" in table
