"""The solve: a declared list of stages (`STAGES`, walked by `solver.pipeline.walk`), whose
heart is the lexicographic solve: optimise each policy level in turn, then fix it and go on.

Each stage says why it exists, what it reads from and adds to the run's state, its shares
of the time limit and when it is skipped; docs/solver.md describes each (a test keeps the
two in step) and the schedule's `solve.stages` records how each ran.

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
from dataclasses import dataclass, field, replace
from typing import Any

from ortools.sat.python import cp_model

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import (
    ErrorItem,
    ObjectiveResult,
    Schedule,
    SolveInfo,
    StageDetail,
    StageOutcome,
    StageTrace,
)
from solver.api import ProgressCallback, SolveOptions, SolveProgress
from solver.bounds import TermBounds
from solver.candidates import restrict_options
from solver.completion import complete, taken_in
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
from solver.feature_start import feature_start
from solver.features import heuristics_apply
from solver.incremental.run import (
    LocalSettings,
    better_repair,
    full_path_metrics,
    local_repair,
)
from solver.ipe_bound import ipe_attendance_bound
from solver.model import TermModel
from solver.objectives import OBJECTIVES, Objective, ObjectiveModule, TieBreak, level_value
from solver.pipeline import Done, Stage, Traced, walk
from solver.plan_greedy import plan_start
from solver.polish import Held, polish
from solver.prepare import Prepared, prepare
from solver.readout import read_schedule, snapshot
from solver.rules import apply_rules
from solver.rules.pins import NO_SCHEDULE, infeasible_schedule, pin_errors
from solver.rules.pins import respected as pins_respected
from solver.rules.unit_fill import fill_errors
from solver.size_policy import DEFAULT_SIZE_POLICY, SizePolicy
from solver.stability import candidate_slots, polish_safe, refine_classes, repair_start
from solver.warm import (
    Draft,
    FlowStarts,
    WarmStart,
    attendance_ceiling,
    draft_coverage,
    flow_starts,
    greedy_drafts,
    slots_of,
    warm_start,
)

MIN_LEVEL_SECONDS = 0.5
READOUT_SECONDS_PER_STUDENT = 0.0006
LP_DRAFT_MAX_STUDENTS = DEFAULT_SIZE_POLICY.lp_draft_max_students
"""Beyond this (by default; `SizePolicy`) the LP draft is skipped."""
LARGE_SEARCH_SECONDS = 20.0
FULL_SOLVE = "the full solve was asked for"
NO_START_SHARE = 0.6
"""Share of the time left for a level that has no start to keep (a term solved by the
exact model alone, `solver.features`): a level that finds nothing ends the solve, and
presolve alone took 6-12 s of a 20 s limit on a 100-student nursing term under load."""


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


@dataclass
class RunState(Traced):
    """What the stages share (`STAGES`): each reads some fields and adds others."""

    scenario: Scenario = field(default=None)  # type: ignore[assignment]
    options: SolveOptions = field(default_factory=SolveOptions)
    settings: RunSettings = field(default=None)  # type: ignore[assignment]
    costs: StageCosts = DEFAULT_COSTS
    size: SizePolicy = DEFAULT_SIZE_POLICY
    listener: ProgressCallback | None = None
    heuristics: bool = True
    """Whether the heuristic stages may run (`solver.features.heuristics_apply`)."""
    handed_over: str | None = None
    """Why the local repair handed the term to the full solve."""
    candidate: Schedule | None = None
    """The local repair's valid answer it could not prove minimal (`better_repair`)."""
    estimated: int = 0
    prep: Prepared = field(default=None)  # type: ignore[assignment]
    pace: Pace | None = None
    clock: tuple[float, float] = (0.0, 0.0)
    """Wall and CPU time when the heuristic stages began (their pace is measured)."""
    starts: FlowStarts = field(default_factory=lambda: FlowStarts(best=None, avoiding=None))
    drafts: list[Draft] = field(default_factory=list)
    restricted: bool = False
    model: TermModel = field(default=None)  # type: ignore[assignment]
    warm: WarmStart | None = None
    bounds: TermBounds | None = None
    start: dict[int, int] | None = None
    results: list[LevelResult] = field(default_factory=list)
    values: dict[int, int] | None = None
    schedule: Schedule | None = None

    @property
    def on_progress(self) -> ProgressCallback | None:
        """The listener, told which stage sends each event and the trace so far."""
        listener = self.listener
        if listener is None:
            return None

        def tell(event: SolveProgress) -> None:
            listener(replace(event, stage=self.stage, stages=tuple(self.trace)))

        return tell


