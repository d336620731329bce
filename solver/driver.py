"""Lexicographic solve: optimise each policy level in turn, then fix it and go on.

CP-SAT has no lexicographic objective. Each level is optimised from the previous
solution (as a hint); its result is then frozen (`== value` when proven, else no worse
than the value found) before the next level. Placements start from the exact flow
relaxation's answer, and the bound reported for each level is the best *valid* one: the
CP-SAT bound when every eligible slot is modelled, and always the relaxation bounds of
`solver.bounds`, which hold for the whole term.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, ObjectiveResult, Schedule, SolveInfo
from solver.api import ProgressCallback, SolveOptions, SolveProgress
from solver.bounds import TermBounds
from solver.candidates import restrict_options
from solver.deadline import (
    DEFAULT_COSTS,
    Pace,
    StageCosts,
    draft_schedule,
    estimate_options,
    time_left,
    too_large,
    too_large_schedule,
)
from solver.features import heuristics_apply
from solver.incremental.run import (
    LocalSettings,
    better_repair,
    full_path_metrics,
    local_repair,
)
from solver.ipe_bound import ipe_attendance_bound
from solver.model import TermModel
from solver.objectives import Objective, builders, level_value
from solver.objectives.stability import forced as stability_forced
from solver.objectives.stability import tie_break as stability_tie_break
from solver.polish import Held, polish
from solver.prepare import Prepared, prepare
from solver.readout import read_schedule, snapshot
from solver.rules import apply_rules
from solver.rules.pins import NO_SCHEDULE, infeasible_schedule, pin_errors
from solver.rules.pins import respected as pins_respected
from solver.size_policy import DEFAULT_SIZE_POLICY, SizePolicy
from solver.stability import candidate_slots, polish_safe, refine_classes, repair_start
from solver.warm import (
    Draft,
    FlowStarts,
    attendance_ceiling,
    draft_coverage,
    flow_starts,
    greedy_drafts,
    slots_of,
    warm_start,
)

MIN_LEVEL_SECONDS = 0.5
READOUT_SECONDS_PER_STUDENT = 0.0006
FLOW_STARTS_SHARE = 0.2
DRAFTS_SHARE = 0.5
LP_DRAFT_SHARE = 0.7
"""Shares of the time limit by which the flow starts and the drafts stop their tag rounds
and the LP draft must end (5,000 term at 60 s: the flow starts stop after two rounds at
about 12 s, the LP draft ends at about 32 s; 20,000 at 300 s: one flow takes 18 s there,
so they stop early)."""
LP_DRAFT_MAX_STUDENTS = DEFAULT_SIZE_POLICY.lp_draft_max_students
"""Beyond this (by default; `SizePolicy`) the LP draft is skipped."""
POLISHED_LEVELS = ("preferences", "travel_total")
POLISH_KEEPS = {"coverage", "preferences", "travel_fairness", "team_balance"}
BOUND_TIME_FACTORS = {"travel_total": 3.0}
LARGE_SEARCH_SECONDS = 20.0
JOINT_LP_SHARE = 0.1
"""Share of the time limit that each solve of the joint LP bound may take."""
WARM_START_SHARE = 0.3
"""Share of the time limit for the IPE-only solve that starts (and bounds) the joint one."""


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
    reserve: float = 0.0
    """Seconds kept back at the end for reading out and explaining the schedule."""
    pace: Pace | None = None
    """Estimates of the stages that cannot stop part-way (`solver.deadline`)."""

    def remaining(self) -> float:
        return self.time_limit - self.reserve - (time.monotonic() - self.started)


class _LevelWatcher(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution and stops the search once a solution reaches a bound
    proven elsewhere (the relaxations): CP-SAT cannot know it is already optimal."""

    def __init__(
        self,
        level: Objective,
        started: float,
        callback: ProgressCallback | None,
        target: float | None,
    ) -> None:
        super().__init__()
        self._level = level
        self._started = started
        self._callback = callback
        self._target = target

    def on_solution_callback(self) -> None:
        value = self.value(self._level.expression) * self._level.unit
        if self._callback is not None:
            self._callback(
                SolveProgress(
                    level=self._level.name,
                    value=value,
                    bound=self._target if self._target is not None else value,
                    elapsed_s=time.monotonic() - self._started,
                )
            )
        if self._target is not None and _reaches(self._level, value, self._target):
            self.stop_search()


