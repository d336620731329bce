"""What each benchmark process measures: called by `bench.isolate.run_isolated` in a fresh
process, so peak memory and failures belong to one measurement only."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scheduler.domain.geo import travel_between
from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

Report = Callable[..., None]


def term(
    students: int, seed: int, variant: str | None = None, family: str | None = None
) -> Scenario:
    from scheduler.synthetic import generate_term
    from scheduler.synthetic_families import family_named

    scenario = generate_term(students=students, seed=seed, family=family_named(family or "default"))
    if variant == "one_each":
        from bench.baselines.deferred_acceptance import one_each

        scenario = one_each(scenario)
    return scenario


def placement_metrics(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    """Placement outcomes comparable between any two schedules of the same term."""
    students = {s.id: s for s in scenario.students}
    slots = {s.id: s for s in scenario.slots}
    sites = {s.id: s for s in scenario.sites}
    needing = [
        s
        for s in scenario.students
        if (r := requirement_for(s, scenario.placement_requirements)) is not None and r.count
    ]
    travels, top = [], 0
    for placement in schedule.placements:
        student = students[placement.student]
        site = sites[slots[placement.slot].site]
        travels.append(travel_between(student.home, site.location))
        prefs = student.site_preferences
        top += bool(prefs) and prefs[0] == site.id
    placed = {p.student for p in schedule.placements}
    count = len(schedule.placements)
    return {
        "students_needing": len(needing),
        "students_placed": len(placed),
        "placements": count,
        "placed_share": round(len(placed) / len(needing), 4) if needing else None,
        "top_choice_rate": round(top / count, 4) if count else None,
        "total_travel_km": round(sum(travels), 1),
        "worst_travel_km": max(travels, default=0.0),
        "mean_travel_km": round(sum(travels) / count, 2) if count else None,
    }


def _judge(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    from scheduler.domain.validator import objective_values, validate_schedule

    started = time.monotonic()
    violations = validate_schedule(scenario, schedule)
    values = objective_values(scenario, schedule)
    return {
        "violations": len(violations),
        "violation_codes": sorted({v.code for v in violations})[:10],
        "validate_s": round(time.monotonic() - started, 2),
        "validator_values": {k: v for k, v in values.items() if k != "equity_gap"},
        "placement_metrics": placement_metrics(scenario, schedule),
    }


def product(
    *,
    report: Report,
    students: int,
    seed: int,
    time_limit: float,
    variant: str | None = None,
    schedule_path: str | None = None,
    family: str | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """The product's solve with its defaults (only the time limit, and the workers when
    given, are set), traced."""
    from solver import SolveOptions, SolveProgress, solve
    from solver.prepare import prepare

    report("generating")
    scenario = term(students, seed, variant, family)
    report("preparing")
    started = time.monotonic()
    prepared = prepare(scenario)
    prepare_s = time.monotonic() - started
    size = {
        "sessions": len(prepared.sessions),
        "classes": len(prepared.classes),
        "slots": len(scenario.slots),
        "eligible_options": sum(len(s.all_options) for s in prepared.students.values()),
    }
    del prepared
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

    report("solving")
    started = time.monotonic()
    options = SolveOptions(time_limit_s=time_limit, workers=workers)
    schedule = solve(scenario, options=options, on_progress=record)
    wall = time.monotonic() - started
    report("validating")
    judged = _judge(scenario, schedule)
    if schedule_path:
        Path(schedule_path).write_text(schedule.model_dump_json(exclude_none=True))
    return {
        "students": students,
        "seed": seed,
        "variant": variant or "joint",
        "family": family or "default",
        "time_limit_s": time_limit,
        "model": size,
        "prepare_s": round(prepare_s, 2),
        "seconds": schedule.solve.seconds,
        "wall_s": round(wall, 2),
        "workers": schedule.solve.workers,
        "solver": schedule.solve.solver,
        "status": schedule.status,
        "objectives": [
            {"name": o.name, "value": o.value, "bound": o.bound} for o in schedule.objectives
        ],
        "needs": schedule.metrics.get("coverage", {}).get("needs"),
        "trace": trace,
        **judged,
    }


def naive_upper_bound(scenario: Scenario) -> int:
    """Booleans of the straightforward model if every student could take every session and
    slot of their activities and profession: known at once, before any eligibility check."""
    from scheduler.domain.matching import participates

    x = sum(
        sum(1 for s in scenario.students if participates(s, a))
        * sum(session.max_teams for session in a.sessions)
        for a in scenario.activities
    )
    open_slots: dict[str, int] = {}
    for slot in scenario.slots:
        if slot.status != "declined":
            open_slots[slot.profession] = open_slots.get(slot.profession, 0) + 1
    y = sum(
        open_slots.get(s.profession, 0)
        for s in scenario.students
        if (r := requirement_for(s, scenario.placement_requirements)) is not None and r.count
    )
    return x + y


def naive(
    *,
    report: Report,
    students: int,
    seed: int,
    time_limit: float,
    workers: int,
    cap: int,
    exact_up_to: int = 5000,
) -> dict[str, Any]:
    """The straightforward model (`bench.baselines.naive_model`) with the same time limit."""
    from bench.baselines import naive_model
    from bench.baselines.facts import Facts

    report("generating")
    scenario = term(students, seed)
    upper = naive_upper_bound(scenario)
    out: dict[str, Any] = {"students": students, "time_limit_s": time_limit, "cap": cap}
    out["upper_bound_booleans"] = upper
    if upper > cap and students > exact_up_to:
        return {**out, "built": False, "why": f"up to {upper:,} booleans, over the cap of {cap:,}"}
    report("eligibility")
    started = time.monotonic()
    facts = Facts.build(scenario)
    out["facts_s"] = round(time.monotonic() - started, 2)
    out["booleans"] = naive_model.estimate_booleans(facts)
    if out["booleans"] > cap:
        return {
            **out,
            "built": False,
            "why": f"{out['booleans']:,} booleans, over the cap of {cap:,}",
        }
    report("building", booleans=out["booleans"])
    started = time.monotonic()
    model = naive_model.build(facts)
    out["build_s"] = round(time.monotonic() - started, 2)
    out["size"] = model.size()
    report("solving", **out["size"])
    offset = out["facts_s"] + out["build_s"]

    def solution(event: dict[str, Any]) -> None:  # survives a kill at the memory cap
        report(
            "solution", coverage=event["coverage"], total_s=round(event["elapsed_s"] + offset, 2)
        )

    result = naive_model.solve(model, time_limit=time_limit, workers=workers, sink=solution)
    schedule = result.pop("schedule")
    out.update(built=True, **result)
    if schedule is not None:
        report("validating")
        out.update(_judge(scenario, schedule))
    return out


def deferred(*, report: Report, students: int, seed: int, probe: bool = True) -> dict[str, Any]:
    """Deferred acceptance on the one-placement-each problem: iterative, then `matching`."""
    from bench.baselines import deferred_acceptance as da
    from bench.baselines.convert import to_schedule
    from bench.baselines.facts import Facts

    report("generating")
    scenario = term(students, seed, "one_each")
    report("eligibility")
    started = time.monotonic()
    facts = Facts.build(scenario)
    residents, hospitals, capacities = da.preferences(facts)
    prefs_s = time.monotonic() - started
    report("deferred acceptance", residents=len(residents))
    started = time.monotonic()
    matched = da.deferred_acceptance(residents, hospitals, capacities)
    da_s = time.monotonic() - started
    schedule = to_schedule(facts, {}, matched.items(), solver="deferred acceptance", seconds=da_s)
    out: dict[str, Any] = {
        "students": students,
        "residents": len(residents),
        "slots_ranked": len(hospitals),
        "preference_links": sum(len(p) for p in residents.values()),
        "preferences_s": round(prefs_s, 2),
        "iterative_s": round(da_s, 3),
        **_judge(scenario, schedule),
    }
    report("matching package")
    package = da.with_matching_package(residents, hospitals, capacities)
    found = package.pop("matching", None)
    if found is not None:
        package["identical_to_iterative"] = found == matched
    elif probe:
        report("probing where matching stops")
        package["limit"] = da.largest_solvable(
            residents, hospitals, capacities, failing=len(residents)
        )
    out["matching_package"] = package
    return out


def matching_deep(*, report: Report, students: int, seed: int) -> dict[str, Any]:
    """`matching` with a deep stack (the workaround), to check the iterative matching."""
    from bench.baselines import deferred_acceptance as da
    from bench.baselines.facts import Facts

    report("eligibility")
    facts = Facts.build(term(students, seed, "one_each"))
    residents, hospitals, capacities = da.preferences(facts)
    report("matching package, deep stack", residents=len(residents))
    package = da.with_deep_stack(residents, hospitals, capacities)
    found = package.pop("matching", None)
    if found is not None:
        package["identical_to_iterative"] = found == da.deferred_acceptance(
            residents, hospitals, capacities
        )
    return package


def repair(
    *,
    report: Report,
    students: int,
    schedule_path: str,
    solve_time: float,
    repair_time: float = 20.0,
) -> dict[str, Any]:
    """`bench.repair.measure` (the repair issue's benchmark) on the schedule solved by the
    product run: decline the busiest slot, repair, count the changes."""
    from bench import repair as repair_bench

    report("repairing")
    previous = Path(schedule_path) if Path(schedule_path).exists() else None
    result = repair_bench.measure(
        students=students,
        solve_time=solve_time,
        repair_time=repair_time,
        previous=previous,
        split=False,
    )
    result.pop("trace", None)
    return result