def run(
    scenario: Scenario,
    options: SolveOptions,
    on_progress: ProgressCallback | None,
    costs: StageCosts = DEFAULT_COSTS,
    size: SizePolicy = DEFAULT_SIZE_POLICY,
) -> Schedule:
    """Walk the declared stages (`STAGES`) until one answers; within the time limit as a
    whole (`solver.deadline`; `costs` are its stage estimates). `size` chooses the regime
    (`solver.size_policy`). The schedule's `solve.stages` is the trace of the walk."""
    settings = RunSettings(
        time_limit=options.time_limit_s or scenario.policy.time_limit_s,
        workers=options.workers or scenario.policy.workers or default_workers(),
        seed=options.seed if options.seed is not None else scenario.policy.seed,
        log=options.log_search,
        started=time.monotonic(),
    )
    state = RunState(
        scenario=scenario,
        options=options,
        settings=settings,
        costs=costs,
        size=size,
        listener=on_progress,
        heuristics=heuristics_apply(scenario),  # features hook: exact model alone otherwise
    )
    walk(STAGES, state)
    assert state.schedule is not None, "the read-out stage always answers"
    # repair hook: a full solve never replaces a better (valid, unproven) local answer
    schedule = better_repair(state.candidate, state.schedule)
    solve = schedule.solve.model_copy(update={"stages": list(state.trace)})
    return schedule.model_copy(update={"solve": solve})


def _answer(state: RunState, schedule: Schedule, **detail: Any) -> Done:
    state.schedule = schedule
    return Done({"status": schedule.status, **detail}, answered=True)


def _local_repair(state: RunState) -> Done:
    local = local_repair(state.scenario, _local_settings(state.settings), state.on_progress)
    if local.schedule is not None:
        return _answer(state, local.schedule)
    state.handed_over, state.candidate = local.reason, local.candidate
    large = len(state.scenario.students) > state.size.large_students
    if local.candidate is not None and large:  # a large term's full repair never beat it
        return _answer(state, local.candidate, unproven_local=True)
    return Done({"handed_over": local.reason, "candidate": local.candidate is not None})


def _no_local_repair(state: RunState) -> str | None:
    if state.scenario.policy.previous is None:
        return "no previous schedule"
    if not state.options.local_repair:
        return FULL_SOLVE
    if not state.heuristics:
        return "the term uses a feature the local model does not encode"
    return None


def _size_check(state: RunState) -> Done:
    state.estimated = estimate_options(state.scenario)  # said before building anything
    late = too_large(state.scenario, state.settings.time_limit, state.costs, state.estimated)
    if late is not None:
        return _answer(state, too_large_schedule(state.scenario, late, _info(state.settings)))
    return Done({"options_estimated": state.estimated})


def _prepare(state: RunState) -> Done:
    began, cpu = time.monotonic(), time.process_time()
    prep = prepare(state.scenario)
    prep.size = state.size
    prep.heuristics = state.heuristics
    took, took_cpu = time.monotonic() - began, time.process_time() - cpu
    pace = Pace.measured(state.costs, state.estimated, len(prep.students), took, took_cpu)
    _set_pace(state, prep, pace)
    detail: StageDetail = {"students": len(prep.students), "classes": len(prep.classes)}
    return Done({**detail, "large": prep.large, "pace": round(pace.factor, 3)})


def _set_pace(state: RunState, prep: Prepared, pace: Pace) -> None:
    """The pace measured so far, and the read-out reserve that follows from it."""
    reserve = _readout_reserve(state.settings, len(prep.students), pace)
    state.prep, state.pace = prep, pace
    state.settings = replace(state.settings, reserve=reserve, pace=pace)


def _no_pins(state: RunState) -> str | None:
    return None if state.scenario.policy.pinned else "no pins"


def _refine_classes(state: RunState) -> Done:
    refine_classes(state.prep)
    return Done({"classes": len(state.prep.classes)})