def _reaches(level: Objective, value: float, target: float) -> bool:
    return value >= target - 1e-6 if level.maximize else value <= target + 1e-6


def run(
    scenario: Scenario,
    options: SolveOptions,
    on_progress: ProgressCallback | None,
    costs: StageCosts = DEFAULT_COSTS,
    size: SizePolicy = DEFAULT_SIZE_POLICY,
) -> Schedule:
    """Build the model, solve level by level, and read out the schedule; within the time
    limit as a whole (`solver.deadline`; `costs` are its stage estimates). `size` chooses
    the regime (`solver.size_policy`)."""
    settings = RunSettings(
        time_limit=options.time_limit_s or scenario.policy.time_limit_s,
        workers=options.workers or scenario.policy.workers or default_workers(),
        seed=options.seed if options.seed is not None else scenario.policy.seed,
        log=options.log_search,
        started=time.monotonic(),
    )
    handed_over, candidate = None, None
    heuristics = heuristics_apply(scenario)  # features hook: exact model alone otherwise
    if scenario.policy.previous is not None and options.local_repair and heuristics:
        local = local_repair(scenario, _local_settings(settings), on_progress)
        if local.schedule is not None:
            return local.schedule
        handed_over, candidate = local.reason, local.candidate
        if candidate is not None and len(scenario.students) > size.large_students:
            return candidate  # repair hook: a large term's full repair never beat it
    estimated = estimate_options(scenario)  # deadline hook: said before building anything
    if (late := too_large(scenario, settings.time_limit, costs, estimated)) is not None:
        return better_repair(candidate, too_large_schedule(scenario, late, _info(settings)))
    began, cpu = time.monotonic(), time.process_time()
    prep = prepare(scenario)
    prep.size = size
    took, took_cpu = time.monotonic() - began, time.process_time() - cpu
    pace = Pace.measured(costs, estimated, len(prep.students), took, took_cpu)
    reserve = _readout_reserve(settings, len(prep.students), pace)
    settings = replace(settings, reserve=reserve, pace=pace)
    refine_classes(prep)  # repair/pins hook (solver.stability): a no-op without either
    if blocked := pin_errors(prep):  # pins hook: pins that cannot hold, said before solving
        info = SolveInfo(workers=settings.workers, time_limit_s=settings.time_limit)
        return infeasible_schedule(scenario, blocked, info)
    began, cpu = time.monotonic(), time.process_time()
    if heuristics:
        starts = flow_starts(prep, settings.started + settings.time_limit * FLOW_STARTS_SHARE)
        drafts = greedy_drafts(
            prep,
            starts,
            settings.started + settings.time_limit * DRAFTS_SHARE,
            _lp_deadline(settings, len(prep.students), size.lp_draft_max_students),
            on_first=_draft_reporter(prep, starts, settings, on_progress),
        )
    else:
        starts, drafts = FlowStarts(best=None, avoiding=None), []
    pace = pace.shared(time.monotonic() - began, time.process_time() - cpu)  # deadline hook
    reserve = _readout_reserve(settings, len(prep.students), pace)
    settings = replace(settings, reserve=reserve, pace=pace)
    if drafts and not _model_fits(settings, pace):  # deadline hook: the best draft answers
        draft = _draft_answer(prep, starts, drafts, settings, handed_over)
        return better_repair(candidate, draft)  # repair hook: or the unproven local answer
    restricted = heuristics and restrict_options(prep, candidate_slots(prep, slots_of(drafts)))
    model = TermModel(prep)
    apply_rules(model)
    warm = warm_start(model, lambda: _start_solver(settings), settings.seed, starts, drafts)
    bounds = (
        TermBounds.of(
            prep, _attendance_bound(prep, warm.ipe_best), joint_seconds=_joint_seconds(settings)
        )
        if _bounds_fit(settings, pace)  # deadline hook
        else None
    )
    levels = list(scenario.policy.objectives)
    start = repair_start(model, warm.values, lambda: _solver(settings), settings.remaining())
    _report_start(model, start, bounds, settings, on_progress)
    if not pins_respected(model, start):  # pins hook: a start breaking a pin is only a hint
        _hint(model, start or {})
        start = None
    results, values = _solve_levels(model, levels, settings, bounds, restricted, on_progress, start)
    if values is None:  # no level found one (none asked, or pins broke every start): any
        values = _any_solution(model, settings)
    info = SolveInfo(
        seconds=round(time.monotonic() - settings.started, 3),
        solver=f"ortools-cp-sat {_ortools_version()}",
        workers=settings.workers,
        time_limit_s=settings.time_limit,
        seed=settings.seed,
    )
    if values is None and scenario.policy.pinned:  # pins hook: never a schedule breaking pins
        return infeasible_schedule(scenario, [ErrorItem(path="policy", message=NO_SCHEDULE)], info)
    reported = [ObjectiveResult(name=r.name, value=r.value, bound=r.bound) for r in results]
    end = settings.started + settings.time_limit  # deadline hook: explanations stop by then
    schedule = read_schedule(model, values or {}, _status(results, values), reported, info, end)
    if scenario.policy.previous is None:
        return schedule
    why = handed_over or "the full solve was asked for"  # repair hook: which path, and why
    metrics = {**schedule.metrics, "repair": full_path_metrics(why)}
    return better_repair(candidate, schedule.model_copy(update={"metrics": metrics}))


