"""Alternative schedules: the best one from `solve`, then others within a tolerance of it.

Built around `solver.solve`, not inside the lexicographic driver: the first schedule is
the driver's answer; each further one comes from the model of every rule module, each
student's slots trimmed as the driver trims them (`solver.candidates`) plus every slot an
earlier schedule gave them, with each policy level held within its tolerance of the best
(`scheduler.domain.alternatives.model_limit`) and, as the objective, the most (student,
earlier schedule) pairs whose placements differ (a 0/1 per pair, at most the number of
slots the student drops or gains against that schedule). Sessions are counted per class
of interchangeable students in the model, so who sits where is drawn again at read-out
with a seed of its own, which usually moves students between sessions as well. When the
search finds nothing in its time, the best schedule's own decisions (completed by CP-SAT,
which takes well under a second on the demo term) are read out that way, so a slow machine
yields an alternative that differs in sessions only, never a wrong one.

An alternative is kept only when the independent validator accepts it, every level it
recomputes is within tolerance and it differs from every earlier one for at least one
student; its claimed bounds are only those that hold for it (the first level's always; a
later level's when every earlier level equals the best's, since the best's bound assumed
them).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from ortools.sat.python import cp_model

from scheduler.domain.alternatives import Tolerance, differing_students, model_limit, within
from scheduler.domain.claims import MAXIMISED, TOLERANCE
from scheduler.domain.diff import placements
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ObjectiveResult, Schedule, SolveInfo
from scheduler.domain.validator import objective_values, validate_schedule
from solver.api import ProgressCallback, SolveOptions, SolveProgress, solve
from solver.candidates import restrict_options
from solver.claims import settle_claims
from solver.model import TermModel
from solver.objectives import builders
from solver.prepare import prepare
from solver.readout import read_schedule, snapshot
from solver.rules import apply_rules
from solver.stability import Previous, previous_values, refine_classes

READOUT_SHARE = 0.2
"""Share of each alternative's time kept for reading it out and explaining unmet needs."""
SOLVED = ("optimal", "feasible")
START_S = 5.0
"""Least time for completing the best schedule into a start: a feasibility search that
ends as soon as it has one (0.3 s on the demo term, 2 s on 2,000 students), so the floor
only matters on a machine so loaded that it would otherwise leave no alternative."""


