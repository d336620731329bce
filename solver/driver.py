"""Lexicographic solve: optimise each policy level in turn, then fix it and go on.

CP-SAT has no lexicographic objective. Each level is optimised with the previous
solution as a hint; its result is then frozen (`== value` when proven, else no worse than
the value found) before the next level. Every level reports value and proven bound.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ObjectiveResult, Schedule, SolveInfo
from solver.api import ProgressCallback, SolveOptions, SolveProgress
from solver.model import TermModel
from solver.objectives import Objective, builders
from solver.prepare import prepare
from solver.readout import read_schedule, snapshot
from solver.rules import apply_rules

MIN_LEVEL_SECONDS = 0.5


@dataclass
class LevelResult:
    name: str
    value: float | None
    bound: float | None
    proven: bool
    resolved: bool = True
    """False when the level needed no solve and the previous values still stand."""
    model_value: int | None = None


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
    started = time.monotonic()
    time_limit = options.time_limit_s or scenario.policy.time_limit_s
    workers = options.workers or scenario.policy.workers or default_workers()
    seed = options.seed if options.seed is not None else scenario.policy.seed
    model = TermModel(prepare(scenario))
    apply_rules(model)
    objectives = _objectives(model, scenario)
    solver = _solver(workers, seed, options.log_search)
    results, values = _solve_levels(model, objectives, solver, started, time_limit, on_progress)
    status = _status(results, values is not None)
    info = SolveInfo(
        seconds=round(time.monotonic() - started, 3),
        solver=f"ortools-cp-sat {_ortools_version()}",
        workers=workers,
        time_limit_s=time_limit,
        seed=seed,
    )
    objective_results = [
        ObjectiveResult(name=r.name, value=r.value, bound=r.bound) for r in results
    ]
    return read_schedule(model, values or {}, status, objective_results, info)


def default_workers() -> int:
    """All cores, at most 8: CP-SAT's portfolio gains little beyond that here."""
    return max(1, min(8, os.cpu_count() or 1))


def _ortools_version() -> str:
    from ortools import __version__

    return str(__version__)


def _objectives(model: TermModel, scenario: Scenario) -> list[Objective | str]:
    """The policy's levels as built objectives; unsupported names stay as bare names."""
    known = builders()
    result: list[Objective | str] = []
    for name in scenario.policy.objectives:
        builder = known.get(name)
        built = builder(model) if builder else None
        result.append(built if built is not None else name)
    return result


def _solver(workers: int, seed: int, log: bool) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    return solver


def _solve_levels(
    model: TermModel,
    objectives: list[Objective | str],
    solver: cp_model.CpSolver,
    started: float,
    time_limit: float,
    on_progress: ProgressCallback | None,
) -> tuple[list[LevelResult], dict[int, int] | None]:
    """Solve level by level; the values are those of the last level solved (None: none)."""
    results: list[LevelResult] = []
    values: dict[int, int] | None = None
    levels = [o for o in objectives if isinstance(o, Objective)]
    for index, objective in enumerate(objectives):
        if not isinstance(objective, Objective):
            results.append(LevelResult(objective, None, None, False))
            continue
        remaining = time_limit - (time.monotonic() - started)
        levels_left = len(levels) - levels.index(objective)
        budget = max(MIN_LEVEL_SECONDS, remaining / levels_left)
        result = _solve_level(model, objective, solver, budget, started, on_progress, values)
        if result is None:
            results += [LevelResult(_name(o), None, None, False) for o in objectives[index:]]
            return results, values
        values = snapshot(model, solver) if result.resolved else values
        results.append(result)
        _freeze(model, objective, result)
    return results, values


def _name(objective: Objective | str) -> str:
    return objective.name if isinstance(objective, Objective) else objective


def _solve_level(
    model: TermModel,
    objective: Objective,
    solver: cp_model.CpSolver,
    budget: float,
    started: float,
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
    reporter = _ProgressReporter(objective, started, on_progress) if on_progress else None
    status = solver.solve(model.cp, reporter)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    value = _clean(solver.objective_value * objective.unit)
    bound = _clean(solver.best_objective_bound * objective.unit)
    if on_progress:
        on_progress(SolveProgress(objective.name, value, bound, time.monotonic() - started))
    return LevelResult(
        objective.name,
        value,
        bound,
        status == cp_model.OPTIMAL,
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
    if result.proven:
        model.cp.add(objective.expression == result.model_value)
    elif objective.maximize:
        model.cp.add(objective.expression >= result.model_value)
    else:
        model.cp.add(objective.expression <= result.model_value)


def _status(results: list[LevelResult], solved: bool) -> str:
    """`optimal` when every level is proven; an unsolved run still yields the valid empty
    schedule (every need unassigned), so it is `feasible`, never a bare failure."""
    if not solved:
        return "feasible"
    measured = [r for r in results if r.value is not None]
    return "optimal" if measured and all(r.proven for r in measured) else "feasible"
