"""Optional contract features a term uses, and whether the heuristic stages implement them.

The heuristic stages around the CP-SAT model (flow starts, greedy drafts, LP drafts and
polish, option trimming, the local repair path) each re-encode the placement rules they
know. A rule added to the contract later (weekly capacity, rotations, ...)
is first written as a CP-SAT rule module (`solver.rules`) and a validator check; until
every heuristic stage encodes it too, a term that uses it is solved by the exact model
alone (the stages are skipped), so no stage can hand the model a start that breaks it.

A rule that only removes options (eligibility, read by every stage from `Prepared`) needs
no entry: credentials (`solver.credentials`) are such a rule.

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


DIVERSITY_LEVELS = frozenset({"distinct_sites", "distinct_tags"})

FEATURES: dict[str, FeatureTest] = {
    "student_plans": _student_plans,
    # capacity calendars (extension): rule modules weekly_capacity, unit_fill,
    # no_repeat_site, tag_limits; history changes tag minimums; diversity levels
    "weekly_capacities": lambda s: bool(s.weekly_capacities),
    "unit_min_fill": lambda s: any(u.min_fill for site in s.sites for u in site.units),
    "no_repeat_site": lambda s: s.policy.no_repeat_site,
    "tag_limits": lambda s: any(r.tag_limits for r in s.placement_requirements),
    "history": lambda s: any(student.history for student in s.students),
    "diversity_levels": lambda s: bool(DIVERSITY_LEVELS & set(s.policy.objectives)),
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