def _joint_seconds(settings: RunSettings) -> float:
    """Cap of each joint-LP solve (`solver.joint_bound`): a share of the limit, never most of
    what is left (0: not built)."""
    share = min(settings.time_limit * JOINT_LP_SHARE, settings.remaining() * 0.25)
    return share if share >= MIN_LEVEL_SECONDS else 0.0


def _attendance_bound(prep: Prepared, ipe_best: int) -> int:
    """The tighter of the warm start's IPE bound and the LP relaxation that sees sessions'
    capacity, rooms and facilitators (`solver.ipe_bound`)."""
    relaxed = ipe_attendance_bound(prep)
    return ipe_best if relaxed is None else min(ipe_best, relaxed)


def _info(settings: RunSettings) -> SolveInfo:
    return SolveInfo(
        seconds=round(time.monotonic() - settings.started, 3),
        solver=f"ortools-cp-sat {_ortools_version()}",
        workers=settings.workers,
        time_limit_s=settings.time_limit,
        seed=settings.seed,
    )


def _model_fits(settings: RunSettings, pace: Pace) -> bool:
    """Whether the model can still be built, searched a little and read out in time."""
    left = time_left(settings.started, settings.time_limit)
    return left > pace.model_s() + MIN_LEVEL_SECONDS


def _bounds_fit(settings: RunSettings, pace: Pace) -> bool:
    """Whether the relaxation bounds (flows over every option) fit before the read-out."""
    return settings.remaining() > pace.bounds_s() + MIN_LEVEL_SECONDS


def _polish_fits(settings: RunSettings) -> bool:
    """Whether the polish LP can be built before the level's own search must begin (GLOP
    then stops at the level's budget by itself)."""
    if settings.pace is None:
        return True
    return settings.remaining() > settings.pace.polish_s() + MIN_LEVEL_SECONDS


