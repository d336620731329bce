"""A scenario set up to repair an earlier schedule: the CLI and the service do it the same way.

A repair keeps everything unaffected where it is unless moving it is the only way to meet
a need, so `stability` (fewest changes against `policy.previous`) comes right after
`coverage`. A policy that already lists `stability` keeps its own order.
"""

from __future__ import annotations

from scheduler.domain.scenario import ObjectiveName, Scenario
from scheduler.domain.schedule import Schedule


def repair_objectives(objectives: list[ObjectiveName]) -> list[ObjectiveName]:
    """`stability` right after `coverage` (first, without coverage) unless already listed."""
    if "stability" in objectives:
        return list(objectives)
    at = objectives.index("coverage") + 1 if "coverage" in objectives else 0
    return [*objectives[:at], "stability", *objectives[at:]]


def with_previous(scenario: Scenario, previous: Schedule) -> Scenario:
    """The scenario with `previous` as the schedule to stay close to, and a repair's order."""
    policy = scenario.policy.model_copy(
        update={
            "previous": previous.expanded(),  # the solver reads reasons inline only
            "objectives": repair_objectives(list(scenario.policy.objectives)),
        }
    )
    return scenario.model_copy(update={"policy": policy})