def _pin_check(state: RunState) -> Done:
    if blocked := pin_errors(state.prep):  # pins that cannot hold, said before solving
        settings = state.settings
        info = SolveInfo(workers=settings.workers, time_limit_s=settings.time_limit)
        return _answer(state, infeasible_schedule(state.scenario, blocked, info))
    return Done({"pins": len(state.scenario.policy.pinned)})


def _no_heuristics(state: RunState) -> str | None:
    if state.heuristics:
        return None
    return "the term uses a feature the heuristic stages do not encode (solver.features)"


def _flow_starts(state: RunState) -> Done:
    state.clock = (time.monotonic(), time.process_time())
    settings = state.settings
    ends = settings.started + settings.time_limit * FLOW_STARTS.share("ends_by")
    state.starts = flow_starts(state.prep, ends)
    starts = state.starts
    return Done(
        {
            "most_placements": starts.most_placements,
            "best_rank_start": starts.best is not None,
            "avoiding_start": starts.avoiding is not None,
        }
    )


def _drafts(state: RunState) -> Done:
    prep, settings = state.prep, state.settings
    lp_deadline = _lp_deadline(settings, len(prep.students), state.size.lp_draft_max_students)
    state.drafts = greedy_drafts(
        prep,
        state.starts,
        settings.started + settings.time_limit * DRAFTS.share("ends_by"),
        lp_deadline,
        on_first=_draft_reporter(prep, state.starts, settings, state.on_progress),
    )
    assert state.pace is not None
    began, cpu = state.clock  # the flow starts and the drafts: single-threaded, measured
    pace = state.pace.shared(time.monotonic() - began, time.process_time() - cpu)
    _set_pace(state, prep, pace)
    best = max((draft_coverage(d) for d in state.drafts), default=0)
    return Done(
        {"drafts": len(state.drafts), "coverage": best, "lp_draft": lp_deadline is not None}
    )


def _no_drafts(state: RunState) -> str | None:
    return None if state.drafts else "no drafts were made"


def _draft_answer_stage(state: RunState) -> Done:
    assert state.pace is not None
    if _model_fits(state.settings, state.pace):
        return Done({"model_fits": True})
    prep, settings = state.prep, state.settings
    schedule = _draft_answer(prep, state.starts, state.drafts, settings, state.handed_over)
    return _answer(state, schedule, model_fits=False)


def _candidates(state: RunState) -> Done:
    chosen = candidate_slots(state.prep, slots_of(state.drafts))
    state.restricted = restrict_options(state.prep, chosen)
    options = sum(len(info.options) for info in state.prep.students.values())
    return Done({"restricted": state.restricted, "options": options})


def _build_model(state: RunState) -> Done:
    state.model = TermModel(state.prep)
    apply_rules(state.model)
    model = state.model
    return Done({"placement_vars": len(model.place), "attendance_vars": len(model.attend)})


def _warm_start(state: RunState) -> Done:
    settings = state.settings
    state.warm = warm_start(
        state.model, lambda: _start_solver(settings), settings.seed, state.starts, state.drafts
    )
    state.start = state.warm.values  # the start of the levels, unless a repair's replaces it
    coverage = _coverage_of(state.model, state.start)
    detail: StageDetail = {"ipe_best": state.warm.ipe_best, "coverage": coverage}
    return Done({**detail, "cp_sat_starts": state.warm.searched})


def _no_feature_start(state: RunState) -> str | None:
    if state.heuristics:
        return "the heuristic stages made the start"
    return "the warm start has values" if state.start is not None else None


def _feature_start(state: RunState) -> Done:
    planned = plan_start(state.model, lambda: _start_solver(state.settings), state.settings.seed)
    if planned is not None:  # student plans: rotations in precedence order, completed by CP-SAT
        state.start = planned
        return Done({"plans": True, "valid": True})
    dealt = feature_start(state.model)
    if dealt is None:
        return Done({"dealt": False})
    make_solver = lambda: _start_solver(state.settings)  # noqa: E731
    completed = complete(state.model, taken_in(state.model, dealt.values), make_solver)
    if completed is None:  # a rule the deal does not keep refused it: a hint, never kept
        _hint(state.model, dealt.values)
    else:
        state.start = completed
    return Done({"dealt": True, "valid": completed is not None})