def _draft_answer(
    prep: Prepared,
    starts: FlowStarts,
    drafts: list[Draft],
    settings: RunSettings,
    handed_over: str | None,
) -> Schedule:
    """The best draft read out without the model, when the model no longer fits in time."""
    bound = float(attendance_ceiling(prep) + starts.most_placements)
    end = settings.started + settings.time_limit
    schedule = draft_schedule(prep, drafts, _info(settings), bound, end)
    scenario = prep.scenario
    if scenario.policy.pinned and not _draft_keeps_pins(scenario, schedule):
        error = ErrorItem(path="policy", message=NO_SCHEDULE)
        return infeasible_schedule(scenario, [error], _info(settings))
    if scenario.policy.previous is None:
        return schedule
    why = handed_over or "the full solve was asked for"  # repair hook: which path, and why
    metrics = {**schedule.metrics, "repair": full_path_metrics(why)}
    return schedule.model_copy(update={"metrics": metrics})


def _draft_keeps_pins(scenario: Scenario, schedule: Schedule) -> bool:
    """Whether a draft (which knows nothing of pins) happens to keep every one of them."""
    held = {(p.student, p.slot) for p in schedule.placements}
    attends = {
        (student, entry.session)
        for entry in schedule.sessions
        for team in entry.teams
        for student in team.students
    }
    return all(
        (pin.student, pin.session) in attends
        if pin.session is not None
        else (pin.student, pin.slot) in held
        for pin in scenario.policy.pinned
    )


def _lp_deadline(
    settings: RunSettings, students: int, most: int = LP_DRAFT_MAX_STUDENTS
) -> float | None:
    """When the LP draft must end; None (no LP draft: the flows around the sessions, as
    before it) beyond `most` students."""
    if students > most:
        return None
    return settings.started + settings.time_limit * LP_DRAFT_SHARE


def _draft_reporter(
    prep: Prepared, starts: FlowStarts, settings: RunSettings, on_progress: ProgressCallback | None
) -> Callable[[Draft], None] | None:
    """The first draft's coverage as progress, against the bound the drafts already know
    (the attendance ceiling plus the most placements): on the 5,000 term at about 16 s,
    30 s before the model's first level."""
    if on_progress is None:
        return None

    def report(draft: Draft) -> None:
        bound = float(attendance_ceiling(prep) + starts.most_placements)
        value = float(min(draft_coverage(draft), bound))
        on_progress(SolveProgress("coverage", value, bound, time.monotonic() - settings.started))

    return report


def _readout_reserve(settings: RunSettings, students: int, pace: Pace) -> float:
    """Time kept for the read-out and explanations after the last level: about 1.5 s at
    5,000 students (measured), at most a tenth of the limit; more when the run goes slower
    than the stage costs (`solver.deadline.Pace`), then at most a third of the limit."""
    usual = min(settings.time_limit * 0.1, students * READOUT_SECONDS_PER_STUDENT)
    return max(usual, min(settings.time_limit / 3, pace.readout_s()))


def _report_start(
    model: TermModel,
    start: dict[int, int] | None,
    bounds: TermBounds | None,
    settings: RunSettings,
    on_progress: ProgressCallback | None,
) -> None:
    """The warm start is a complete schedule: say so before the first level's search (on
    the 5,000 term that is about 7 s earlier than the coverage level's end)."""
    if on_progress is None or start is None:
        return
    value = level_value("coverage", model, start)
    if value is None:
        return
    bound = float(bounds.coverage()) if bounds is not None else value
    on_progress(SolveProgress("coverage", value, bound, time.monotonic() - settings.started))


def _local_settings(settings: RunSettings) -> LocalSettings:
    return LocalSettings(
        time_limit=settings.time_limit,
        seed=settings.seed,
        workers=settings.workers,
        started=settings.started,
        solver_name=f"local repair, ortools-cp-sat {_ortools_version()}",
    )


def default_workers() -> int:
    """All cores, at most 8: CP-SAT's portfolio gains little beyond that here."""
    return max(1, min(8, os.cpu_count() or 1))


def _ortools_version() -> str:
    from importlib.metadata import version

    return version("ortools")


