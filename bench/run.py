"""Benchmarks in one run: scale, speed and quality against baselines, and the API under load.

Per generated term (fixed seed), each measurement in its own process (peak RSS is its own;
a time limit, memory cap or crash ends only that measurement, recorded with its stage):

1. the product's solve with its defaults: model size, time to the first schedule, time to
   proven optimal coverage, value, bound and gap per objective level, peak RSS, the
   validator's verdict;
2. the straightforward CP-SAT model (`bench/baselines/naive_model.py`) with the same time
   limit: quality at equal time, and the time each needs to reach the same coverage;
3. deferred acceptance (`bench/baselines/deferred_acceptance.py`) on the one-placement-each
   problem, against the product on that same problem: placed, top-choice rate, total and
   worst travel; where the `matching` package stops;

then the repair measurement (when `bench/repair.py` exists) and the API under load on
SQLite and PostgreSQL. Results: `bench/results/<run>.json`, `<run>.md` and the plot
`objective-<students>.svg`.

    python -m bench.run            # 300, 2,000, 5,000, 20,000 students (~30 min)
    python -m bench.run --quick    # 300 and 2,000, short load test (a few minutes)
    python -m bench.run --sizes 5000 --load-students 5000
    python -m bench.run --family all --sizes 600 2000 --workers 2   # benchmark families
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import multiprocessing
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.isolate import run_isolated
from bench.plot import objective_svg

RESULTS = Path(__file__).parent / "results"
FULL_SIZES = (300, 2000, 5000, 20000)
QUICK_SIZES = (300, 2000)
SEED = 1
TIME_LIMITS = {300: 60.0, 2000: 60.0, 5000: 60.0, 20000: 300.0}
NAIVE_CAP = 3_000_000
"""Booleans above which the straightforward model is not built (its Python build alone
would take many minutes and several GB)."""
NAIVE_RSS_CAP_MB = 8000
NAIVE_MAX_LIMIT_S = 600.0
PRODUCT_RSS_CAP_MB = 16000
"""Stops a product solve before the kernel's OOM killer does (and hits other processes):
the 20,000 term reached 23.5 GB and was killed on this 24 GB machine (measured)."""
DA_MAX_STUDENTS = 5000
"""Above this, deferred acceptance's full preference lists (tens of millions of student x
slot links) are not built."""
DEEP_STACK_MAX_STUDENTS = 2000
"""The deep-stack cross-check of `matching` took 261 s at 5,000 students (measured)."""
FULL_LOAD_RUNS = [(100, 0.0), (100, 1.0), (20, 0.0), (1, 0.0)]
QUICK_LOAD_RUNS = [(100, 0.0), (1, 0.0)]
"""(clients, seconds each client pauses between requests) per load run."""
REPAIR_STUDENTS = 5000
TARGETS = {
    "joint_5000_s": 60.0,
    "joint_5000_gap": 0.01,
    "joint_5000_rss_mb": 2048.0,
    "scale_20000_s": 300.0,
    "speedup": 10.0,
    "repair_s": 2.0,
    "api_p95_ms": 50.0,
}


def say(text: str) -> None:
    print(text, flush=True)


def _machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    with contextlib.suppress(OSError):
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    from importlib.metadata import version

    return {
        "date": date.today().isoformat(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores": multiprocessing.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "ortools": version("ortools"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _stage_printer(label: str):
    def show(stage: dict[str, Any]) -> None:
        detail = ", ".join(f"{k}={v}" for k, v in stage.items() if k not in ("stage", "at_s"))
        say(f"    {label}: {stage['stage']}{' (' + detail + ')' if detail else ''}")

    return show


# --- per term -------------------------------------------------------------------------------


def run_term(students: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    limit = TIME_LIMITS.get(students, 60.0)
    out: dict[str, Any] = {"students": students, "seed": SEED, "time_limit_s": limit}
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    schedule_path = str(work / f"schedule-{students}.json")
    say(f"  product, joint term (time limit {limit:g} s) ...")
    out["product"] = _summarise_product(
        run_isolated(
            "bench.measure:product",
            {
                "students": students,
                "seed": SEED,
                "time_limit": limit,
                "schedule_path": schedule_path,
            },
            timeout_s=2 * limit + 300,
            rss_cap_mb=PRODUCT_RSS_CAP_MB,
            on_stage=_stage_printer("product"),
        )
    )
    out["product"].setdefault("students", students)
    out["product"].setdefault("time_limit_s", limit)
    if args.naive:
        naive_limit = limit
        first = out["product"].get("first_schedule_s")
        if args.naive_extend and first:
            # long enough to see whether it gets within 10x of the product at all
            naive_limit = min(max(limit, TARGETS["speedup"] * first), NAIVE_MAX_LIMIT_S)
        say(f"  straightforward model (time limit {naive_limit:g} s) ...")
        out["naive"] = run_isolated(
            "bench.measure:naive",
            {
                "students": students,
                "seed": SEED,
                "time_limit": naive_limit,
                "workers": out["product"].get("workers") or os.cpu_count() or 1,
                "cap": args.naive_cap,
            },
            timeout_s=naive_limit + 900,
            rss_cap_mb=NAIVE_RSS_CAP_MB,
            on_stage=_stage_printer("naive"),
        )
        out["naive_vs_product"] = compare_naive(out["product"], out["naive"], limit)
    if args.da:
        out["deferred"] = run_deferred(students, limit)
    return out


def _summarise_product(result: dict[str, Any]) -> dict[str, Any]:
    if not result.get("ok"):
        return result
    trace = result.get("trace", [])
    result["first_schedule_s"] = trace[0]["elapsed_s"] if trace else result.get("seconds")
    result["first_schedule_from"] = "progress event" if trace else "end of solve"
    result["coverage_proven_s"] = _coverage_proven(result)
    result["objectives"] = [_gap(o) for o in result["objectives"]]
    return result


def _coverage_proven(result: dict[str, Any]) -> float | None:
    for event in result.get("trace", []):
        if event["level"] == "coverage" and abs(event["value"] - event["bound"]) < 1e-6:
            return event["elapsed_s"]
    final = next((o for o in result["objectives"] if o["name"] == "coverage"), None)
    if final and final["value"] is not None and final["value"] == final["bound"]:
        return result.get("seconds")
    return None


def _gap(objective: dict[str, Any]) -> dict[str, Any]:
    value, bound = objective.get("value"), objective.get("bound")
    gap = None
    if value is not None and bound is not None:
        gap = 0.0 if value == bound else abs(value - bound) / max(abs(value), 1e-9)
    return {**objective, "gap": None if gap is None else round(gap, 4)}


def compare_naive(
    product: dict[str, Any], naive: dict[str, Any], equal_time: float
) -> dict[str, Any]:
    """Quality at equal time, and the time each needs to reach the same coverage (the first
    objective level of the default policy).

    Times include each side's preparation: the product's progress events count from the
    start of its solve call (preparation included), the straightforward model's solutions
    count its eligibility and model building too. The product's time to a coverage is its
    first progress event at or above it (the start it builds before its levels is not
    reported, so this is late if anything). The same coverage is the smaller of the two
    finals. Counted only when the straightforward model's final schedule passes the
    validator."""
    if not product.get("ok"):
        return {"comparable": False, "why": f"the product run stopped: {product.get('stopped')}"}
    if not naive.get("ok"):
        return _stopped_naive(product, naive)
    if not naive.get("built"):
        return {"comparable": False, "why": naive.get("why")}
    offset = (naive.get("facts_s") or 0.0) + (naive.get("build_s") or 0.0)
    trace = [{**e, "total_s": round(e["elapsed_s"] + offset, 2)} for e in naive["trace"]]
    ours = product["validator_values"]["coverage"]
    spent = round(offset + (naive.get("solve_s") or 0.0), 1)
    at_equal = [e for e in trace if e["total_s"] <= equal_time]
    out: dict[str, Any] = {
        "product_coverage": ours,
        "equal_time_s": equal_time,
        "naive_at_equal_time": at_equal[-1] if at_equal else None,
        "naive_spent_s": spent,
        "naive_time_limit_s": naive.get("time_limit_s"),
    }
    first_ours = _product_time_to(product, 0)
    if not trace:
        return {
            **out,
            "comparable": True,
            "naive_coverage": None,
            "speedup_at_least": round(spent / first_ours, 1),
            "why": f"no schedule in {spent:g} s (the product's first: {first_ours:g} s)",
        }
    if naive.get("violations"):
        return {**out, "comparable": False, "why": "its schedule fails the validator"}
    theirs = naive["validator_values"]["coverage"]
    target = min(ours, theirs)
    t_naive = next(e["total_s"] for e in trace if e["coverage"] >= target)
    t_ours = _product_time_to(product, target)
    out.update(
        comparable=True,
        naive_coverage=theirs,
        same_coverage=target,
        naive_time_s=t_naive,
        product_time_s=t_ours,
        speedup=round(t_naive / t_ours, 1),
    )
    if theirs < ours:
        out["to_product_coverage_at_least"] = round(spent / _product_time_to(product, ours), 1)
        out["note"] = (
            f"the straightforward model never reached the product's coverage in {spent:g} s"
        )
    return out


def _stopped_naive(product: dict[str, Any], naive: dict[str, Any]) -> dict[str, Any]:
    """A naive run ended by a cap: a lower bound on the speed-up when it had found no
    schedule by then (its reported solutions survive the kill)."""
    seen = naive.get("stages_seen") or {}
    why = f"stopped: {naive.get('stopped')} while {(naive.get('last_stage') or {}).get('stage')}"
    if "solving" not in seen:
        return {"comparable": False, "why": why}
    if "solution" in seen:
        found = seen["solution"]
        return {
            "comparable": False,
            "why": f"{why}; its last schedule had coverage {found['coverage']:,.0f} "
            f"at {found['total_s']} s (not validated)",
        }
    spent = naive.get("wall_s") or 0.0
    first = _product_time_to(product, 0)
    return {
        "comparable": True,
        "naive_coverage": None,
        "naive_spent_s": spent,
        "speedup_at_least": round(spent / first, 1),
        "why": f"no schedule in {spent:g} s, then {naive.get('stopped')} "
        f"(the product's first: {first:g} s)",
    }


def _product_time_to(product: dict[str, Any], coverage: float) -> float:
    for event in product.get("trace", []):
        if event["level"] == "coverage" and event["value"] >= coverage:
            return max(event["elapsed_s"], 0.001)
    return max(product.get("seconds") or 0.001, 0.001)


def run_deferred(students: int, limit: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if students > DA_MAX_STUDENTS:
        out["skipped"] = (
            f"not run above {DA_MAX_STUDENTS:,} students: full preference lists of every "
            "student over every slot they may hold (tens of millions of links)"
        )
        return out
    say("  deferred acceptance, one placement each ...")
    out["da"] = run_isolated(
        "bench.measure:deferred",
        {"students": students, "seed": SEED},
        timeout_s=900,
        rss_cap_mb=NAIVE_RSS_CAP_MB,
        on_stage=_stage_printer("deferred acceptance"),
    )
    package = (out["da"].get("matching_package") or {}) if out["da"].get("ok") else {}
    if package and not package.get("ok") and students <= DEEP_STACK_MAX_STUDENTS:
        say("  matching package with a deep stack (cross-check) ...")
        out["matching_deep_stack"] = run_isolated(
            "bench.measure:matching_deep",
            {"students": students, "seed": SEED},
            timeout_s=600,
            rss_cap_mb=NAIVE_RSS_CAP_MB,
        )
    say(f"  product on the same one-placement-each problem (time limit {limit:g} s) ...")
    out["product_one_each"] = _summarise_product(
        run_isolated(
            "bench.measure:product",
            {"students": students, "seed": SEED, "time_limit": limit, "variant": "one_each"},
            timeout_s=2 * limit + 300,
            rss_cap_mb=PRODUCT_RSS_CAP_MB,
            on_stage=_stage_printer("product one each"),
        )
    )
    return out


# --- repair and load --------------------------------------------------------------------------


def run_repair(students: int, work: Path, limit: float) -> dict[str, Any]:
    """Calls `bench/repair.py` (the repair issue's measurement) on the schedule solved
    above, in its own process; a TODO when that module is not there."""
    if importlib.util.find_spec("bench.repair") is None:
        return {
            "todo": "bench/repair.py does not exist yet: repair time and changed assignments "
            "after one slot decline on the 5,000 term are not measured in this run"
        }
    say(f"  repair after one slot decline, {students:,} students ...")
    return run_isolated(
        "bench.measure:repair",
        {
            "students": students,
            "schedule_path": str(work / f"schedule-{students}.json"),
            "solve_time": limit,
        },
        timeout_s=2 * limit + 600,
        on_stage=_stage_printer("repair"),
    )


def run_load(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from bench.load import load_test

    results = []
    for database in ("sqlite", "postgresql"):
        say(f"  API under load, {database}, {args.load_students:,}-student term ...")
        results.append(
            load_test(
                database,
                students=args.load_students,
                seed=SEED,
                schedule_path=str(work / f"schedule-{args.load_students}.json"),
                time_limit=TIME_LIMITS.get(args.load_students, 60.0),
                runs=tuple(args.load_runs),
                duration_s=args.load_seconds,
                max_requests=args.max_requests,
                say=say,
            )
        )
    return results


def _load_run(text: str) -> tuple[int, float]:
    clients, _, think = text.partition(":")
    return int(clients), float(think or 0)


# --- targets and report -------------------------------------------------------------------------


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    terms = {t["students"]: t for t in report["terms"]}
    out = []

    def add(name: str, met: bool | None, figure: str) -> None:
        out.append({"target": name, "met": met, "figure": figure})

    five = terms.get(5000, {}).get("product", {})
    if five.get("ok"):
        cov = _objective(five, "coverage")
        pref = _objective(five, "preferences")
        proven = cov and cov["gap"] == 0 and (five.get("seconds") or 1e9) <= TARGETS["joint_5000_s"]
        pref_ok = pref and pref["gap"] is not None and pref["gap"] <= TARGETS["joint_5000_gap"]
        add(
            "5,000 joint: proven optimal coverage and preference gap <= 1 % within 60 s",
            bool(proven and pref_ok and five["violations"] == 0),
            f"coverage {cov['value']:,.0f} / bound {cov['bound']:,.0f}, preference gap "
            f"{_pct(pref['gap'])}, solve {five['seconds']:.1f} s, valid: {five['violations'] == 0}",
        )
        add(
            "5,000 joint: peak memory <= 2 GB",
            five["peak_rss_mb"] <= TARGETS["joint_5000_rss_mb"],
            f"{five['peak_rss_mb']:,.0f} MB",
        )
    else:
        add("5,000 joint targets", None, "not run" if not five else five.get("stopped", "failed"))
    big = terms.get(20000, {}).get("product", {})
    if big.get("ok"):
        cov = _objective(big, "coverage")
        add(
            "20,000: valid schedule with full achievable coverage within 5 min",
            big["violations"] == 0 and cov["gap"] == 0 and big["seconds"] <= 300,
            f"coverage {cov['value']:,.0f} / bound {cov['bound']:,.0f}, {big['seconds']:.0f} s, "
            f"valid: {big['violations'] == 0}",
        )
    else:
        add("20,000 targets", None, "not run" if not big else big.get("stopped", "failed"))
    speedups = []
    for n, t in sorted(terms.items()):
        c = t.get("naive_vs_product")
        if c and c.get("comparable") and c.get("speedup") is not None:
            speedups.append((c["speedup"] >= TARGETS["speedup"], f"{n:,}: {c['speedup']}x"))
        elif c and c.get("comparable"):
            low = c["speedup_at_least"]
            met = True if low >= TARGETS["speedup"] else None
            speedups.append((met, f"{n:,}: >= {low}x ({c.get('why')})"))
        elif c:
            speedups.append((None, f"{n:,}: {c.get('why')}"))
    if speedups:
        verdicts = [m for m, _ in speedups]
        met = False if False in verdicts else True if all(verdicts) else None
        if met is None and True in verdicts:
            met = True  # every measured ratio meets it; the rest are bounds or not built
        add(
            ">= 10x faster than the straightforward model to the same quality",
            met,
            "; ".join(text for _, text in speedups),
        )
    da_rows = []
    for n, t in sorted(terms.items()):
        d = t.get("deferred", {})
        da, ours = d.get("da", {}), d.get("product_one_each", {})
        if da.get("ok") and ours.get("ok"):
            a, b = da["placement_metrics"], ours["placement_metrics"]
            better = (
                b["total_travel_km"] < a["total_travel_km"]
                and b["worst_travel_km"] < a["worst_travel_km"]
                and (b["top_choice_rate"] or 0) >= (a["top_choice_rate"] or 0)
            )
            da_rows.append(
                (
                    better,
                    f"{n:,}: total {b['total_travel_km']:,.0f} vs {a['total_travel_km']:,.0f} "
                    f"km, worst {b['worst_travel_km']:.1f} vs {a['worst_travel_km']:.1f} km, top "
                    f"choice {_pct(b['top_choice_rate'])} vs {_pct(a['top_choice_rate'])}, placed "
                    f"{b['students_placed']:,} vs {a['students_placed']:,}",
                )
            )
    if da_rows:
        add(
            "better than deferred acceptance on total and worst travel at an equal or better "
            "top-choice rate (product vs DA)",
            all(m for m, _ in da_rows),
            "; ".join(text for _, text in da_rows),
        )
    repair = report.get("repair", {})
    if repair.get("ok") and repair.get("repair_s") is not None:
        add(
            f"repair < 2 s ({repair['students']:,} students, one slot declined)",
            repair["repair_s"] < TARGETS["repair_s"] and repair.get("violations") == 0,
            f"{repair['repair_s']:.2f} s wall (first valid repair at "
            f"{_fmt(repair.get('first_repair_s'))} s), {repair.get('changes')} changed "
            f"assignments, {repair.get('students_affected')} students affected, status "
            f"{repair.get('status')}, valid: {repair.get('violations') == 0}",
        )
    else:
        add(
            "repair < 2 s",
            None,
            repair.get("todo")
            or repair.get("stopped")
            or repair.get("error", "")[:200]
            or "not measured",
        )
    for load in report.get("load", []):
        closed = next((r for r in load.get("runs", []) if r.get("think_s") == 0), None)
        if closed and closed.get("ok") and not closed["latency_ms"]["student_schedule"]["n"]:
            add(
                f"student schedule reads p95 < 50 ms at {closed['clients']} concurrent clients "
                f"({load['database']})",
                False,
                f"every one of {closed['requests']:,} requests failed: " + _failure_text(closed),
            )
        elif closed and closed.get("ok"):
            p95 = closed["latency_ms"]["student_schedule"]["p95"]
            add(
                f"student schedule reads p95 < 50 ms at {closed['clients']} concurrent clients "
                f"({load['database']})",
                p95 is not None and p95 < TARGETS["api_p95_ms"],
                f"p95 {p95} ms at {closed['throughput_rps']} requests/s",
            )
        else:
            add(
                f"student schedule reads p95 < 50 ms ({load['database']})",
                None,
                load.get("stopped") or "the load run failed",
            )
    return out


def _failure_text(run: dict[str, Any]) -> str:
    """What the clients saw, and the server's most frequent logged error."""
    seen = ", ".join(f"{k} x{v}" for k, v in sorted(run.get("failures", {}).items()))
    errors = run.get("server_errors") or {}
    top = max(errors, key=errors.get) if errors else None
    return seen + (f"; server: {top}" if top else "")


def _objective(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((o for o in result.get("objectives", []) if o["name"] == name), None)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"# Benchmark results ({report['run']} run, {meta['date']})",
        "",
        f"Machine: {meta['cores']} cores, {meta['cpu'] or 'unknown CPU'}, {meta['memory']}; "
        f"Python {meta['python']}, OR-Tools {meta['ortools']}. Load average at start "
        f"{meta['load_average_at_start']}: other jobs share these cores, so times are noisy.",
        "",
        "## Solve with the product's defaults",
        "",
    ]
    lines += _solve_table([t["product"] for t in report["terms"]])
    naive = [t for t in report["terms"] if "naive" in t]
    if naive:
        lines += ["", "## Straightforward model (same time limit)", ""]
        lines += _naive_table(naive)
    da = [t for t in report["terms"] if "deferred" in t]
    if da:
        lines += ["", "## Deferred acceptance vs the product (one placement each)", ""]
        lines += _da_table(da)
    lines += ["", "## Repair after one slot decline", ""]
    lines += _repair_lines(report.get("repair", {}))
    if report.get("load"):
        lines += ["", "## API under load", ""]
        lines += _load_table(report["load"])
    lines += ["", "## Targets", "", "| target | met | figure |", "|---|---|---|"]
    for t in report["targets"]:
        met = "yes" if t["met"] else "not measured" if t["met"] is None else "**no**"
        lines.append(f"| {t['target']} | {met} | {t['figure']} |")
    return "\n".join(lines) + "\n"


def _solve_table(results: list[dict[str, Any]]) -> list[str]:
    header = (
        "| students | model: classes / sessions / slots / options | status | first schedule (s) "
        "| coverage proven (s) | solve (s) | coverage | preferences | worst travel (km) "
        "| total travel (km) | team balance | peak RSS (MB) | valid |"
    )
    lines = [header, "|" + "---|" * 13]
    for r in results:
        if not r.get("ok"):
            stage = r.get("last_stage") or {}
            lines.append(
                f"| {_fmt(r.get('students'))} | stopped: {r.get('stopped')} after "
                f"{_fmt(r.get('wall_s'))} s (time limit {_fmt(r.get('time_limit_s'))} s) while "
                f"{stage.get('stage')}, no schedule |"
                + " |" * 10
                + f" {_fmt(r.get('peak_rss_mb'), 0)} | - |"
            )
            continue
        m = r["model"]
        cells = [
            f"{r['students']:,}",
            f"{m['classes']:,} / {m['sessions']:,} / {m['slots']:,} / {m['eligible_options']:,}",
            r["status"],
            _fmt(r["first_schedule_s"])
            + ("" if r["first_schedule_from"] == "progress event" else "*"),
            _fmt(r["coverage_proven_s"]),
            _fmt(r["seconds"]),
        ]
        for name in ("coverage", "preferences", "travel_fairness", "travel_total", "team_balance"):
            o = _objective(r, name)
            if o is None:
                cells.append("-")
                continue
            gap = "" if o["gap"] is None else f" ({o['gap']:.1%})"
            cells.append(f"{_fmt(o['value'])} / {_fmt(o['bound'])}{gap}")
        cells += [
            _fmt(r["peak_rss_mb"], 0),
            "yes" if r["violations"] == 0 else f"NO ({r['violations']})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Each objective: value / bound (gap). * no progress event before the end: the first "
        "schedule is the end of the solve."
    )
    return lines


def _naive_table(terms: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| students | booleans | build (s) | coverage at equal time: naive / product "
        "| naive final: time limit (s), status, coverage / preferences / worst km / total km "
        "| product final: coverage / preferences / worst km / total km | naive valid "
        "| same coverage reached: naive s / product s | speed-up | naive peak RSS (MB) |",
        "|" + "---|" * 10,
    ]
    for t in terms:
        n, p, c = t["naive"], t["product"], t.get("naive_vs_product", {})
        if not n.get("ok"):
            size = (n.get("stages_seen") or {}).get("building", {}).get("booleans")
            low = c.get("speedup_at_least")
            lines.append(
                f"| {t['students']:,} | {_fmt(size)} | | {c.get('why')} | | | | | "
                f"{'>= ' + str(low) + 'x' if low else '-'} | {_fmt(n.get('peak_rss_mb'), 0)} |"
            )
            continue
        if not n.get("built"):
            lines.append(f"| {t['students']:,} | not built: {n.get('why')} |" + " |" * 8)
            continue
        nv, pv = n.get("validator_values") or {}, p.get("validator_values") or {}

        def four(v: dict[str, Any]) -> str:
            keys = ("coverage", "preferences", "travel_fairness", "travel_total")
            return " / ".join(_fmt(v.get(k)) for k in keys) if v else "none"

        equal = c.get("naive_at_equal_time")
        speed = c.get("speedup")
        speed_text = (
            f"{speed}x"
            if speed is not None
            else f">= {c['speedup_at_least']}x"
            if c.get("speedup_at_least")
            else "-"
        )
        if c.get("to_product_coverage_at_least"):
            speed_text += f" (to the product's coverage: >= {c['to_product_coverage_at_least']}x)"
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{t['students']:,}",
                    _fmt(n.get("booleans")),
                    _fmt((n.get("facts_s") or 0) + (n.get("build_s") or 0)),
                    f"{_fmt(equal['coverage'] if equal else None)} / "
                    f"{_fmt(pv.get('coverage'))} ({_fmt(c.get('equal_time_s'), 0)} s)",
                    f"{_fmt(n.get('time_limit_s'), 0)}, {n.get('status', '-')}, {four(nv)}",
                    four(pv),
                    "-"
                    if n.get("violations") is None
                    else ("yes" if n["violations"] == 0 else "NO"),
                    f"{_fmt(c.get('naive_time_s'))} / {_fmt(c.get('product_time_s'))}",
                    speed_text,
                    _fmt(n.get("peak_rss_mb"), 0),
                ]
            )
            + " |"
        )
    lines.append("")
    lines.append(
        "Equal time: the naive model's best coverage within the product's time limit, its "
        "eligibility and build included. Finals are re-computed by the validator from each "
        "final schedule. Same coverage: seconds to reach the smaller of the two final "
        "coverages (preparation and build included on both sides)."
    )
    return lines