def _coverage_of(model: TermModel, values: dict[int, int] | None) -> float | None:
    return None if values is None else OBJECTIVES["coverage"].value(model, values)


def _no_time_for_bounds(state: RunState) -> str | None:
    assert state.pace is not None
    if _bounds_fit(state.settings, state.pace):
        return None
    return "no time for them before the read-out"


def _bounds(state: RunState) -> Done:
    assert state.warm is not None
    attendance = _attendance_bound(state.prep, state.warm.ipe_best)
    joint = _joint_seconds(state.settings)
    state.bounds = TermBounds.of(state.prep, attendance, joint_seconds=joint)
    return Done({"ipe_attendance": attendance, "joint_lp": state.bounds.joint is not None})


def _no_previous(state: RunState) -> str | None:
    return None if state.scenario.policy.previous is not None else "no previous schedule"


def _repair_start(state: RunState) -> Done:
    assert state.warm is not None
    settings = state.settings
    state.start = repair_start(
        state.model, state.start, lambda: _solver(settings), settings.remaining()
    )
    return Done({"coverage": _coverage_of(state.model, state.start)})


def _first_answer(state: RunState) -> Done:
    _report_start(state.model, state.start, state.bounds, state.settings, state.on_progress)
    kept = pins_respected(state.model, state.start)
    if not kept:  # pins hook: a start breaking a pin is only a hint
        _hint(state.model, state.start or {})
        state.start = None
    return Done({"coverage": _coverage_of(state.model, state.start), "keeps_pins": kept})


def _levels(state: RunState) -> Done:
    levels = list(state.scenario.policy.objectives)
    state.results, state.values = _solve_levels(
        state.model,
        levels,
        state.settings,
        state.bounds,
        state.restricted,
        state.on_progress,
        state.start,
        state.trace,
    )
    return Done({"levels": len(levels), "solution": state.values is not None})


def _some_solution(state: RunState) -> str | None:
    return "a level found one" if state.values is not None else None


def _any_solution_stage(state: RunState) -> Done:
    state.values = _any_solution(state.model, state.settings)
    return Done({"found": state.values is not None})


def _readout(state: RunState) -> Done:
    settings, scenario, values = state.settings, state.scenario, state.values
    info = _info(settings)
    if values is None and scenario.policy.pinned:  # pins hook: never a schedule breaking pins
        error = ErrorItem(path="policy", message=NO_SCHEDULE)
        return _answer(state, infeasible_schedule(scenario, [error], info))
    results = state.results
    if values is None and (unfilled := fill_errors(scenario)):  # min_fill hook: no empty answer
        return _answer(state, infeasible_schedule(scenario, unfilled, info))
    reported = [ObjectiveResult(name=r.name, value=r.value, bound=r.bound) for r in results]
    end = settings.started + settings.time_limit  # deadline hook: explanations stop by then
    status = _status(results, values)
    schedule = read_schedule(state.model, values or {}, status, reported, info, end)
    return _answer(state, _with_repair_path(schedule, scenario, state.handed_over))


def _with_repair_path(schedule: Schedule, scenario: Scenario, handed_over: str | None) -> Schedule:
    """A repair's schedule says which path answered it, and why (repair hook)."""
    if scenario.policy.previous is None:
        return schedule
    metrics = {**schedule.metrics, "repair": full_path_metrics(handed_over or FULL_SOLVE)}
    return schedule.model_copy(update={"metrics": metrics})