def _start_solver(settings: RunSettings) -> cp_model.CpSolver:
    """The IPE-only solve of the warm start: default CP-SAT parameters suit it best."""
    solver = _solver(settings, full_lp=False)
    share = min(settings.time_limit * WARM_START_SHARE, settings.remaining() * 0.4)
    solver.parameters.max_time_in_seconds = max(MIN_LEVEL_SECONDS, share)
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.presolve_inclusion_work_limit = 0
    return solver


def _solver(settings: RunSettings, full_lp: bool = True) -> cp_model.CpSolver:
    """CP-SAT; with `full_lp` its workers keep the full LP relaxation, which proves the joint
    levels far sooner here (measured), while the IPE-only models solve best with defaults."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed
    solver.parameters.log_search_progress = settings.log
    if full_lp:
        solver.parameters.linearization_level = 2
        solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
        # Later levels start from a complete solution; the costliest presolve passes
        # (inclusion detection) took most of their budget on large terms (measured).
        solver.parameters.presolve_inclusion_work_limit = 0
        solver.parameters.max_presolve_iterations = 1
    return solver


def _solve_levels(
    model: TermModel,
    levels: Sequence[str],
    settings: RunSettings,
    bounds: TermBounds | None,
    restricted: bool,
    on_progress: ProgressCallback | None,
    warm: dict[int, int] | None,
) -> tuple[list[LevelResult], dict[int, int] | None]:
    """Solve level by level from the warm start; the values are those of the last level
    solved (None: none).

    Each objective is built only when its level comes, so its helper constraints do not
    weigh on the levels before it. Placement levels are first polished by an exact LP
    (`solver.polish`); when CP-SAT finds nothing better in its budget, the level keeps the
    values it started from."""
    solver = _solver(settings)
    known = builders()
    results: list[LevelResult] = []
    values = warm
    fixed: dict[str, float] = {}
    bound_took = 0.0
    solvable = [name for name in levels if name in known]
    for index, name in enumerate(levels):
        built = known[name](model) if name in known else None
        if built is None:
            results.append(LevelResult(name, None, None))
            continue
        levels_left = len(solvable) - solvable.index(name)
        budget = max(MIN_LEVEL_SECONDS, settings.remaining() / levels_left)
        out_of_time = values is not None and settings.remaining() <= MIN_LEVEL_SECONDS
        relaxed = None
        if bounds is not None and (name == "coverage" or _bound_fits(settings, name, bound_took)):
            began = time.monotonic()
            relaxed = bounds.bound(name, fixed)  # flows over every option: skipped when late
            bound_took = time.monotonic() - began
        if name == "stability":  # repair hook: changes forced whatever is done (whole term)
            relaxed = stability_forced(model)
        if values is not None and out_of_time:
            kept = _kept(built, model, values)
            if kept is not None:
                kept.bound = _valid_bound(built, kept, relaxed, restricted)
                results.append(kept)
                if kept.value is not None:
                    fixed[name] = kept.value
                continue
        # polish_safe (repair/pins hook): the LP knows no frozen stability and no pinned slot
        if (
            values is not None
            and name in POLISHED_LEVELS
            and _polishable(model, fixed)
            and _polish_fits(settings)
        ):
            held = Held(fixed.get("preferences"), fixed.get("travel_fairness"))
            values = polish(model, values, name, held, seconds=budget) or values
        tie_break, repair = None, None
        if name == "coverage" and list(levels[index + 1 : index + 2]) == ["preferences"]:
            tie_break = _preference_tie_break(model)
        elif name == "coverage" and list(levels[index + 1 : index + 2]) == ["stability"]:
            repair = stability_tie_break(model)  # repair hook: fewest moves among coverage optima
            tie_break = TieBreak(*repair) if repair is not None else None
        result = _reached(built, model, values, relaxed)
        # repair hook: with stability as tie-break, reaching the coverage bound is not the end
        target = None if tie_break is not None and name == "coverage" and repair else relaxed
        if result is None and _search_pays(model, values, budget):
            result = _solve_level(
                model, built, solver, budget, settings, on_progress, values, target, tie_break
            )
            start = _kept(built, model, values) if result is not None and values else None
            if result is not None and start is not None and _worse(built, result, start):
                start.bound = result.bound  # CP-SAT found worse than its start: keep the start
                result = start
            elif result is not None:
                values = snapshot(model, solver) if result.resolved else values
        if result is None and values is not None:
            result = _kept(built, model, values)
        if result is None:
            results += [LevelResult(n, None, None) for n in levels[index:]]
            return results, values
        result.bound = _valid_bound(built, result, relaxed, restricted)
        if on_progress is not None and result.value is not None and result.bound is not None:
            elapsed = time.monotonic() - settings.started
            on_progress(SolveProgress(name, result.value, result.bound, elapsed))
        results.append(result)
        if result.value is not None:
            fixed[name] = result.value
        _freeze(model, built, result)
    return results, values


def _search_pays(model: TermModel, values: dict[int, int] | None, budget: float) -> bool:
    """Whether to search a level with CP-SAT. On large terms it found nothing better than
    the warm start in level budgets of up to 6 s (5,000 term: every level of every run
    measured), so with a start and a shorter budget the level keeps the start (and its
    relaxation bound); a repair always searches (stability needs the model)."""
    if values is None or not model.prep.large:
        return True
    return model.prep.scenario.policy.previous is not None or budget >= LARGE_SEARCH_SECONDS


def _worse(level: Objective, found: LevelResult, start: LevelResult) -> bool:
    """Whether a search result is worse on its level than the values it was hinted with
    (a hint is not a first solution: CP-SAT may stop on a worse one)."""
    if found.value is None or start.value is None:
        return False
    return found.value < start.value if level.maximize else found.value > start.value


def _bound_fits(settings: RunSettings, name: str, last_took: float) -> bool:
    """Whether a level's relaxation bound still fits in the time left: flows over every
    option, about as long as the last bound took (5,000 students: preferences 3.8 s,
    worst travel 3.8 s), total travel up to three times that (10.6 s)."""
    factor = BOUND_TIME_FACTORS.get(name, 1.2)
    return settings.remaining() > MIN_LEVEL_SECONDS + factor * last_took


def _reached(
    objective: Objective,
    model: TermModel,
    values: dict[int, int] | None,
    relaxed: float | None,
) -> LevelResult | None:
    """The current values when they already reach the proven bound: no search needed."""
    if values is None or relaxed is None:
        return None
    result = _kept(objective, model, values)
    if result is None or result.value is None:
        return None
    return result if _reaches(objective, result.value, relaxed) else None


def _kept(objective: Objective, model: TermModel, values: dict[int, int]) -> LevelResult | None:
    """The level's result when CP-SAT returned nothing: the values it started from."""
    value = level_value(objective.name, model, values)
    if value is None:
        return None
    return LevelResult(objective.name, value, None, model_value=round(value / objective.unit))


