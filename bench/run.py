"""Solve generated terms with the product defaults and record what a user would ask.

Per term: model size, time to the first valid schedule, time to proven optimal coverage,
each objective's value, bound and gap, peak memory and the validator's verdict. Each term
runs in its own process so peak RSS is that term's alone. Results: JSON and a markdown
table under bench/results/.

    python -m bench.run            # 300, 2,000, 5,000 and 20,000 students
    python -m bench.run --quick    # 300 and 2,000 students
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import resource
import time
from datetime import date
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
FULL_SIZES = (300, 2000, 5000, 20000)
QUICK_SIZES = (300, 2000)
SEED = 1
TIME_LIMITS = {300: 60.0, 2000: 60.0, 5000: 60.0, 20000: 300.0}


def measure_term(students: int, time_limit: float) -> dict[str, Any]:
    """Generate, solve and validate one term; runs inside a child process."""
    from scheduler.domain.validator import validate_schedule
    from scheduler.synthetic import generate_term
    from solver import SolveOptions, SolveProgress, solve
    from solver.prepare import prepare

    scenario = generate_term(students=students, seed=SEED)
    started = time.monotonic()
    prepared = prepare(scenario)
    prepare_s = time.monotonic() - started
    trace: list[dict[str, Any]] = []

    def record(event: SolveProgress) -> None:
        trace.append(
            {
                "level": event.level,
                "value": event.value,
                "bound": event.bound,
                "elapsed_s": round(event.elapsed_s, 3),
            }
        )

    schedule = solve(scenario, options=SolveOptions(time_limit_s=time_limit), on_progress=record)
    violations = validate_schedule(scenario, schedule)
    return {
        "students": students,
        "seed": SEED,
        "time_limit_s": time_limit,
        "model": {
            "sessions": len(prepared.sessions),
            "classes": len(prepared.classes),
            "slots": len(scenario.slots),
            "eligible_options": sum(len(s.all_options) for s in prepared.students.values()),
        },
        "prepare_s": round(prepare_s, 2),
        "seconds": schedule.solve.seconds,
        "status": schedule.status,
        "first_schedule_s": trace[0]["elapsed_s"] if trace else None,
        "coverage_proven_s": _coverage_proven(trace),
        "objectives": [_gap(o.name, o.value, o.bound) for o in schedule.objectives],
        "needs": schedule.metrics.get("coverage", {}).get("needs"),
        "met": schedule.metrics.get("coverage", {}).get("met"),
        "violations": len(violations),
        "trace": trace,
    }


def _coverage_proven(trace: list[dict[str, Any]]) -> float | None:
    for event in trace:
        if event["level"] == "coverage" and abs(event["value"] - event["bound"]) < 1e-6:
            return event["elapsed_s"]
    return None


def _gap(name: str, value: float | None, bound: float | None) -> dict[str, Any]:
    gap = None
    if value is not None and bound is not None:
        gap = 0.0 if value == bound else abs(value - bound) / max(abs(value), 1e-9)
    return {
        "name": name,
        "value": value,
        "bound": bound,
        "gap": None if gap is None else round(gap, 4),
    }


def _child(students: int, time_limit: float, queue: Any) -> None:
    result = measure_term(students, time_limit)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    queue.put(result)


def run_term(students: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(students, TIME_LIMITS[students], queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    levels = [o["name"] for o in results[0]["objectives"]] if results else []
    header = [
        "students",
        "status",
        "first schedule (s)",
        "coverage proven (s)",
        "total (s)",
        *[f"{name} value / bound (gap)" for name in levels],
        "peak RSS (MB)",
        "valid",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        cells = [
            f"{r['students']:,}",
            r["status"],
            _fmt(r["first_schedule_s"]),
            _fmt(r["coverage_proven_s"]),
            _fmt(r["seconds"]),
        ]
        for o in r["objectives"]:
            gap = "" if o["gap"] is None else f" ({o['gap']:.1%})"
            cells.append(f"{_fmt(o['value'])} / {_fmt(o['bound'])}{gap}")
        cells += [
            _fmt(r["peak_rss_mb"]),
            "yes" if r["violations"] == 0 else f"NO ({r['violations']})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 and 2,000 students only")
    parser.add_argument("--sizes", type=int, nargs="*", help="student counts to run")
    args = parser.parse_args()
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    results = []
    for students in sizes:
        TIME_LIMITS.setdefault(students, 60.0)
        print(f"solving {students:,} students ...", flush=True)
        results.append(run_term(students))
        print(markdown(results[-1:]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "date": date.today().isoformat(),
        "machine": platform.platform(),
        "cores": multiprocessing.cpu_count(),
    }
    (RESULTS / "solve.json").write_text(json.dumps({"meta": meta, "terms": results}, indent=2))
    (RESULTS / "solve.md").write_text(markdown(results))
    print(f"wrote {RESULTS / 'solve.json'} and {RESULTS / 'solve.md'}")


if __name__ == "__main__":
    main()
