"""The clerkship family (student plans, extension): does every student complete their plan,
in order, never repeating a discipline, and how far is each level from its bound?

    python -m bench.clerkship                          # 40, 80, 120 students, seeds 1-2
    python -m bench.clerkship --sizes 40 --seeds 1 --time-limit 20

Each solve runs in its own process (`bench.isolate`). Per term: plan rotations needed and
held, students with a complete plan, the validator's counts of repeated disciplines,
broken precedences and other violations, and each level's value and bound. Rows go to
`bench/results/clerkship.json` and the table to `bench/results/clerkship.md` (committed).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from bench.isolate import run_isolated

RESULTS = Path(__file__).parent / "results"
LIMITS = {40: 30.0, 80: 60.0, 120: 60.0}
KEPT_SECTION = "## Converted benchmark instances"
"""A hand-written section of clerkship.md that a re-run keeps (its data is not ours to ship)."""


def measure(*, report: Any, students: int, seed: int, limit: float) -> dict[str, Any]:
    """One solve of a generated clerkship term, checked by the validator."""
    import time

    from scheduler.domain.validator import validate_schedule
    from scheduler.synthetic import generate_term
    from scheduler.synthetic_families import family_named
    from solver import SolveOptions, solve

    scenario = generate_term(students=students, seed=seed, family=family_named("clerkship"))
    report("solving")
    began = time.monotonic()
    schedule = solve(scenario, options=SolveOptions(time_limit_s=limit, workers=2, seed=0))
    seconds = time.monotonic() - began
    violations = Counter(v.code for v in validate_schedule(scenario, schedule))
    held = Counter(p.student for p in schedule.placements)
    plans = {s.id: s.plan.count for s in scenario.students if s.plan is not None}
    return {
        "students": students,
        "seed": seed,
        "limit_s": limit,
        "seconds": round(seconds, 1),
        "status": schedule.status,
        "slots": len(scenario.slots),
        "rotations_needed": sum(plans.values()),
        "rotations_held": len(schedule.placements),
        "complete_plans": sum(1 for s, n in plans.items() if held[s] == n),
        "repeated_disciplines": violations["discipline_repeated"],
        "broken_precedences": violations["precedence_broken"],
        "violations": sum(violations.values()),
        "objectives": [o.model_dump() for o in schedule.objectives],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[40, 80, 120])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()
    rows = []
    for students in args.sizes:
        for seed in args.seeds:
            limit = args.time_limit or LIMITS.get(students, 60.0)
            load = [round(x, 2) for x in os.getloadavg()]
            result = run_isolated(
                "bench.clerkship:measure",
                {"students": students, "seed": seed, "limit": limit},
                timeout_s=limit * 3 + 60,
            )
            result["load_average_at_start"] = load
            rows.append(result)
            print(json.dumps(result), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clerkship.json").write_text(json.dumps(rows, indent=2) + "\n")
    table = RESULTS / "clerkship.md"
    kept = table.read_text().partition(KEPT_SECTION) if table.exists() else ("", "", "")
    table.write_text(markdown(rows) + (f"\n{KEPT_SECTION}{kept[2]}" if kept[1] else ""))


def _level(row: dict[str, Any], name: str) -> str:
    for level in row.get("objectives", []):
        if level["name"] == name:
            value, bound = level["value"], level["bound"]
            return f"{_num(value)} / {_num(bound)}"
    return "-"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The committed table, one row per term."""
    lines = [
        "# Clerkship family: plans completed, in order, with bounds",
        "",
        "`python -m bench.clerkship` (`bench/clerkship.py`): generated clerkship terms",
        "(`ipe generate --family clerkship`), the product's solve with 2 workers, checked by",
        "the independent validator. Levels are `value / bound` (coverage, worst_satisfaction",
        "and scores maximised: the bound is an upper bound; compactness minimised: a lower",
        "bound). The machine was shared (load average at the start of each solve given).",
        "",
        "| students | seed | limit s | took s | load | rotations held / needed | complete plans "
        "| repeated disciplines | broken precedences | violations | coverage "
        "| worst_satisfaction | scores | compactness |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if not row.get("ok", True) or "students" not in row:
            lines.append(f"| stopped: {row.get('stopped', row.get('error', '?'))} |")
            continue
        lines.append(
            f"| {row['students']} | {row['seed']} | {row['limit_s']:g} | {row['seconds']:g} "
            f"| {row['load_average_at_start'][0]:g} "
            f"| {row['rotations_held']} / {row['rotations_needed']} "
            f"| {row['complete_plans']} / {row['students']} | {row['repeated_disciplines']} "
            f"| {row['broken_precedences']} | {row['violations']} | {_level(row, 'coverage')} "
            f"| {_level(row, 'worst_satisfaction')} | {_level(row, 'scores')} "
            f"| {_level(row, 'compactness')} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