def _valid_bound(
    objective: Objective, result: LevelResult, relaxed: float | None, restricted: bool
) -> float | None:
    """The tightest bound that holds for the whole term, not just the modelled slots.

    With candidate slots dropped, CP-SAT's bound holds only for the candidates. Without any
    valid bound a minimised level (all are non-negative) reports 0, a maximised one none."""
    model_bound = result.bound if not restricted else None
    candidates = [b for b in (model_bound, relaxed) if b is not None]
    if not candidates:
        return None if objective.maximize else 0.0
    best = min(candidates) if objective.maximize else max(candidates)
    return _clean(best)


def _polishable(model: TermModel, fixed: dict[str, float]) -> bool:
    """The placement LP holds coverage, preferences and worst travel; any other level fixed
    before (stability, equity_gap, an earlier travel_total) it would silently break."""
    if model.prep.large:  # 5,000 term: 14 s of GLOP for a fractional answer, each time
        return False
    if not heuristics_apply(model.prep.scenario):  # the LP does not encode every rule
        return False
    return set(fixed) <= POLISH_KEEPS and polish_safe(model.prep, fixed)


def _solve_level(
    model: TermModel,
    objective: Objective,
    solver: cp_model.CpSolver,
    budget: float,
    settings: RunSettings,
    on_progress: ProgressCallback | None,
    previous: dict[int, int] | None,
    target: float | None = None,
    tie_break: TieBreak | None = None,
) -> LevelResult | None:
    """Optimise one level (stopping early at `target`, breaking ties by the next level when
    given); None when no solution was found."""
    if isinstance(objective.expression, int | float):
        value = float(objective.expression) * objective.unit
        if previous is None and not _solve_plain(model, solver, budget):
            return None
        return LevelResult(objective.name, value, value, True, resolved=previous is None)
    if previous is not None:
        _hint(model, previous)
    weight = tie_break.weight if tie_break is not None else 1
    expression: Any = objective.expression * weight
    if tie_break is not None:
        expression = expression + (-1 if objective.maximize else 1) * tie_break.expression
    if objective.maximize:
        model.cp.maximize(expression)
    else:
        model.cp.minimize(expression)
    solver.parameters.max_time_in_seconds = budget
    watcher = _LevelWatcher(objective, settings.started, on_progress, target)
    status = solver.solve(model.cp, watcher)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    model_value = _achieved(model, objective, solver, optimal=status == cp_model.OPTIMAL)
    value = _clean(model_value * objective.unit)
    bound = _clean(_level_bound(objective, solver.best_objective_bound, weight) * objective.unit)
    return LevelResult(
        objective.name,
        value,
        bound,
        model_optimal=status == cp_model.OPTIMAL,
        model_value=model_value,
    )


