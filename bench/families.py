"""The benchmark families: the product's solve on every family of `ipe generate --family`
at several sizes, one process per measurement, summarised in a committed table.

    python -m bench.run --family all --sizes 600 2000      # every family, two sizes
    python -m bench.run --family default --sizes 20000 --time-limit 300

Rows accumulate in `bench/results/families.summary.json` (a re-run of one family and size
replaces its row) and `bench/results/families.md` is rewritten from all rows, so a run of
the larger sizes later adds to the table instead of replacing it. Both are small and
committed; schedules and traces are not kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.isolate import run_isolated

SUMMARY = "families.summary.json"
TABLE = "families.md"
PRODUCT_RSS_CAP_MB = 16000


def _objective(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((o for o in result.get("objectives", []) if o["name"] == name), None)


def _gap(value: float | None, bound: float | None) -> float | None:
    if value is None or bound is None:
        return None
    return 0.0 if value == bound else round(abs(value - bound) / max(abs(value), 1e-9), 4)


def summarise(family: str, students: int, limit: float, result: dict[str, Any]) -> dict[str, Any]:
    """One row of the table from one isolated product run (ok or stopped)."""
    row: dict[str, Any] = {
        "family": family,
        "students": students,
        "time_limit_s": limit,
        "load_average": result.get("load_average"),
        "peak_rss_mb": result.get("peak_rss_mb"),
        "ok": bool(result.get("ok")),
    }
    if not result.get("ok"):
        stage = (result.get("last_stage") or {}).get("stage")
        row["stopped"] = f"{result.get('stopped')} while {stage}"
        row["wall_s"] = result.get("wall_s")
        return row
    for name in ("coverage", "preferences"):
        o = _objective(result, name) or {}
        row[name] = {
            "value": o.get("value"),
            "bound": o.get("bound"),
            "gap": _gap(o.get("value"), o.get("bound")),
        }
    row.update(
        status=result.get("status"),
        options=(result.get("model") or {}).get("eligible_options"),
        sessions=(result.get("model") or {}).get("sessions"),
        solve_s=result.get("seconds"),
        wall_s=result.get("wall_s"),
        workers=result.get("workers"),
        violations=result.get("violations"),
        validator_coverage=(result.get("validator_values") or {}).get("coverage"),
    )
    return row


def run_families(
    *,
    families: list[str],
    sizes: list[int],
    time_limit: float,
    workers: int | None,
    results: Path,
    seed: int,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Solve each family at each size (smaller sizes of every family first) and rewrite
    the summary after each run, so an interrupted run keeps what it measured."""
    results.mkdir(exist_ok=True)
    path = results / SUMMARY
    rows: list[dict[str, Any]] = json.loads(path.read_text()) if path.exists() else []
    for students in sizes:
        for family in families:
            load = [round(x, 2) for x in os.getloadavg()]
            say(f"{family}, {students:,} students (seed {seed}, {time_limit:g} s), load {load}")
            result = run_isolated(
                "bench.measure:product",
                {
                    "students": students,
                    "seed": seed,
                    "time_limit": time_limit,
                    "family": family,
                    "workers": workers,
                },
                timeout_s=2 * time_limit + 300,
                rss_cap_mb=PRODUCT_RSS_CAP_MB,
            )
            result["load_average"] = load
            row = summarise(family, students, time_limit, result)
            row["seed"] = seed
            rows = [r for r in rows if (r["family"], r["students"]) != (family, students)]
            rows.append(row)
            rows.sort(key=lambda r: (r["students"], _order(r["family"], families)))
            path.write_text(json.dumps(rows, indent=1) + "\n")
            (results / TABLE).write_text(markdown(rows))
            say("  " + _line(row))
    return rows


def _order(family: str, families: list[str]) -> int:
    from scheduler.synthetic_families import FAMILIES

    names = list(FAMILIES)
    return names.index(family) if family in names else len(names) + families.index(family)


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _line(row: dict[str, Any]) -> str:
    return " | ".join(_cells(row))


def _cells(row: dict[str, Any]) -> list[str]:
    head = [row["family"], f"{row['students']:,}"]
    if not row["ok"]:
        return [
            *head,
            f"stopped: {row.get('stopped')}",
            "-",
            "-",
            "-",
            _num(row.get("wall_s"), 1),
            _num(row.get("peak_rss_mb")),
            "no schedule",
            str(row.get("load_average")),
        ]
    cov, pref = row["coverage"], row["preferences"]
    valid = "yes" if row["violations"] == 0 else f"NO ({row['violations']})"
    return [
        *head,
        f"{row['status']}",
        f"{_num(cov['value'])} / {_num(cov['bound'])} ({_pct(cov['gap'])})",
        f"{_num(pref['value'])} / {_num(pref['bound'])} ({_pct(pref['gap'])})",
        _num(row.get("options")),
        f"{_num(row.get('solve_s'), 1)} / {_num(row.get('wall_s'), 1)}",
        _num(row.get("peak_rss_mb")),
        valid,
        str(row.get("load_average")),
    ]


def markdown(rows: list[dict[str, Any]]) -> str:
    limits = sorted({r["time_limit_s"] for r in rows})
    workers = sorted({int(r["workers"]) for r in rows if r.get("workers")})
    lines = [
        "# Benchmark families (`python -m bench.run --family all`)",
        "",
        "The product's solve with its defaults on every family of `ipe generate --family` "
        f"(seed 1), time limit {', '.join(f'{x:g}' for x in limits)} s, "
        f"{', '.join(str(w) for w in workers) or 'default'} CP-SAT workers, one process per "
        "row. The machine (2 cores) is shared with other engineers' work: the load average "
        "at the start of each row is given, and times are noisy.",
        "",
        "| family | students | status | coverage: value / bound (gap) "
        "| preferences: value / bound (gap) | options | solve / wall (s) | peak RSS (MB) "
        "| valid | load average |",
        "|" + "---|" * 10,
    ]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    lines += [
        "",
        "Coverage and preferences: the solver's value and bound at the end (gap = |bound - "
        "value| / value; a missing bound is `-`). Solve: the schedule's `solve.seconds`; wall: "
        "the `solve()` call. Valid: the independent validator finds no violation.",
    ]
    return "\n".join(lines) + "\n"