def _da_table(terms: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| students | residents / links | `matching` package | placed: DA / product | top choice: "
        "DA / product | total travel (km): DA / product | worst travel (km): DA / product "
        "| time (s): DA / product | valid |",
        "|" + "---|" * 9,
    ]
    for t in terms:
        d = t["deferred"]
        if d.get("skipped"):
            lines.append(f"| {t['students']:,} | skipped: {d['skipped']} |" + " |" * 7)
            continue
        da, ours = d.get("da", {}), d.get("product_one_each", {})
        if not da.get("ok") or not ours.get("ok"):
            why = da.get("stopped") if not da.get("ok") else ours.get("stopped")
            lines.append(f"| {t['students']:,} | stopped: {why} |" + " |" * 7)
            continue
        a, b = da["placement_metrics"], ours["placement_metrics"]
        package = da.get("matching_package", {})
        if package.get("ok"):
            pkg = (
                f"ran ({package['seconds']} s), identical: {package.get('identical_to_iterative')}"
            )
        else:
            limit = package.get("limit", {})
            deep = d.get("matching_deep_stack", {})
            pkg = (
                f"RecursionError in {package.get('failed_at')} with {package.get('residents'):,} "
                f"residents; runs up to {limit.get('largest_ok_residents', '?')} residents"
            )
            if deep.get("ok") is not None:
                pkg += (
                    f"; with a deep stack: identical: {deep.get('identical_to_iterative')}"
                    if deep.get("ok")
                    else f"; deep stack: {deep.get('stopped') or deep.get('error', '')[:60]}"
                )
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{t['students']:,}",
                    f"{da['residents']:,} / {da['preference_links']:,}",
                    pkg,
                    f"{a['students_placed']:,} / {b['students_placed']:,} "
                    f"of {a['students_needing']:,}",
                    f"{_pct(a['top_choice_rate'])} / {_pct(b['top_choice_rate'])}",
                    f"{a['total_travel_km']:,.1f} / {b['total_travel_km']:,.1f}",
                    f"{a['worst_travel_km']:.1f} / {b['worst_travel_km']:.1f}",
                    f"{da['iterative_s']} / {_fmt(ours.get('seconds'))}",
                    f"{'yes' if da['violations'] == 0 else 'NO'} / "
                    f"{'yes' if ours['violations'] == 0 else 'NO'}",
                ]
            )
            + " |"
        )
    lines.append("")
    lines.append(
        "Same reduced problem for both: placements only, at most one per student (a student "
        "who needs two gets one; tag minimums kept where the one placement must meet them). DA "
        "time is the iterative implementation's (preference lists excluded); top choice = "
        "placements at the student's first-ranked site."
    )
    return lines


