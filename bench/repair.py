"""Repair after one decline on a generated term: how long, how many changes, proven or not.

Solves the term once (or loads that schedule), declines the slot with the most students,
and repairs against the first schedule with `stability` right after `coverage`, three
times (the median is reported, with the load average: the machine is shared), by the
path the product takes (local first, `solver.incremental`). Reports the repair's wall
time, the path, and where it went (preparing the term, time to the first valid
repair, to proven coverage, to the stability level's end), the changes against the first
schedule (moved / added / dropped, students affected), each level's value and bound, and
the validator's verdict. Results: bench/results/repair.json and repair.md.

    python -m bench.repair                          # 5,000 students, seed 1
    python -m bench.repair --students 300 --solve-time 30 --repair-time 10
    python -m bench.repair --previous first.json    # skip the first solve
    python -m bench.repair --family all --repeat 1  # every family: repair-families.md
    python -m bench.repair --family all --repeat 1 --full --repair-time 60  # the fallback
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
SEED = 1


def first_schedule(scenario: Any, solve_time: float, path: Path | None) -> Any:
    """The schedule to repair: loaded from `path` when it exists, else solved (and saved)."""
    from scheduler.domain.schedule import Schedule
    from solver import SolveOptions, solve

    if path is not None and path.exists():
        return Schedule.model_validate_json(path.read_text())
    schedule = solve(scenario, options=SolveOptions(time_limit_s=solve_time, seed=SEED))
    if path is not None:
        path.write_text(schedule.model_dump_json())
    return schedule


def busiest_slot(schedule: Any) -> tuple[str, int]:
    """The slot holding the most students (ties: the smallest id)."""
    held = Counter(p.slot for p in schedule.placements)
    slot = min(held, key=lambda s: (-held[s], s))
    return slot, held[slot]


def declined(scenario: Any, slot_id: str) -> Any:
    slots = [
        s.model_copy(update={"status": "declined"}) if s.id == slot_id else s
        for s in scenario.slots
    ]
    return scenario.model_copy(update={"slots": slots})


def measure(
    students: int,
    solve_time: float,
    repair_time: float,
    previous: Path | None,
    split: bool,
    repeat: int = 3,
    family: str = "default",
    local: bool = True,
) -> dict:
    from scheduler.domain.diff import diff_schedules
    from scheduler.domain.repair import with_previous
    from scheduler.domain.validator import validate_schedule
    from scheduler.synthetic import generate_term
    from scheduler.synthetic_families import family_named
    from solver import SolveOptions, SolveProgress, solve
    from solver.prepare import prepare

    scenario = generate_term(students=students, seed=SEED, family=family_named(family))
    first = first_schedule(scenario, solve_time, previous)
    first_violations = len(validate_schedule(scenario, first))
    slot, holders = busiest_slot(first)
    problem = with_previous(declined(scenario, slot), first)
    prepare_s = None
    if split:
        started = time.monotonic()
        prepare(problem)
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

    options = SolveOptions(time_limit_s=repair_time, seed=SEED, local_repair=local)
    runs, cpu, loads = [], [], []
    for _ in range(repeat):  # the median of `repeat` repairs; the machine is shared
        trace.clear()
        started, began_cpu = time.monotonic(), time.process_time()
        repaired = solve(problem, options=options, on_progress=record)
        runs.append(round(time.monotonic() - started, 2))
        cpu.append(round(time.process_time() - began_cpu, 2))
        loads.append(round(os.getloadavg()[0], 2))
    seconds = statistics.median(runs)
    diff = diff_schedules(first, repaired)
    return {
        "family": family,
        "students": students,
        "seed": SEED,
        "first_status": first.status,
        "first_objectives": [
            {"name": o.name, "value": o.value, "bound": o.bound} for o in first.objectives
        ],
        "first_violations": first_violations,
        "declined_slot": slot,
        "holders": holders,
        "repair_time_limit_s": repair_time,
        "repair_s": round(seconds, 2),
        "repair_runs_s": runs,
        "repair_cpu_s": cpu,
        "forced_full": not local,
        "holders_fitting_a_free_seat": len(fitting_holders(problem, first, slot)),
        "load_average_1min": loads,
        "path": repaired.metrics.get("repair", {}),
        "prepare_s": round(prepare_s, 2) if prepare_s is not None else None,
        "first_repair_s": trace[0]["elapsed_s"] if trace else None,
        "coverage_done_s": _last_at(trace, "coverage"),
        "stability_done_s": _last_at(trace, "stability"),
        "status": repaired.status,
        "objectives": [
            {"name": o.name, "value": o.value, "bound": o.bound} for o in repaired.objectives
        ],
        "changes": diff.changes,
        "moved": len(diff.moved),
        "added": len(diff.added),
        "dropped": len(diff.dropped),
        "students_affected": diff.people_affected,
        "violations": len(validate_schedule(problem, repaired)),
        "trace": trace,
        "stages_s": stages(problem, SEED) if split else None,
    }


def fitting_holders(problem: Any, first: Any, slot: str) -> list[str]:
    """Holders of the declined slot with a free seat that clashes with none of their
    sessions and other placements and keeps their tag minimums: a repair that drops one of
    them loses coverage it need not lose."""
    from scheduler.domain.diff import attendance, placements
    from solver.incremental.eligibility import Eligibility

    eligibility = Eligibility(problem)
    held = placements(first)
    taken = Counter(p.slot for p in first.placements)
    capacity = {s.id: s.capacity for s in problem.slots}
    sessions: dict[str, set[str]] = {}
    for (student, _activity), ids in attendance(first).items():
        sessions.setdefault(student, set()).update(ids)
    fit = []
    for holder in sorted(s for s, slots in held.items() if slot in slots):
        mine = eligibility.options(holder, held[holder] - {slot})
        requirement = eligibility.requirement(holder)
        blocked = eligibility.session_periods(sessions.get(holder, set()))
        for option in eligibility.options(holder):
            if taken[option.slot] >= capacity[option.slot] or option.period in blocked:
                continue
            if any(eligibility.clash(option.period, o.period) for o in mine):
                continue
            both = [*mine, option]
            if (
                requirement is None
                or len(both) < requirement.count
                or all(sum(tag in o.tags for o in both) >= n for tag, n in requirement.tags.items())
            ):
                fit.append(holder)
                break
    return fit


def stages(problem: Any, seed: int) -> dict[str, float]:
    """Seconds of each step the driver takes before its levels, timed one by one (the
    same calls as `solver.driver.run`): where a repair's time goes."""
    from solver.candidates import restrict_options
    from solver.driver import RunSettings, _start_solver
    from solver.model import TermModel
    from solver.objectives.stability import build
    from solver.prepare import prepare
    from solver.projection import project
    from solver.rules import apply_rules
    from solver.stability import candidate_slots, previous_of, refine_classes
    from solver.warm import flow_starts, greedy_drafts, slots_of, warm_start

    times: dict[str, float] = {}
    clock = [time.monotonic()]

    def lap(name: str) -> None:
        now = time.monotonic()
        times[name] = round(now - clock[0], 2)
        clock[0] = now

    prep = prepare(problem)
    refine_classes(prep)
    lap("prepare")
    starts = flow_starts(prep)
    drafts = greedy_drafts(prep, starts)
    lap("placement flow and drafts")
    restrict_options(prep, candidate_slots(prep, slots_of(drafts)))
    model = TermModel(prep)
    apply_rules(model)
    lap("CP-SAT model")
    settings = RunSettings(problem.policy.time_limit_s, 2, seed, False, time.monotonic())
    warm_start(model, lambda: _start_solver(settings), seed, starts, drafts)
    lap("warm start")
    build(model)
    previous = previous_of(prep)
    assert previous is not None
    times["projection valid"] = float(project(model, previous) is not None)
    lap("projection and check")
    return times


