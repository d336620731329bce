"""Entry point of the solver: options, progress events and `solve`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule, StageTrace


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: limits and CP-SAT parameters (None = the scenario policy's value)."""

    time_limit_s: float | None = None
    workers: int | None = None
    seed: int | None = None
    log_search: bool = False
    local_repair: bool = True
    """On a repair (`policy.previous`), try the local path first (`solver.incremental`);
    False always solves the whole term."""


@dataclass(frozen=True)
class SolveProgress:
    """A progress event: the objective level being optimised, best value and bound so far;
    `stage` and `stages` say which stage of the pipeline sent it and the stages finished
    before it (`solve.stages` of the schedule, so far)."""

    level: str
    value: float
    bound: float
    elapsed_s: float
    stage: str | None = None
    stages: tuple[StageTrace, ...] = ()


ProgressCallback = Callable[[SolveProgress], None]


def solve(
    scenario: Scenario,
    *,
    options: SolveOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> Schedule:
    """Solve a validated scenario lexicographically and return the schedule, its claimed
    values read back from the schedule itself (`solver.claims`)."""
    from solver.claims import settle_claims
    from solver.driver import run

    return settle_claims(scenario, run(scenario, options or SolveOptions(), on_progress))
