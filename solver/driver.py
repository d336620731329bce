"""Lexicographic solve: optimise each policy level in turn, then fix it and go on.

CP-SAT has no lexicographic objective. Each level is optimised from the previous
solution (as a hint); its result is then frozen (`== value` when proven, else no worse
than the value found) before the next level. Placements start from the exact flow
relaxation's answer, and the bound reported for each level is the best *valid* one: the
CP-SAT bound when every eligible slot is modelled, and always the relaxation bounds of
`solver.bounds`, which hold for the whole term.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from scheduler.domain.schedule import ObjectiveResult, Schedule, SolveInfo
from scheduler.domain.scenario import Scenario
from solver.api import ProgressCallback, SolveOptions, SolveProgress
from solver.bounds import TermBounds
from solver.candidates import restrict_options
from solver.model import TermModel
from solver.objectives import Objective, builders
from solver.prepare import Prepared, prepare
from solver.readout import read_schedule, snapshot
from solver.relaxation import PlacementNetwork
from solver.rules import apply_rules

MIN_LEVEL_SECONDS = 0.5
IPE_BOUND_SHARE = 0.1
"""Share of the time limit for the IPE-only solve whose optimum bounds the joint coverage."""


@dataclass
class LevelResult:
    name: str
    value: float | None
    bound: float | None
    model_optimal: bool = False
    """CP-SAT proved this level optimal for the modelled slots."""
    model_value: int | None = None
    resolved: bool = True
    """False when the level needed no solve and the previous values still stand."""

    @property
    def proven(self) -> bool:
        return (
            self.value is not None
            and self.bound is not None
            and abs(self.value - self.bound) < 1e-6
        )


@dataclass(frozen=True)
class RunSettings:
    time_limit: float
    workers: int
    seed: int
    log: bool
    started: float

    def remaining(self) -> float:
        return self.time_limit - (time.monotonic() - self.started)


class _ProgressReporter(cp_model.CpSolverSolutionCallback):
    """Forwards each improving solution of a level to the caller's progress callback."""

    def __init__(self, level: Objective, started: float, callback: ProgressCallback) -> None:
        super().__init__()
        self._level = level
        self._started = started
        self._callback = callback

    def on_solution_callback(self) -> None:
        self._callback(
            SolveProgress(
                level=self._level.name,
                value=self.objective_value * self._level.unit,
                bound=self.best_objective_bound * self._level.unit,
                elapsed_s=time.monotonic() - self._started,
            )
        )


def run(
    scenario: Scenario, options: SolveOptions, on_progress: ProgressCallback | None
) -> Schedule:
    """Build the model, solve level by level, and read out the schedule."""
    settings = RunSettings(
        time_limit=options.time_limit_s or scenario.policy.time_limit_s,
        workers=options.workers or scenario.policy.workers or default_workers(),
        seed=options.seed if options.seed is not None else scenario.policy.seed,
        log=options.log_search,
        started=time.monotonic(),
    )
    prep = prepare(scenario)
    network = PlacementNetwork(prep)
    hint = hint_placements(prep, network)
    restricted = restrict_options(prep, hint)
    bounds = _term_bounds(prep, network, settings)
    model = TermModel(prep)
    apply_rules(model)
    _hint_placements(model, hint)
    levels = list(scenario.policy.objectives)
    results, values = _solve_levels(model, levels, settings, bounds, restricted, on_progress)
    info = SolveInfo(
        seconds=round(time.monotonic() - settings.started, 3),
        solver=f"ortools-cp-sat {_ortools_version()}",
        workers=settings.workers,
        time_limit_s=settings.time_limit,
        seed=settings.seed,
    )
    reported = [ObjectiveResult(name=r.name, value=r.value, bound=r.bound) for r in results]
    return read_schedule(model, values or {}, _status(results, values), reported, info)


def default_workers() -> int:
    """All cores, at most 8: CP-SAT's portfolio gains little beyond that here."""
    return max(1, min(8, os.cpu_count() or 1))


def _ortools_version() -> str:
    from ortools import __version__

    return str(__version__)


def hint_placements(prep: Prepared, network: PlacementNetwork) -> dict[str, list[str]]:
    """The flow's most placements at best rank then travel, trimmed to obey tag minimums."""
    plan = network.solve(rank_weight=network.rank_weight, travel_weight=1)
    hint: dict[str, list[str]] = {}
    for student, slots in plan.chosen.items():
        info = prep.students[student]
        options = {o.slot: o for o in info.all_options}
        held = sorted(slots, key=lambda s: (options[s].rank, options[s].travel))
        if info.requirement is not None and len(held) == info.count:
            for tag, minimum in info.requirement.tags.items():
                if sum(tag in options[s].tags for s in held) < minimum:
                    untagged = [s for s in held if tag not in options[s].tags]
                    held.remove(untagged[-1])
                    break
        hint[student] = held
    return hint


def _hint_placements(model: TermModel, hint: dict[str, list[str]]) -> None:
    for (student, slot), var in model.place.items():
        model.cp.add_hint(var, slot in hint.get(student, ()))


def _term_bounds(
    prep: Prepared, network: PlacementNetwork, settings: RunSettings
) -> TermBounds | None:
    """Relaxation bounds, when the term has placements (else CP-SAT's own bounds suffice)."""
    if network.total_need == 0:
        return None
    return TermBounds(
        network=network,
        ipe_best=_ipe_best(prep, settings),
        most_placements=network.max_placements(),
    )