def _joint_seconds(settings: RunSettings) -> float:
    """Cap of each joint-LP solve (`solver.joint_bound`): a share of the limit, never most of
    what is left (0: not built)."""
    cap, of_left = BOUNDS.share("joint_lp_cap"), BOUNDS.share("joint_lp_of_left")
    share = min(settings.time_limit * cap, settings.remaining() * of_left)
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
    return _with_repair_path(schedule, scenario, handed_over)


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
    return settings.started + settings.time_limit * DRAFTS.share("lp_draft_ends_by")


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
    usual = min(
        settings.time_limit * READOUT.share("reserve"), students * READOUT_SECONDS_PER_STUDENT
    )
    slow = settings.time_limit * READOUT.share("reserve_when_slow")
    return max(usual, min(slow, pace.readout_s()))


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
    cap, of_left = WARM_START.share("ipe_solve_cap"), WARM_START.share("ipe_solve_of_left")
    share = min(settings.time_limit * cap, settings.remaining() * of_left)
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
    trace: list[StageTrace] | None = None,
) -> tuple[list[LevelResult], dict[int, int] | None]:
    """Solve level by level from the warm start; the values are those of the last level
    solved (None: none). Each level leaves a `level:NAME` entry in `trace` when given.

    Each objective is built only when its level comes, so its helper constraints do not
    weigh on the levels before it. Levels the polish LP serves are first polished by it
    (`solver.polish`); when CP-SAT finds nothing better in its budget, the level keeps the
    values it started from."""
    solver = _solver(settings)
    results: list[LevelResult] = []
    values = warm
    fixed: dict[str, float] = {}
    bound_took = 0.0
    solvable = [name for name in levels if name in OBJECTIVES]
    for index, name in enumerate(levels):
        began = time.monotonic()
        objective = OBJECTIVES.get(name)
        built = objective.build(model) if objective is not None else None
        if objective is None or built is None:
            results.append(LevelResult(name, None, None))
            _trace_skipped(trace, name, "no such level" if objective is None else "empty here")
            continue
        levels_left = len(solvable) - solvable.index(name)
        budget = max(MIN_LEVEL_SECONDS, settings.remaining() / levels_left)
        if values is None:  # no start (exact model alone): the first solution must come first
            budget = max(budget, settings.remaining() * NO_START_SHARE)
        out_of_time = values is not None and settings.remaining() <= MIN_LEVEL_SECONDS
        relaxed = None
        if bounds is not None and (
            objective.bound_always or _bound_fits(settings, name, bound_took)
        ):
            bound_began = time.monotonic()
            relaxed = objective.bound(bounds, fixed)  # flows over every option: skipped when late
            bound_took = time.monotonic() - bound_began
        if objective.model_bound is not None:  # e.g. the changes any repair must make
            relaxed = objective.model_bound(model)
        if values is not None and out_of_time:
            kept = _kept(built, model, values)
            if kept is not None:
                kept.bound = _valid_bound(built, kept, relaxed, restricted)
                results.append(kept)
                _trace_level(trace, kept, began, "kept", "no time left")
                if kept.value is not None:
                    fixed[name] = kept.value
                continue
        polished = False
        # polish_safe (repair/pins hook): the LP knows no frozen stability and no pinned slot
        if (
            values is not None
            and objective.polish_cost is not None
            and _polishable(model, fixed)
            and _polish_fits(settings)
        ):
            held = Held.of(fixed)
            better = polish(model, values, objective.polish_cost, held, seconds=budget)
            polished, values = better is not None, better or values
        tie_break = _tie_break(model, objective, levels[index + 1 : index + 2])
        result = _reached(built, model, values, relaxed)
        outcome: StageOutcome = "reached" if result is not None else "kept"
        # a tie-break with more to gain than this level (stability): reaching it is not the end
        target = relaxed if tie_break is None or tie_break.stops_at_bound else None
        if result is None and _search_pays(model, values, budget):
            outcome = "searched"
            result = _solve_level(
                model, built, solver, budget, settings, on_progress, values, target, tie_break
            )
            start = _kept(built, model, values) if result is not None and values else None
            if result is not None and start is not None and _worse(built, result, start):
                start.bound = result.bound  # CP-SAT found worse than its start: keep the start
                result, outcome = start, "kept"
            elif result is not None:
                values = snapshot(model, solver) if result.resolved else values
        if result is None and values is not None:
            result, outcome = _kept(built, model, values), "kept"
        if result is None:
            results += [LevelResult(n, None, None) for n in levels[index:]]
            return results, values
        result.bound = _valid_bound(built, result, relaxed, restricted)
        if on_progress is not None and result.value is not None and result.bound is not None:
            elapsed = time.monotonic() - settings.started
            on_progress(SolveProgress(name, result.value, result.bound, elapsed))
        results.append(result)
        why = "polished by the LP" if polished else ""
        folded = tie_break is not None and outcome == "searched"
        _trace_level(trace, result, began, outcome, why, folded)
        if result.value is not None:
            fixed[name] = result.value
        _freeze(model, built, result)
    return results, values


