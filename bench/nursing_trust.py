"""Diversity on the nursing-trust family: distinct wards per student with and without the
`distinct_sites`/`distinct_tags` levels, capacity respected (validator), values and bounds.

    python -m bench.nursing_trust --sizes 100 300 --time-limit 30

Writes bench/results/nursing-trust.md (and .json): one row per size and policy. Runs in
this process, one solve at a time; the load average at the start of each row is recorded
(the machine is shared, times are noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values, validate_schedule
from scheduler.synthetic import generate_term
from scheduler.synthetic_families import family_named
from solver import SolveOptions, solve

RESULTS = Path(__file__).resolve().parent / "results"
POLICIES = {
    "with diversity": [
        "coverage",
        "distinct_sites",
        "distinct_tags",
        "preferences",
        "travel_total",
    ],
    "without": ["coverage", "preferences", "travel_total"],
}


def wards_per_student(scenario: Scenario, schedule: Schedule) -> dict[str, float]:
    """Distinct wards this term per student placed at least twice, and how many of them
    hold every placement on a single ward."""
    slots = {s.id: s for s in scenario.slots}
    held: dict[str, list[str]] = defaultdict(list)
    for p in schedule.placements:
        held[p.student].append(f"{slots[p.slot].site}/{slots[p.slot].unit}")
    several = [wards for wards in held.values() if len(wards) >= 2]
    distinct = [len(set(w)) for w in several]
    return {
        "students_with_2plus": len(several),
        "mean_distinct_wards": round(sum(distinct) / len(distinct), 3) if distinct else 0.0,
        "all_on_one_ward": sum(1 for d in distinct if d == 1),
        "mean_placements": round(sum(len(w) for w in several) / len(several), 3) if several else 0,
    }


def measure(students: int, policy: str, limit: float, seed: int) -> dict[str, Any]:
    base = generate_term(students=students, seed=seed, family=family_named("nursing-trust"))
    scenario = base.model_copy(
        update={"policy": base.policy.model_copy(update={"objectives": POLICIES[policy]})}
    )
    load = os.getloadavg()
    began = time.monotonic()
    schedule = solve(scenario, options=SolveOptions(time_limit_s=limit, workers=2, seed=0))
    wall = time.monotonic() - began
    violations = validate_schedule(scenario, schedule)
    values = objective_values(scenario, schedule)
    levels = {o.name: (o.value, o.bound) for o in schedule.objectives}
    return {
        "students": students,
        "policy": policy,
        "status": schedule.status,
        "levels": levels,
        "distinct_sites": values["distinct_sites"],
        "distinct_tags": values["distinct_tags"],
        "needs": sum(3 for _ in scenario.students),
        **wards_per_student(scenario, schedule),
        "violations": len(violations),
        "capacity_violations": sum(
            v.code in ("weekly_capacity_exceeded", "unit_under_min_fill") for v in violations
        ),
        "weekly_rows": len(scenario.weekly_capacities),
        "wall_s": round(wall, 1),
        "load": [round(x, 2) for x in load],
        "time_limit_s": limit,
    }


def _pair(levels: dict[str, Any], name: str) -> str:
    if name not in levels:
        return "-"
    value, bound = levels[name]
    fmt = lambda x: "-" if x is None else f"{x:,.0f}"  # noqa: E731
    return f"{fmt(value)} / {fmt(bound)}"


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| students | policy | status | coverage: value / bound | distinct_sites: value / bound "
        "| distinct_tags: value / bound | preferences: value / bound "
        "| mean distinct wards (students with 2+ placements) "
        "| all on one ward | validator violations (capacity) | wall (s) | load average |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        levels = r["levels"]
        sites = _pair(levels, "distinct_sites")
        tags = _pair(levels, "distinct_tags")
        if sites == "-":
            sites = f"{r['distinct_sites']:,.0f} (not a level)"
            tags = f"{r['distinct_tags']:,.0f} (not a level)"
        lines.append(
            f"| {r['students']} | {r['policy']} | {r['status']} | {_pair(levels, 'coverage')} "
            f"| {sites} | {tags} | {_pair(levels, 'preferences')} "
            f"| {r['mean_distinct_wards']} of {r['mean_placements']} "
            f"({r['students_with_2plus']} students) | {r['all_on_one_ward']} "
            f"| {r['violations']} ({r['capacity_violations']}) | {r['wall_s']} | {r['load']} |"
        )
    return head + "\n".join(lines) + "\n"


INTRO = """# Diversity on the nursing-trust family (`python -m bench.nursing_trust`)

The product's solve (2 CP-SAT workers, seed 0) on `ipe generate --family nursing-trust`
(seed 1): wards (units) tagged by speciality, four-week blocks that overlap, weekly
capacity per ward by year and in all, second- and third-years with history, a few wards
with `min_fill`. Each size is solved twice: with the family's policy (`coverage`,
`distinct_sites`, `distinct_tags`, `preferences`, `travel_total`) and without the two
diversity levels. The machine (2 cores) is shared with other engineers' work: the load
average at the start of each row is given, and times are noisy.

"""
NOTES = """
Mean distinct wards: among students holding 2 or more placements this term, the mean number
of distinct wards they hold ("of" the mean placements they hold); all on one ward: such
students whose placements are all on one ward. Validator violations: every hard rule
re-checked by `scheduler/domain/validator.py` (in brackets the weekly-capacity and
`min_fill` ones). distinct_sites / distinct_tags count history and this term together,
summed over students (docs/objectives.md); without the levels the validator's values are
shown. A bound is `-` when none is known; the coverage bound is the flow relaxation's,
which drops the weekly capacities, so it is loose where they bind.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table-only", action="store_true", help="rewrite the .md from the .json")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    data = RESULTS / "nursing-trust.json"
    if args.table_only:
        rows = json.loads(data.read_text())
    else:
        rows = [
            measure(n, policy, args.time_limit, args.seed)
            for n in args.sizes
            for policy in POLICIES
        ]
        data.write_text(json.dumps(rows, indent=1) + "\n")
    (RESULTS / "nursing-trust.md").write_text(INTRO + table(rows) + NOTES)
    print(table(rows))


if __name__ == "__main__":
    main()
