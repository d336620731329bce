"""Minimal failing terms found by the differential properties, kept as JSON scenarios.

Each file under `tests/reference/cases/` is an `ipe-scenario/1` document; `CASES` says which
property it breaks on main and why. `test_cases.py` runs each one as a plain test, and the
differential properties run every case as an explicit example.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario

FOLDER = Path(__file__).resolve().parent / "cases"

CASES: dict[str, dict[str, str]] = {
    "no-weekly-same-period": {
        "false_optimal": "one student, two slots of one period without weekly hours: the "
        "solver says optimal with 1 placement, the validator accepts 2 (a period with "
        "`weekly: []` occupies no time, so its placements never clash)",
        "wrong_bounds": "coverage bound 1, a valid schedule meets 2 needs",
        "hard_rule_disagreements": "the solver forbids two placements in one period without "
        "weekly hours; the validator allows them",
    },
    "absent-weekday-same-period": {
        "false_optimal": "one student, two slots of one period (Tue..Sun) whose only weekly "
        "window is on Monday: the windows never occur, so the placements never clash; the "
        "solver says optimal with 1, the validator accepts 2",
        "wrong_bounds": "coverage bound 1, a valid schedule meets 2 needs",
        "hard_rule_disagreements": "the solver forbids two placements of one period whose "
        "windows never occur in it; the validator allows them",
    },
    "claimed-travel-fairness-not-recomputed": {
        "claimed_not_recomputed": "travel_fairness claimed 10.1, the validator recomputes 0.0: "
        "S1 (home 10.1 km away) holds no slot, S2 (no home) holds both",
        "wrong_bounds": "coverage bound 2, a valid schedule meets 3 needs (S1 and S2 each in "
        "L2, S2 also in L5: one period without weekly hours); travel_total bound 10.1 above "
        "the value 0.0 reached",
        "hard_rule_disagreements": "coverage bound 2, the validator accepts a schedule meeting 3",
    },
    "claimed-travel-total-with-pin": {
        "claimed_not_recomputed": "travel_total claimed 170.6, the validator recomputes 136.0 "
        "for the very schedule the reference proves optimal (a pinned slot; periods "
        "without weekly hours)",
        "wrong_bounds": "travel_total bound 222.9 claimed, true optimum 136.0 (and above "
        "the value claimed)",
    },
    "coverage-value-above-bound": {
        "wrong_bounds": "coverage 2 reached (S2 holds L1 and L2, one period without weekly "
        "hours; L2 pinned) but its bound is 1: a maximised level above its own bound",
        "hard_rule_disagreements": "coverage bound 1, the validator accepts a schedule "
        "meeting 2 needs (the solver's own schedule)",
    },
    "pin-without-levels-infeasible": {
        "hard_rule_disagreements": "policy.objectives is [] and S2 is pinned to L2: the "
        "solver answers infeasible, yet holding L2 (and L1, same period without weekly "
        "hours) is valid; with the default levels it solves",
    },
    "repair-coverage-above-bound": {
        "wrong_bounds": "a repair (previous: an empty schedule): coverage 3 reached with "
        "bound 2, and travel_fairness 47.6 claimed as proven (bound 47.6) while the "
        "optimum at coverage 3 is 29.8 (S1 to SITE0, S0 holds L0 and L1)",
        "hard_rule_disagreements": "coverage bound 2, the validator accepts 3",
    },
    "travel-total-bound-above-value": {
        "wrong_bounds": "travel_total bound 40.7 claimed above the value 0.0 reached (a "
        "lower bound above the schedule's own value): the one seat goes to the student "
        "without a home, who travels 0 (the period's hours occur: not the empty-period bug)",
    },
}
"""Case file stem -> {harness property it broke before the fixes of issue 17: what was
wrong}. Every case now holds every property (`test_cases.py`)."""


def load_case(name: str) -> Scenario:
    """A saved case, validated like any scenario."""
    scenario = Scenario.model_validate_json((FOLDER / f"{name}.json").read_text())
    assert not check_scenario(scenario), f"case {name} is not a valid scenario"
    return scenario