def _last_at(trace: list[dict[str, Any]], level: str) -> float | None:
    times = [event["elapsed_s"] for event in trace if event["level"] == level]
    return float(times[-1]) if times else None


def markdown(result: dict[str, Any]) -> str:
    levels = ", ".join(
        f"{o['name']} {_fmt(o['value'])} / {_fmt(o['bound'])}" for o in result["objectives"]
    )
    rows = [
        ("students", f"{result['students']:,}"),
        ("first schedule: coverage / bound", _first_coverage(result)),
        ("declined slot (holders)", f"{result['declined_slot']} ({result['holders']})"),
        ("repair wall time, median (s)", _fmt(result["repair_s"])),
        ("each repair (s)", ", ".join(_fmt(s) for s in result["repair_runs_s"])),
        (
            "load average (1 min) after each",
            ", ".join(_fmt(x) for x in result["load_average_1min"]),
        ),
        ("repair path", _path(result["path"])),
        ("a full prepare of the term alone (s)", _fmt(result["prepare_s"])),
        ("first valid repair at (s)", _fmt(result["first_repair_s"])),
        ("coverage level done at (s)", _fmt(result["coverage_done_s"])),
        ("stability level done at (s)", _fmt(result["stability_done_s"])),
        ("status", result["status"]),
        ("levels: value / bound", levels),
        (
            "changes (moved / added / dropped)",
            f"{result['changes']} ({result['moved']} / {result['added']} / {result['dropped']})",
        ),
        ("students affected", str(result["students_affected"])),
        ("valid", "yes" if result["violations"] == 0 else f"NO ({result['violations']})"),
    ]
    for stage, seconds in (result.get("stages_s") or {}).items():
        rows.append((f"step alone: {stage}", _fmt(seconds)))
    lines = ["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines) + "\n"


def _path(repair: dict[str, Any]) -> str:
    if repair.get("path") == "local" and repair.get("unproven"):
        return f"local, not proven ({repair['unproven']})"
    if repair.get("path") == "local":
        return f"local ({repair.get('movers')} students in the model)"
    return f"full ({repair.get('reason', '-')})"


def _first_coverage(result: dict[str, Any]) -> str:
    found = [o for o in result["first_objectives"] if o["name"] == "coverage"]
    return f"{_fmt(found[0]['value'])} / {_fmt(found[0]['bound'])}" if found else "-"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def family_row(result: dict[str, Any]) -> dict[str, Any]:
    """One row of the family table from one `measure` result."""
    first = {o["name"]: o for o in result["first_objectives"]}
    after = {o["name"]: o for o in result["objectives"]}
    return {
        "family": result["family"],
        "students": result["students"],
        "forced_full": result["forced_full"],
        "holders": result["holders"],
        "holders_fitting_a_free_seat": result["holders_fitting_a_free_seat"],
        "path": _path(result["path"]),
        "repair_s": result["repair_s"],
        "repair_cpu_s": statistics.median(result["repair_cpu_s"]),
        "time_limit_s": result["repair_time_limit_s"],
        "coverage_before": first.get("coverage", {}).get("value"),
        "coverage_after": after.get("coverage", {}).get("value"),
        "stability": after.get("stability", {}).get("value"),
        "stability_bound": after.get("stability", {}).get("bound"),
        "status": result["status"],
        "valid": result["violations"] == 0,
        "load_average_1min": result["load_average_1min"],
    }


def family_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Repair after one declined slot, per family (`python -m bench.repair --family all`)",
        "",
        "Each family's term (seed 1) solved once with a 60 s limit; its slot with the most "
        "holders is declined and the term repaired with `coverage, stability` first. "
        "`forced full` rows switch the local path off to time the fallback. Wall and CPU "
        "seconds of the `solve()` call; the machine (2 cores) is shared with 7 other "
        "engineers, so wall times are noisy: the 1-minute load average is given.",
        "",
        "| family | students | path | holders (fit a free seat) | coverage before -> after "
        "| stability / bound | wall (s) / limit | CPU (s) | valid | load |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    r["family"],
                    f"{r['students']:,}",
                    ("forced full: " if r["forced_full"] else "") + r["path"],
                    f"{r['holders']} ({r['holders_fitting_a_free_seat']})",
                    f"{_fmt(r['coverage_before'])} -> {_fmt(r['coverage_after'])}",
                    f"{_fmt(r['stability'])} / {_fmt(r['stability_bound'])}",
                    f"{_fmt(r['repair_s'])} / {_fmt(r['time_limit_s'])}",
                    _fmt(r["repair_cpu_s"]),
                    "yes" if r["valid"] else "NO",
                    ", ".join(_fmt(x) for x in r["load_average_1min"]),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def run_families(args: argparse.Namespace) -> None:
    """Each family in turn; the rows accumulate in repair-families.summary.json (a re-run
    replaces its row) and repair-families.md is rewritten after each."""
    from scheduler.synthetic_families import FAMILIES

    names = list(FAMILIES) if args.family == "all" else args.family.split(",")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "repair-families.summary.json"
    rows: list[dict[str, Any]] = json.loads(path.read_text()) if path.exists() else []
    for family in names:
        first = RESULTS / f"repair-first-{family}-{args.students}.json"
        result = measure(
            args.students,
            args.solve_time,
            args.repair_time,
            first,
            False,
            args.repeat,
            family=family,
            local=not args.full,
        )
        row = family_row(result)
        key = (row["family"], row["students"], row["forced_full"])
        rows = [r for r in rows if (r["family"], r["students"], r["forced_full"]) != key]
        rows.append(row)
        order = list(FAMILIES)
        rows.sort(key=lambda r: (r["students"], r["forced_full"], order.index(r["family"])))
        path.write_text(json.dumps(rows, indent=1) + "\n")
        (RESULTS / "repair-families.md").write_text(family_table(rows))
        print(json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--solve-time", type=float, default=60.0, help="first solve (s)")
    parser.add_argument("--repair-time", type=float, default=20.0, help="repair limit (s)")
    parser.add_argument("--previous", type=Path, help="first schedule: load, or save here")
    parser.add_argument("--stages", action="store_true", help="also time each step alone")
    parser.add_argument("--repeat", type=int, default=3, help="repairs timed (median)")
    parser.add_argument("--family", help="NAME, NAME,NAME or all: the family table instead")
    parser.add_argument("--full", action="store_true", help="switch the local path off")
    args = parser.parse_args()
    if args.family:
        run_families(args)
        return
    result = measure(
        args.students,
        args.solve_time,
        args.repair_time,
        args.previous,
        args.stages,
        args.repeat,
        local=not args.full,
    )
    result["meta"] = {"date": date.today().isoformat(), "machine": platform.platform()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "repair.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "repair.md").write_text(markdown(result))
    print(markdown(result))
    print(f"wrote {RESULTS / 'repair.json'} and {RESULTS / 'repair.md'}")


if __name__ == "__main__":
    main()
