"""Differential properties: the product's claims against the reference model's truth.

Each generated tiny term (`tests/reference/strategies.py`) is solved by the product
(`solver.solve`, one worker, seed 0, a short time limit) and by the exact reference model
(`tests/reference/model.py`); the independent validator recomputes the product's values.
One test per property, all drawing the same terms (the answers are cached per term):

- the reference itself agrees with the validator (its optimum is a valid schedule with the
  values it claims), so the other properties compare against a trustworthy truth;
- every claimed bound is on the right side of the reference optimum, for every level;
- `status: optimal` only when every level's value equals the reference optimum;
- every claimed value equals the validator's recomputation;
- validator and solver agree on the hard rules: the product's schedule is valid, it is
  `infeasible` exactly when the reference finds no schedule keeping every pin, and the
  coverage bound is never beaten by the reference's valid schedule.

Profiles: the default (`reference-fast`) runs 80 derandomized terms without shrinking, so
CI is reproducible and the module takes well under a minute. The long profile runs 2,000
random terms with shrinking (about 10 minutes on a loaded 2-core machine):

    IPE_HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/reference/test_differential.py

A failing term found there becomes a JSON case under `tests/reference/cases/`, listed in
`saved.py` with what it breaks (`test_cases.py` runs each as a plain test).

A property that fails on main is marked `xfail(strict=True)` in `KNOWN_FAILURES` with what
is wrong, so its fix turns it into a strict XPASS that fails until the marker is removed.
None is marked since the fixes of issue 17.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given

from scheduler.domain.scenario import Scenario

from . import harness
from .saved import CASES, load_case
from .strategies import scenarios

KNOWN_FAILURES: dict[str, str] = {}
"""Properties that fail on main today, and why (empty since the fixes of issue 17: the
saved cases under cases/ record what each broke before)."""

PROPERTIES = {
    "reference_agrees_with_validator": harness.reference_disagreements,
    "bounds_never_tighter_than_truth": harness.wrong_bounds,
    "optimal_only_when_every_level_is": harness.false_optimal,
    "claimed_values_are_recomputed": harness.claimed_not_recomputed,
    "validator_and_solver_agree_on_hard_rules": harness.hard_rule_disagreements,
}


def _marked(name: str) -> object:
    """The property as a pytest param, xfail-strict when a known case still breaks it."""
    reason = KNOWN_FAILURES.get(name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name)


def _with_cases(test: object) -> object:
    """Every saved case is also an explicit example of every property."""
    for name in sorted(CASES):
        test = example(scenario=load_case(name))(test)  # type: ignore[operator]
    return test


@pytest.mark.parametrize("prop", [_marked(name) for name in PROPERTIES])
@harness.DIFFERENTIAL
@_with_cases
@given(scenario=scenarios())
def test_property(prop: str, scenario: Scenario) -> None:
    check = PROPERTIES[prop]
    result = harness.run(scenario)
    assume(result.reference is not None)  # a level not proven in time: no truth to compare
    found = check(result)
    assert not found, (
        f"{prop} broken:\n"
        + "\n".join(found)
        + "\n"
        + scenario.model_dump_json(exclude_defaults=True)
    )
