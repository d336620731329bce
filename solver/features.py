"""Optional contract features a term uses, and whether the heuristic stages implement them.

The heuristic stages around the CP-SAT model (flow starts, greedy drafts, LP drafts and
polish, option trimming, the local repair path) each re-encode the placement rules they
know. A rule added to the contract later (weekly capacity, rotations, credentials, ...)
is first written as a CP-SAT rule module (`solver.rules`) and a validator check; until
every heuristic stage encodes it too, a term that uses it is solved by the exact model
alone (the stages are skipped), so no stage can hand the model a start that breaks it.

A feature registers here: its name, how to see it in a scenario, and (once every
heuristic stage implements it) its name in `HEURISTIC_FEATURES`.
Owns: feature detection. Must not import: scheduler services, api.
"""

from __future__ import annotations

from collections.abc import Callable

from scheduler.domain.scenario import Scenario

FeatureTest = Callable[[Scenario], bool]


def _student_plans(scenario: Scenario) -> bool:
    """Plans, qualifications, disciplines or scores (`scheduler.domain.plans`): rule 9 and
    the `scores`/`worst_satisfaction`/`compactness` levels live only in the CP-SAT model."""
    return any(
        s.plan is not None or s.scores is not None or s.qualifications for s in scenario.students
    ) or any(s.discipline is not None or s.requires for s in scenario.slots)


FEATURES: dict[str, FeatureTest] = {
    "student_plans": _student_plans,
}
"""Feature name -> whether a scenario uses it."""

HEURISTIC_FEATURES: frozenset[str] = frozenset()
"""Features every heuristic stage encodes exactly (so their drafts stay valid)."""


def term_features(scenario: Scenario) -> frozenset[str]:
    """The registered features the scenario uses."""
    return frozenset(name for name, used in FEATURES.items() if used(scenario))


def heuristics_apply(scenario: Scenario) -> bool:
    """Whether the heuristic stages may run: every feature the term uses is one they
    encode."""
    return term_features(scenario) <= HEURISTIC_FEATURES
