"""Solve runs and schedule checks: read documents, call the solver, re-check its answer.

Every schedule the solver returns is re-checked by the independent validator in
`scheduler.domain.validator`; a violation there is a solver bug, kept in the outcome so the
caller can refuse to trust the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from scheduler.domain.alternatives import Comparison, Tolerance, compare
from scheduler.domain.claims import claim_problems, refuted_bounds
from scheduler.domain.loading import Loaded, load_scenario_text, load_schedule_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule
from scheduler.domain.validator import Violation, objective_values, validate_schedule
from solver import SolveOptions, SolveProgress, solve
from solver.alternatives import solve_alternatives
from solver.api import ProgressCallback

__all__ = [
    "AlternativesOutcome",
    "CheckOutcome",
    "ProgressCallback",
    "SolveOutcome",
    "SolveProgress",
    "Violation",
    "check_schedule",
    "load_scenario_file",
    "load_schedule_file",
    "solve_alternative_schedules",
    "solve_scenario",
]

FilePath = str | PathLike[str]


@dataclass(frozen=True)
class SolveOutcome:
    """A solver answer and what the validator found wrong with it (normally nothing)."""

    schedule: Schedule
    violations: list[Violation] = field(default_factory=list)

    @property
    def trusted(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class CheckOutcome:
    """Violations of a schedule and its objective values recomputed from the scenario."""

    violations: list[Violation]
    recomputed: dict[str, float]
    claim_problems: list[str] = field(default_factory=list)
    """Claimed values that differ from the recomputed ones, and claimed bounds that are
    beaten (by this schedule, or by it against another schedule's claims)."""


def _read_bytes(path: FilePath) -> tuple[bytes | None, list[ErrorItem]]:
    """Read a whole file; an unreadable one becomes an error item, not an exception."""
    try:
        return Path(path).read_bytes(), []
    except OSError as error:
        reason = error.strerror or str(error)
        return None, [ErrorItem(path="$", message=f"cannot read {path}: {reason}")]


def _parse_limits(error: RecursionError | ValueError) -> list[ErrorItem]:
    """JSON the parser gives up on (absurd nesting, huge numbers) is bad input, not a crash."""
    kind = "nested too deeply" if isinstance(error, RecursionError) else str(error)
    return [ErrorItem(path="$", message=f"not a usable JSON document: {kind}")]


def load_scenario_file(path: FilePath) -> Loaded:
    """Read and validate a scenario file; every problem comes back as an `ErrorItem`."""
    data, errors = _read_bytes(path)
    if data is None:
        return Loaded(None, errors)
    try:
        return load_scenario_text(data)
    except (RecursionError, ValueError) as error:
        return Loaded(None, _parse_limits(error))


def load_schedule_file(path: FilePath) -> tuple[Schedule | None, list[ErrorItem]]:
    """Read and parse a schedule file; every problem comes back as an `ErrorItem`."""
    data, errors = _read_bytes(path)
    if data is None:
        return None, errors
    try:
        return load_schedule_text(data)
    except (RecursionError, ValueError) as error:
        return None, _parse_limits(error)


def solve_scenario(
    *,
    scenario: Scenario,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    on_progress: ProgressCallback | None = None,
    local_repair: bool = True,
) -> SolveOutcome:
    """Solve a validated scenario and re-check the answer with the independent validator.

    A repair tries the local path first unless `local_repair` is False (`solver.incremental`)."""
    options = SolveOptions(
        time_limit_s=time_limit_s, workers=workers, seed=seed, local_repair=local_repair
    )
    schedule = solve(scenario, options=options, on_progress=on_progress)
    return SolveOutcome(schedule=schedule, violations=validate_schedule(scenario, schedule))


@dataclass(frozen=True)
class AlternativesOutcome:
    """Alternative schedules (the best first), each re-checked, and their comparison."""

    outcomes: list[SolveOutcome]
    comparison: Comparison

    @property
    def schedules(self) -> list[Schedule]:
        return [outcome.schedule for outcome in self.outcomes]


def solve_alternative_schedules(
    *,
    scenario: Scenario,
    count: int,
    tolerance: Tolerance | None = None,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> AlternativesOutcome:
    """Up to `count` schedules within `tolerance` of the best (`solver.alternatives`), each
    re-checked by the validator, with the comparison table recomputed from the scenario."""
    tolerance = tolerance or Tolerance()
    options = SolveOptions(time_limit_s=time_limit_s, workers=workers, seed=seed)
    schedules = solve_alternatives(
        scenario, count=count, tolerance=tolerance, options=options, on_progress=on_progress
    )
    outcomes = [SolveOutcome(s, validate_schedule(scenario, s)) for s in schedules]
    return AlternativesOutcome(outcomes, compare(scenario, schedules, tolerance))


def check_schedule(
    *, scenario: Scenario, schedule: Schedule, against: Schedule | None = None
) -> CheckOutcome:
    """Re-check a schedule from outside (a file, a stored run) against its scenario: its
    hard rules, its claimed values and bounds, and (with `against`, when it is valid) the
    bounds another schedule of the same scenario claims."""
    violations = validate_schedule(scenario, schedule)
    recomputed = dict(objective_values(scenario, schedule))
    problems = claim_problems(schedule, recomputed)
    if against is not None and not violations:
        problems += [f"against: {p}" for p in refuted_bounds(against, recomputed)]
    return CheckOutcome(violations=violations, recomputed=recomputed, claim_problems=problems)
