"""Runs the product's solver and the reference model on one scenario, once per scenario.

The differential tests check one property each on the same generated terms; with
`derandomize=True` every test draws the same sequence, so both answers are cached by the
scenario's JSON and each term is solved once per run, not once per property.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from hypothesis import HealthCheck, Phase, settings

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import Violation, objective_values, validate_schedule
from solver import SolveOptions, solve

from .model import MAXIMISED, ReferenceResult, solve_reference

EPS = 1e-6
SOLVER_SECONDS = float(os.environ.get("IPE_REFERENCE_SOLVER_SECONDS", "10"))
"""The product's time limit on a tiny term (the fast profile)."""

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}
settings.register_profile(
    "reference-fast",
    max_examples=80,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    **_COMMON,
)
settings.register_profile("reference-long", max_examples=2000, **_COMMON)
LONG = os.environ.get("IPE_HYPOTHESIS_PROFILE") == "long" or os.environ.get("IPE_TEST_LONG") == "1"
"""`make test-long` (IPE_TEST_LONG=1, `tests/long_run.py`) or IPE_HYPOTHESIS_PROFILE=long."""
PROFILE = "reference-long" if LONG else "reference-fast"
DIFFERENTIAL = settings.get_profile(PROFILE)


@dataclass(frozen=True)
class Run:
    """The product's answer, the validator's view of it, and the reference's truth."""

    scenario: Scenario
    schedule: Schedule
    violations: list[Violation]
    recomputed: dict[str, float]
    reference: ReferenceResult | None


@lru_cache(maxsize=4096)
def _run(text: str, seconds: float) -> Run:
    scenario = Scenario.model_validate_json(text)
    schedule = solve(scenario, options=SolveOptions(time_limit_s=seconds, workers=1, seed=0))
    violations = validate_schedule(scenario, schedule)
    recomputed = objective_values(scenario, schedule)
    return Run(scenario, schedule, violations, recomputed, solve_reference(scenario))


def run(scenario: Scenario, seconds: float = SOLVER_SECONDS) -> Run:
    """Both answers for a scenario (cached by its JSON)."""
    return _run(scenario.model_dump_json(), seconds)


def right_side(name: str, bound: float, truth: float) -> bool:
    """A maximised level's bound is at least the optimum, a minimised one's at most."""
    return bound >= truth - EPS if name in MAXIMISED else bound <= truth + EPS


# --- the properties, each returning the discrepancies it found (empty: holds) --------------


def wrong_bounds(r: Run) -> list[str]:
    """Claimed bounds tighter than the reference's optimum."""
    if r.reference is None or r.reference.status != "optimal":
        return []
    return [
        f"{o.name}: bound {o.bound} claimed, reference optimum {r.reference.values[o.name]}"
        for o in r.schedule.objectives
        if o.bound is not None
        and o.name in r.reference.values
        and not right_side(o.name, o.bound, r.reference.values[o.name])
    ]


def false_optimal(r: Run) -> list[str]:
    """`status: optimal` while some level's (recomputed) value is not the reference's."""
    if r.reference is None or r.schedule.status != "optimal":
        return []
    if r.reference.status != "optimal":
        return ["status optimal, but the reference finds no schedule keeping every pin"]
    return [
        f"{name}: status optimal with {r.recomputed.get(name)}, reference optimum {truth}"
        for name, truth in r.reference.values.items()
        if abs(r.recomputed.get(name, float("nan")) - truth) > EPS
    ]


def claimed_not_recomputed(r: Run) -> list[str]:
    """Claimed objective values that differ from the validator's recomputation, and bounds
    the solver had to withdraw because its own schedule beat them (`solver.claims` keeps
    the claim honest, but a bound that needed it was wrong)."""
    if r.schedule.status in ("infeasible", "invalid"):
        return []
    withdrawn = [
        f"{name}: the solver's bound was beaten by its own schedule (withdrawn)"
        for name in r.schedule.metrics.get("claims_corrected", [])
    ]
    return withdrawn + [
        f"{o.name}: claimed {o.value}, validator recomputes {r.recomputed[o.name]}"
        for o in r.schedule.objectives
        if o.value is not None
        and o.name in r.recomputed
        and abs(o.value - r.recomputed[o.name]) > EPS
    ]


def hard_rule_disagreements(r: Run) -> list[str]:
    """The product's schedule breaks a rule, or the product refuses (infeasible) what the
    reference can do, or claims to beat a schedule the reference proves optimal."""
    answered = r.schedule.status not in ("infeasible", "invalid")  # no schedule to check
    found = [f"product schedule invalid: {v.code} {v.message}" for v in r.violations if answered]
    if r.reference is None:
        return found
    product_infeasible = r.schedule.status == "infeasible"
    if product_infeasible != (r.reference.status == "infeasible"):
        found.append(f"product says {r.schedule.status}, reference says {r.reference.status}")
    elif r.reference.status == "optimal":
        truth = r.reference.values.get("coverage")
        for o in r.schedule.objectives:
            if (
                o.name == "coverage"
                and o.bound is not None
                and truth is not None
                and o.bound < truth - EPS
            ):
                found.append(
                    f"coverage: the validator accepts a schedule meeting {truth:g} needs, the "
                    f"solver's rules allow at most {o.bound:g} (its bound)"
                )
    if r.reference.status == "optimal" and answered and not r.violations:
        for name, truth in r.reference.values.items():
            value = r.recomputed.get(name)
            if value is None:
                continue
            better = value > truth + EPS if name in MAXIMISED else value < truth - EPS
            if better:
                found.append(
                    f"{name}: a valid product schedule beats the reference ({value} vs {truth})"
                )
            if abs(value - truth) > EPS:
                break  # later levels are compared only on a lexicographic tie
    return found


def reference_disagreements(r: Run) -> list[str]:
    """The reference's own optimum must be valid for the validator, with the same values."""
    if r.reference is None or r.reference.schedule is None:
        return []
    scenario, schedule = r.scenario, r.reference.schedule
    found = [
        f"reference schedule invalid: {v.code} {v.message}"
        for v in validate_schedule(scenario, schedule)
    ]
    recomputed = objective_values(scenario, schedule)
    found += [
        f"{name}: reference {truth}, validator recomputes {recomputed.get(name)}"
        for name, truth in r.reference.values.items()
        if abs(recomputed.get(name, float("nan")) - truth) > EPS
    ]
    return found
