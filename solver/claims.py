"""What a schedule claims, made to agree with what the schedule is.

Each level's value is read back from the finished schedule with the independent
validator's recomputation (`scheduler.domain.validator.objective_values`), not taken from
the search: a level frozen as "no worse than v" may end better than v after later levels,
and values read through helper variables (the worst travel) may sit above what the
decisions achieve. A bound that the schedule itself beats is not a bound: it is replaced by
the trivially valid one (0 for a minimised level, none for a maximised one) and the level
is named in `metrics.claims_corrected`, so the differential tests see it. `optimal` is then
claimed only when every level's recomputed value equals its bound.
"""

from __future__ import annotations

from scheduler.domain.claims import MAXIMISED, TOLERANCE, beats
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ObjectiveResult, Schedule
from scheduler.domain.validator import objective_values


def settle_claims(scenario: Scenario, schedule: Schedule) -> Schedule:
    """The schedule with each level's value recomputed, no bound it beats, and a status
    that claims `optimal` only when every level is proven."""
    if not schedule.objectives:
        return schedule
    recomputed = objective_values(scenario, schedule)
    objectives: list[ObjectiveResult] = []
    corrected: list[str] = []
    for level in schedule.objectives:
        settled = _settled(level, recomputed.get(level.name))
        if settled.bound != level.bound:
            corrected.append(level.name)
        objectives.append(settled)
    update: dict[str, object] = {"objectives": objectives, "status": _status(schedule, objectives)}
    if corrected:
        update["metrics"] = {**schedule.metrics, "claims_corrected": corrected}
    return schedule.model_copy(update=update)


def _settled(level: ObjectiveResult, recomputed: float | None) -> ObjectiveResult:
    if level.value is None or recomputed is None:
        return level
    bound = level.bound
    if bound is not None and beats(level.name, recomputed, bound):
        bound = None if level.name in MAXIMISED else 0.0
    return level.model_copy(update={"value": recomputed, "bound": bound})


def proven(level: ObjectiveResult) -> bool:
    return (
        level.value is not None
        and level.bound is not None
        and abs(level.value - level.bound) < TOLERANCE
    )


def _status(schedule: Schedule, objectives: list[ObjectiveResult]) -> str:
    """Only ever `optimal` or `feasible` are re-decided; other statuses stand."""
    if schedule.status not in ("optimal", "feasible"):
        return schedule.status
    measured = [level for level in objectives if level.value is not None]
    every_level = len(measured) == len(objectives)
    if schedule.status == "feasible" and not every_level:
        return "feasible"
    return "optimal" if measured and all(proven(level) for level in measured) else "feasible"