def _ipe_best(prep: Prepared, settings: RunSettings) -> int:
    """The best IPE attendance with placements dropped (its proven bound when cut short)."""
    if not prep.classes:
        return 0
    students = {sid: replace(info, options=[]) for sid, info in prep.students.items()}
    classes = [replace(c, relevant_periods=()) for c in prep.classes]
    model = TermModel(replace(prep, students=students, classes=classes))
    apply_rules(model)
    model.cp.maximize(sum(model.attend.values()))
    solver = _solver(settings)
    solver.parameters.max_time_in_seconds = max(
        MIN_LEVEL_SECONDS, settings.time_limit * IPE_BOUND_SHARE
    )
    status = solver.solve(model.cp)
    if status == cp_model.OPTIMAL:
        return round(solver.objective_value)
    if status == cp_model.FEASIBLE:
        return int(solver.best_objective_bound + 1e-6)
    return sum(len(c.students) * len(c.free_sessions) for c in prep.classes)


def _solver(settings: RunSettings) -> cp_model.CpSolver:
    """CP-SAT with the full LP relaxation: it proves these aggregated models far sooner."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed
    solver.parameters.linearization_level = 2
    solver.parameters.log_search_progress = settings.log
    return solver


def _solve_levels(
    model: TermModel,
    levels: list[str],
    settings: RunSettings,
    bounds: TermBounds | None,
    restricted: bool,
    on_progress: ProgressCallback | None,
) -> tuple[list[LevelResult], dict[int, int] | None]:
    """Solve level by level; the values are those of the last level solved (None: none).

    Each objective is built only when its level comes, so its helper constraints do not
    weigh on the levels before it."""
    solver = _solver(settings)
    known = builders()
    results: list[LevelResult] = []
    values: dict[int, int] | None = None
    fixed: dict[str, float] = {}
    solvable = [name for name in levels if name in known]
    for index, name in enumerate(levels):
        built = known[name](model) if name in known else None
        if built is None:
            results.append(LevelResult(name, None, None))
            continue
        levels_left = len(solvable) - solvable.index(name)
        budget = max(MIN_LEVEL_SECONDS, settings.remaining() / levels_left)
        result = _solve_level(model, built, solver, budget, settings, on_progress, values)
        if result is None:
            results += [LevelResult(n, None, None) for n in levels[index:]]
            return results, values
        values = snapshot(model, solver) if result.resolved else values
        result.bound = _valid_bound(built, result, bounds, fixed, restricted)
        results.append(result)
        if result.value is not None:
            fixed[name] = result.value
        _freeze(model, built, result)
    return results, values


def _valid_bound(
    objective: Objective,
    result: LevelResult,
    bounds: TermBounds | None,
    fixed: dict[str, float],
    restricted: bool,
) -> float | None:
    """The tightest bound that holds for the whole term, not just the modelled slots."""
    relaxed = bounds.bound(objective.name, fixed) if bounds is not None else None
    model_bound = result.bound if not restricted or relaxed is None else None
    candidates = [b for b in (model_bound, relaxed) if b is not None]
    if not candidates:
        return None
    best = min(candidates) if objective.maximize else max(candidates)
    return _clean(best)


def _solve_level(
    model: TermModel,
    objective: Objective,
    solver: cp_model.CpSolver,
    budget: float,
    settings: RunSettings,
    on_progress: ProgressCallback | None,
    previous: dict[int, int] | None,
) -> LevelResult | None:
    """Optimise one level; None when no solution was found at all."""
    if isinstance(objective.expression, int | float):
        value = float(objective.expression) * objective.unit
        if previous is None and not _solve_plain(model, solver, budget):
            return None
        return LevelResult(objective.name, value, value, True, resolved=previous is None)
    if previous is not None:
        _hint(model, previous)
    if objective.maximize:
        model.cp.maximize(objective.expression)
    else:
        model.cp.minimize(objective.expression)
    solver.parameters.max_time_in_seconds = budget
    reporter = _ProgressReporter(objective, settings.started, on_progress) if on_progress else None
    status = solver.solve(model.cp, reporter)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    value = _clean(solver.objective_value * objective.unit)
    bound = _clean(solver.best_objective_bound * objective.unit)
    if on_progress:
        elapsed = time.monotonic() - settings.started
        on_progress(SolveProgress(objective.name, value, bound, elapsed))
    return LevelResult(
        objective.name,
        value,
        bound,
        model_optimal=status == cp_model.OPTIMAL,
        model_value=round(solver.objective_value),
    )


def _solve_plain(model: TermModel, solver: cp_model.CpSolver, budget: float) -> bool:
    """Find any solution (no objective); True when one was found."""
    model.cp.clear_objective()
    solver.parameters.max_time_in_seconds = budget
    return solver.solve(model.cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _clean(value: float) -> float:
    """Round away floating noise from unit conversion (values are multiples of 0.1)."""
    return round(value, 6)


def _hint(model: TermModel, values: dict[int, int]) -> None:
    """Start the next level from the last solution."""
    model.cp.clear_hints()
    for var in model.all_variables():
        model.cp.add_hint(var, values.get(var.index, 0))


def _freeze(model: TermModel, objective: Objective, result: LevelResult) -> None:
    """Keep this level's achievement while later levels optimise."""
    if result.model_value is None:
        return
    if result.model_optimal:
        model.cp.add(objective.expression == result.model_value)
    elif objective.maximize:
        model.cp.add(objective.expression >= result.model_value)
    else:
        model.cp.add(objective.expression <= result.model_value)


def _status(results: list[LevelResult], values: dict[int, int] | None) -> str:
    """`optimal` when every level is proven for the whole term; an unsolved run still yields
    the valid empty schedule (every need unassigned), so it is `feasible`."""
    if values is None:
        return "feasible"
    measured = [r for r in results if r.value is not None]
    return "optimal" if measured and all(r.proven for r in measured) else "feasible"