def _achieved(
    model: TermModel, objective: Objective, solver: cp_model.CpSolver, *, optimal: bool
) -> int:
    """The level's value in the solution, in model units. A level read through a helper (the
    worst travel, the equity gap) may sit above what the decisions achieve when the search
    stops early, so it is recomputed from them (the validator recomputes it the same way)."""
    reported = round(solver.value(objective.expression))
    if optimal:
        return reported
    values = dict(enumerate(solver.response_proto.solution))
    actual = level_value(objective.name, model, values)
    if actual is None:
        return reported
    achieved = round(actual / objective.unit)
    return min(reported, achieved) if not objective.maximize else max(reported, achieved)


@dataclass(frozen=True)
class TieBreak:
    """A later level folded into this one with a weight that keeps this level first:
    `weight` exceeds any value the tie-break expression can take."""

    expression: cp_model.LinearExprT
    weight: int


def _level_bound(objective: Objective, weighted_bound: float, weight: int) -> float:
    """This level's bound from the bound of `weight * level -/+ tie_break` (tie_break >= 0)."""
    if weight == 1:
        return weighted_bound
    if objective.maximize:
        return math.floor((weighted_bound + weight - 1) / weight + 1e-9)
    return math.ceil(weighted_bound / weight - 1e-9)


def _preference_tie_break(model: TermModel) -> TieBreak | None:
    """Preferences as the coverage level's tie-break: coverage never moves a placement away
    from a better-ranked site for nothing, which the next level could not always undo."""
    built = builders()["preferences"](model)
    if built is None or isinstance(built.expression, int | float):
        return None
    most = sum(
        info.count * max(o.rank for o in info.options)
        for info in model.prep.students.values()
        if info.options
    )
    return TieBreak(built.expression, most + 1)


def _any_solution(model: TermModel, settings: RunSettings) -> dict[int, int] | None:
    """A solution of the model without objective in the time left (None: none found, or
    none exists). Without it a policy with no levels, or pins that every start broke, was
    answered infeasible while a schedule existed."""
    solver = _solver(settings)
    if not _solve_plain(model, solver, max(MIN_LEVEL_SECONDS, settings.remaining())):
        return None
    return snapshot(model, solver)


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