def _repair_lines(repair: dict[str, Any]) -> list[str]:
    if repair.get("todo"):
        return [f"TODO: {repair['todo']}."]
    if not repair.get("ok"):
        why = repair.get("stopped", "")
        return [f"Not measured: {why} {repair.get('error', '')[:500]}".strip()]
    levels = ", ".join(
        f"{o['name']} {_fmt(o['value'])} / {_fmt(o['bound'])}" for o in repair.get("objectives", [])
    )
    rows = [
        ("declined slot (students holding it)", f"{repair['declined_slot']} ({repair['holders']})"),
        (
            "repair wall time (s), time limit",
            f"{_fmt(repair['repair_s'])}, {repair['repair_time_limit_s']:g}",
        ),
        ("first valid repair at (s)", _fmt(repair.get("first_repair_s"))),
        ("coverage level done at (s)", _fmt(repair.get("coverage_done_s"))),
        ("stability level done at (s)", _fmt(repair.get("stability_done_s"))),
        (
            "changed assignments (moved / added / dropped)",
            f"{repair['changes']} ({repair['moved']} / {repair['added']} / {repair['dropped']})",
        ),
        ("students affected", str(repair.get("students_affected"))),
        ("status; levels value / bound", f"{repair['status']}; {levels}"),
        ("valid", "yes" if repair.get("violations") == 0 else f"NO ({repair.get('violations')})"),
        ("peak RSS (MB)", _fmt(repair.get("peak_rss_mb"), 0)),
    ]
    return ["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]


def _load_table(loads: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| database | term | clients | think (s) | requests | throughput (req/s) | student "
        "schedule p50 / p95 / p99 (ms) | partner roster p50 / p95 / p99 (ms) | errors "
        "| server RSS (MB) |",
        "|" + "---|" * 10,
    ]
    notes: list[str] = []
    for load in loads:
        if not load.get("runs"):
            why = load.get("stopped") or (load.get("setup") or {}).get("stopped")
            lines.append(f"| {load['database']} | not run: {why} |" + " |" * 8)
            continue
        for r in load["runs"]:
            if not r.get("ok"):
                lines.append(f"| {load['database']} | failed: {r.get('stopped')} |" + " |" * 8)
                continue
            s, p = r["latency_ms"]["student_schedule"], r["latency_ms"]["partner_roster"]
            if r.get("failures"):
                notes.append(
                    f"{load['database']}, {r['clients']} clients, think {r['think_s']:g} s: "
                    + _failure_text(r)
                )
            lines.append(
                "| "
                + " | ".join(
                    [
                        load["database"],
                        f"{load['students']:,}",
                        str(r["clients"]),
                        f"{r['think_s']:g}",
                        f"{r['requests']:,}",
                        _fmt(r["throughput_rps"]),
                        " / ".join(_fmt(s[q]) for q in ("p50", "p95", "p99")),
                        " / ".join(_fmt(p[q]) for q in ("p50", "p95", "p99")),
                        str(sum(r["failures"].values())),
                        _fmt(r.get("server_peak_rss_mb"), 0),
                    ]
                )
                + " |"
            )
    lines.append("")
    lines += [f"- Failures: {note}" for note in notes]
    lines.append("")
    lines.append(
        "Closed loop (think 0): each client sends its next request as soon as the previous "
        "answer arrives. The load generator (Python, asyncio + httpx) runs on the same cores "
        "as the one-process server."
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="300 and 2,000 students, short load test"
    )
    parser.add_argument("--sizes", type=int, nargs="*", help="student counts to run")
    parser.add_argument(
        "--no-naive", dest="naive", action="store_false", help="skip the straightforward model"
    )
    parser.add_argument("--no-da", dest="da", action="store_false", help="skip deferred acceptance")
    parser.add_argument(
        "--no-load", dest="load", action="store_false", help="skip the API load test"
    )
    parser.add_argument(
        "--no-repair", dest="repair", action="store_false", help="skip the repair measurement"
    )
    parser.add_argument(
        "--naive-cap", type=int, default=NAIVE_CAP, help="max booleans of the naive model"
    )
    parser.add_argument(
        "--load-students", type=int, help="term for the load test (default 5,000; quick 2,000)"
    )
    parser.add_argument(
        "--load-seconds", type=float, help="seconds per load run (default 30; quick 10)"
    )
    parser.add_argument(
        "--load-runs",
        type=_load_run,
        nargs="*",
        help="CLIENTS:THINK_S per load run (default: 100:0 100:1 20:0 1:0; quick: 100:0 1:0 "
        "1:0); 100 clients with no pause is the issue's case",
    )
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="request cap per load run"
    )
    parser.add_argument(
        "--naive-extend",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="give the naive model up to 10x the product's first-schedule time (default: on; "
        "off with --quick)",
    )
    parser.add_argument("--name", help="results file name (default: full, quick or custom)")
    parser.add_argument(
        "--family",
        nargs="*",
        help="benchmark families (`all`, or names of `ipe generate --family`): only the "
        "product's solve per family and size, summarised in bench/results/families.md "
        "(default sizes 600 2000 5000)",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="with --family")
    parser.add_argument("--workers", type=int, help="CP-SAT workers, with --family")
    args = parser.parse_args()
    if args.family is not None:
        _run_families(args)
        return
    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    run = args.name or ("custom" if args.sizes else "quick" if args.quick else "full")
    if args.naive_extend is None:
        args.naive_extend = not args.quick
    args.load_students = args.load_students or (2000 if args.quick else 5000)
    args.load_seconds = args.load_seconds or (10.0 if args.quick else 30.0)
    if args.load_runs is None:
        args.load_runs = QUICK_LOAD_RUNS if args.quick else FULL_LOAD_RUNS
    started = time.monotonic()
    report: dict[str, Any] = {"run": run, "meta": _machine(), "sizes": list(sizes), "terms": []}
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ipe-bench-") as folder:
        work = Path(folder)
        for students in sizes:
            say(f"{students:,} students (seed {SEED}) ...")
            report["terms"].append(run_term(students, args, work))
            _write(report, run)
        if not args.repair:
            report["repair"] = {"todo": "skipped (--no-repair)"}
        elif REPAIR_STUDENTS not in sizes:
            report["repair"] = {
                "todo": f"repair is measured on the {REPAIR_STUDENTS:,} term, not in this run"
            }
        else:
            report["repair"] = run_repair(REPAIR_STUDENTS, work, TIME_LIMITS[REPAIR_STUDENTS])
        if args.load:
            if args.load_students not in sizes:
                say(f"  (the load term {args.load_students:,} is solved inside the load setup)")
            report["load"] = run_load(args, work)
    for t in report["terms"]:  # one plot per term; the issue asks for the 5,000 one
        if t["product"].get("ok"):
            path = RESULTS / f"objective-{t['students']}.svg"
            path.write_text(objective_svg(t["product"], t.get("naive")))
            report.setdefault("plots", []).append(str(path.relative_to(RESULTS.parent.parent)))
    report["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["meta"]["total_s"] = round(time.monotonic() - started, 1)
    report["targets"] = targets(report)
    _write(report, run)
    say(markdown(report))
    took = report["meta"]["total_s"]
    say(f"wrote bench/results/{run}.json and bench/results/{run}.md ({took:.0f} s)")


def _run_families(args: argparse.Namespace) -> None:
    from bench.families import run_families
    from scheduler.synthetic_families import FAMILIES, family_named

    names = list(FAMILIES) if args.family in ([], ["all"]) else args.family
    for name in names:
        family_named(name)  # an unknown name fails before anything runs
    run_families(
        families=names,
        sizes=list(args.sizes or (600, 2000, 5000)),
        time_limit=args.time_limit,
        workers=args.workers,
        results=RESULTS,
        seed=SEED,
        say=say,
    )
    say("wrote bench/results/families.md and bench/results/families.summary.json")


def _write(report: dict[str, Any], run: str) -> None:
    slim = json.loads(json.dumps(report, default=str))
    (RESULTS / f"{run}.json").write_text(json.dumps(slim, indent=1) + "\n")
    if "targets" in report:
        (RESULTS / f"{run}.md").write_text(markdown(report))


if __name__ == "__main__":
    main()