def _tie_break(
    model: TermModel, objective: ObjectiveModule, after: Sequence[str]
) -> TieBreak | None:
    """The next level folded into this one as its tie-break, when this level takes it."""
    following = OBJECTIVES.get(after[0]) if after else None
    if following is None or following.name not in objective.takes_tie_breaks:
        return None
    return following.tie_break(model) if following.tie_break is not None else None


def _trace_skipped(trace: list[StageTrace] | None, name: str, why: str) -> None:
    if trace is not None:
        trace.append(StageTrace(name=f"level:{name}", outcome="skipped", detail={"why": why}))


def _trace_level(
    trace: list[StageTrace] | None,
    result: LevelResult,
    began: float,
    outcome: StageOutcome,
    why: str = "",
    tie_break: bool = False,
) -> None:
    """One level's entry in the trace: what it reached and how."""
    if trace is None:
        return
    detail: StageDetail = {"value": result.value, "bound": result.bound}
    if why:
        detail["why"] = why
    if tie_break:
        detail["tie_break"] = True
    seconds = round(time.monotonic() - began, 3)
    trace.append(
        StageTrace(name=f"level:{result.name}", seconds=seconds, outcome=outcome, detail=detail)
    )


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
    objective = OBJECTIVES.get(name)
    factor = objective.bound_cost if objective is not None else 1.2
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
    if not model.prep.heuristics:  # the LP does not encode every rule (solver.features)
        return False
    holds = all(OBJECTIVES[name].polish_holds for name in fixed)
    return holds and polish_safe(model.prep, fixed)


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


def _level_bound(objective: Objective, weighted_bound: float, weight: int) -> float:
    """This level's bound from the bound of `weight * level -/+ tie_break` (tie_break >= 0)."""
    if weight == 1:
        return weighted_bound
    if objective.maximize:
        return math.floor((weighted_bound + weight - 1) / weight + 1e-9)
    return math.ceil(weighted_bound / weight - 1e-9)


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