def solve_alternatives(
    scenario: Scenario,
    *,
    count: int,
    tolerance: Tolerance | None = None,
    options: SolveOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[Schedule]:
    """Up to `count` schedules: the best first, then each valid one within `tolerance` of
    it and as different from the earlier ones as the time limit allows (each search has
    the time limit of one solve). Fewer come back when no further one is found in time."""
    options = options or SolveOptions()
    tolerance = tolerance or Tolerance()
    first = solve(scenario, options=options, on_progress=on_progress)
    found = [first]
    if count <= 1 or first.status not in SOLVED or validate_schedule(scenario, first):
        return found
    best = objective_values(scenario, first)
    for index in range(1, count):
        alternative = _alternative(scenario, found, best, first, tolerance, options, index)
        if alternative is None:
            break
        found.append(alternative)
        if on_progress is not None:
            moved = len(differing_students(first, alternative))
            elapsed = alternative.solve.seconds or 0.0
            on_progress(SolveProgress(f"alternative {index + 1}", moved, moved, elapsed))
    return found


def _alternative(
    scenario: Scenario,
    earlier: Sequence[Schedule],
    best: dict[str, float],
    first: Schedule,
    tolerance: Tolerance,
    options: SolveOptions,
    index: int,
) -> Schedule | None:
    """The next alternative, or None when none was found (or it failed a check)."""
    started = time.monotonic()
    limit = options.time_limit_s or scenario.policy.time_limit_s
    seed = (options.seed if options.seed is not None else scenario.policy.seed) + index
    prep = prepare(scenario)
    refine_classes(prep)
    restrict_options(prep, _held_slots(earlier))  # every eligible slot drowns CP-SAT
    model = TermModel(prep)
    apply_rules(model)
    if not _hold_levels(model, best, tolerance):
        return None
    workers = options.workers or scenario.policy.workers or _cores()
    search = max(0.5, limit * (1 - READOUT_SHARE))
    start = _completed_start(model, first, _solver(workers, seed, max(search / 2, START_S)))
    _maximise_difference(model, earlier)
    if start is not None:
        _hint_all(model, start)
    solver = _solver(workers, seed, search - (time.monotonic() - started))
    if solver.solve(model.cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = snapshot(model, solver)
    elif start is not None:
        values = start  # the best's placements; the read-out still seats students anew
    else:
        return None
    info = SolveInfo(
        seconds=round(time.monotonic() - started, 3),
        solver=first.solve.solver,
        workers=solver.parameters.num_workers,
        time_limit_s=limit,
        seed=seed,
    )
    claimed = [
        ObjectiveResult(name=level.name, value=level.value, bound=level.bound)
        for level in first.objectives
    ]
    schedule = read_schedule(model, values, "feasible", claimed, info, started + limit)
    schedule = settle_claims(scenario, _honest_bounds(scenario, schedule, best))
    schedule = schedule.model_copy(update={"solve": _with_seconds(schedule.solve, started)})
    return schedule if _acceptable(scenario, schedule, earlier, best, tolerance) else None


def _held_slots(earlier: Sequence[Schedule]) -> dict[str, list[str]]:
    """Every slot an earlier schedule gave each student: kept in a trimmed model, so the
    best schedule stays a solution and each difference is measured exactly."""
    held: dict[str, list[str]] = {}
    for schedule in earlier:
        for placement in schedule.placements:
            held.setdefault(placement.student, []).append(placement.slot)
    return held


def _cores() -> int:
    """All cores, at most 8 (as the driver's default)."""
    return max(1, min(8, os.cpu_count() or 1))


def _solver(workers: int, seed: int, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.5, seconds)
    # CP-SAT's presolve (probing above all) took the whole budget of a 10 s demo search
    # and the complete hint was never tried; without it the hint is the first solution
    # and the search improves on it (measured, docs/alternatives.md).
    solver.parameters.cp_model_presolve = False
    return solver


def _completed_start(
    model: TermModel, first: Schedule, solver: cp_model.CpSolver
) -> dict[int, int] | None:
    """The best schedule as a complete solution of the model: its placements and counts
    fixed, the rest (team counts, facilitators) found. It holds every level, so the
    diversity search starts feasible (a partial hint alone left CP-SAT without any
    solution in 8 s on the demo term). None when it cannot be completed."""
    _hint(model, previous_values(model, Previous.of(first)))
    solver.parameters.fix_variables_to_their_hinted_value = True
    model.cp.clear_objective()
    if solver.solve(model.cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return dict(enumerate(solver.response_proto.solution))


def _hint_all(model: TermModel, values: dict[int, int]) -> None:
    """Hint every variable of the model (helpers of the objectives included; new ones 0)."""
    model.cp.clear_hints()
    for index in range(len(model.cp.proto.variables)):
        var = model.cp.get_int_var_from_proto_index(index)
        model.cp.add_hint(var, values.get(index, 0))


def _hint(model: TermModel, values: dict[int, int]) -> None:
    model.cp.clear_hints()
    for var in model.all_variables():
        if var.index in values:
            model.cp.add_hint(var, values[var.index])


def _with_seconds(info: SolveInfo, started: float) -> SolveInfo:
    """The alternative's own wall time, read-out included."""
    return info.model_copy(update={"seconds": round(time.monotonic() - started, 3)})


def _hold_levels(model: TermModel, best: dict[str, float], tolerance: Tolerance) -> bool:
    """Each policy level no worse than its tolerance allows; False when a level the best
    schedule was measured on cannot be built (nothing to hold it to)."""
    known = builders()
    for name in model.prep.scenario.policy.objectives:
        if name not in known or name not in best:
            continue
        built = known[name](model)
        if built is None:
            continue
        limit = model_limit(name, best[name], tolerance.of(name), built.unit)
        if isinstance(built.expression, int | float):
            holds = built.expression >= limit if built.maximize else built.expression <= limit
            if not holds:
                return False
            continue
        if built.maximize:
            model.cp.add(built.expression >= limit)
        else:
            model.cp.add(built.expression <= limit)
    return True


def _maximise_difference(model: TermModel, earlier: Sequence[Schedule]) -> None:
    """Maximise, over earlier schedules and students, whether the student's placements
    differ (a 0/1 that can be 1 only if a slot held before is dropped or another taken)."""
    cp = model.cp
    terms: list[cp_model.LinearExprT] = []
    for number, schedule in enumerate(earlier):
        held = placements(schedule)
        for info in model.prep.students.values():
            options = [o.slot for o in info.options]
            if not options and not held.get(info.id):
                continue
            before = held.get(info.id, set())
            if any((info.id, slot) not in model.place for slot in before):
                terms.append(1)  # a slot held before is not modelled: differs anyway
                continue
            changes = [1 - model.place[info.id, slot] for slot in before]
            changes += [model.place[info.id, slot] for slot in options if slot not in before]
            differs = cp.new_bool_var(f"differs[{number},{info.id}]")
            cp.add(differs <= sum(changes))
            terms.append(differs)
    cp.maximize(sum(terms))


def _honest_bounds(scenario: Scenario, schedule: Schedule, best: dict[str, float]) -> Schedule:
    """Keep the best's bound of a level only while every earlier level equals the best's
    value (its bound assumed them); otherwise the trivially valid bound."""
    values = objective_values(scenario, schedule)
    levels: list[ObjectiveResult] = []
    same_so_far = True
    for level in schedule.objectives:
        bound = level.bound
        if not same_so_far:
            bound = None if level.name in MAXIMISED else 0.0
        levels.append(level.model_copy(update={"bound": bound}))
        value, top = values.get(level.name), best.get(level.name)
        if value is None or top is None or abs(value - top) > TOLERANCE:
            same_so_far = False
    return schedule.model_copy(update={"objectives": levels})


def _acceptable(
    scenario: Scenario,
    schedule: Schedule,
    earlier: Sequence[Schedule],
    best: dict[str, float],
    tolerance: Tolerance,
) -> bool:
    """Valid, within tolerance on every level the validator recomputes, and different."""
    if validate_schedule(scenario, schedule):
        return False
    values = objective_values(scenario, schedule)
    for name in scenario.policy.objectives:  # the validator also measures levels not asked
        top = best.get(name)
        if top is None or name not in values:
            continue
        if not within(name, values[name], top, tolerance.of(name)):
            return False
    return all(differing_students(other, schedule) for other in earlier)


__all__ = ["Tolerance", "solve_alternatives"]