RUN_INPUTS = ("scenario", "options", "settings", "costs", "size", "heuristics")
"""What the run state holds before the first stage."""
PREPARE_STAGES: list[Stage[RunState]] = [
    Stage(
        "local_repair",
        "A repair that moves only the students a change unseated answers in about a second.",
        needs=("scenario", "options"),
        produces=("schedule", "handed_over", "candidate"),
        run=_local_repair,
        skip=_no_local_repair,
        hook="repair, features",
    ),
    Stage(
        "size_check",
        "A term too large for its time limit is told so at once, before anything is built.",
        needs=("scenario", "costs"),
        produces=("estimated", "schedule"),
        run=_size_check,
        hook="deadline",
    ),
    Stage(
        "prepare",
        "Students, classes of interchangeable students and eligible options, once for all.",
        needs=("scenario", "size", "estimated"),
        produces=("prep", "pace", "settings"),
        run=_prepare,
        hook="deadline (pace)",
    ),
    Stage(
        "refine_classes",
        "A pinned student gets a class of their own, so their pin can be said in the model.",
        needs=("prep",),
        produces=("prep",),
        run=_refine_classes,
        skip=_no_pins,
        hook="pins",
    ),
    Stage(
        "pin_check",
        "Pins that cannot hold are named before any solving.",
        needs=("prep",),
        produces=("schedule",),
        run=_pin_check,
        skip=_no_pins,
        hook="pins",
    ),
]
FLOW_STARTS = Stage[RunState](
    "flow_starts",
    "Exact min-cost flows place students over every eligible option in about a second.",
    needs=("prep", "settings"),
    produces=("starts", "clock"),
    run=_flow_starts,
    skip=_no_heuristics,
    shares=(("ends_by", 0.2),),  # 5,000 term at 60 s: two tag rounds by about 12 s
    hook="features, size policy",
)
DRAFTS = Stage[RunState](
    "drafts",
    "Complete valid schedules without CP-SAT: greedy sessions, placements around them, an LP.",
    needs=("prep", "starts", "settings", "size"),
    produces=("drafts", "pace", "settings"),
    run=_drafts,
    skip=_no_heuristics,
    # no further draft begun after 0.5 of the limit; the LP draft ends by 0.7 (5,000 term
    # at 60 s: about 32 s; 20,000 at 300 s: one flow takes 18 s, so they stop early)
    shares=(("ends_by", 0.5), ("lp_draft_ends_by", 0.7)),
    hook="features, size policy (lp_draft_max_students)",
)
MODEL_STAGES: list[Stage[RunState]] = [
    Stage(
        "draft_answer",
        "When the model can no longer be built and read out in time, the best draft answers.",
        needs=("drafts", "pace", "settings"),
        produces=("schedule",),
        run=_draft_answer_stage,
        skip=_no_drafts,
        hook="deadline",
    ),
    Stage(
        "candidates",
        "The model keeps each student's best few slots and every slot a draft holds.",
        needs=("prep", "drafts"),
        produces=("prep", "restricted"),
        run=_candidates,
        skip=_no_heuristics,
        hook="features, repair (size policy: all_options_up_to)",
    ),
    Stage(
        "model",
        "The exact CP-SAT model: classes counted per session, one module per rule.",
        needs=("prep",),
        produces=("model",),
        run=_build_model,
    ),
]
WARM_START = Stage[RunState](
    "warm_start",
    "The drafts as model values; on small terms CP-SAT adds the IPE part solved alone.",
    needs=("model", "starts", "drafts", "settings"),
    produces=("warm", "start"),
    run=_warm_start,
    shares=(("ipe_solve_cap", 0.3), ("ipe_solve_of_left", 0.4)),
    hook="size policy (large_students)",
)
FEATURE_START = Stage[RunState](
    "feature_start",
    "A term the heuristics skip gets a greedy start under every rule, so its levels start.",
    needs=("model", "start", "heuristics"),
    produces=("start",),
    run=_feature_start,
    skip=_no_feature_start,
    hook="features",
)
BOUNDS = Stage[RunState](
    "bounds",
    "Relaxations over every eligible option bound each level for the whole term.",
    needs=("prep", "warm", "pace", "settings"),
    produces=("bounds",),
    run=_bounds,
    skip=_no_time_for_bounds,
    # each solve of the joint LP: at most this share of the limit and of the time left
    shares=(("joint_lp_cap", 0.1), ("joint_lp_of_left", 0.25)),
    hook="deadline",
)
READOUT = Stage[RunState](
    "readout",
    "The values as a schedule: teams named, every unmet need explained, by the deadline.",
    needs=("model", "values", "results", "settings"),
    produces=("schedule",),
    run=_readout,
    # kept back from the levels: about 1.5 s at 5,000 students, at most `reserve` of the
    # limit; more on a run slower than its costs, then at most `reserve_when_slow`
    shares=(("reserve", 0.1), ("reserve_when_slow", 1 / 3)),
    hook="deadline, repair",
)
SOLVE_STAGES: list[Stage[RunState]] = [
    Stage(
        "repair_start",
        "A repair starts from the previous schedule projected onto the changed term.",
        needs=("model", "start", "settings"),
        produces=("start",),
        run=_repair_start,
        skip=_no_previous,
        hook="repair",
    ),
    Stage(
        "first_answer",
        "The start is a complete schedule: reported at once; one breaking a pin is a hint only.",
        needs=("model", "start", "bounds"),
        produces=("start",),
        run=_first_answer,
        hook="pins",
    ),
    Stage(
        "levels",
        "The policy's objectives, one level at a time, each frozen before the next.",
        needs=("model", "start", "bounds", "restricted", "settings"),
        produces=("results", "values"),
        run=_levels,
    ),
    Stage(
        "any_solution",
        "Without any level's solution, any schedule of the model before answering infeasible.",
        needs=("model", "values", "settings"),
        produces=("values",),
        run=_any_solution_stage,
        skip=_some_solution,
        hook="pins",
    ),
    READOUT,
]

STAGES: list[Stage[RunState]] = [
    *PREPARE_STAGES,
    FLOW_STARTS,
    DRAFTS,
    *MODEL_STAGES,
    WARM_START,
    FEATURE_START,
    BOUNDS,
    *SOLVE_STAGES,
]
"""The solve, in order. docs/solver.md has a paragraph per stage (tests/solver/test_stages.py)."""
