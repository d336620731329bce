"""The saved minimal failing terms (tests/reference/cases/*.json), as plain tests.

Every case runs every differential property and must hold every one of them; `saved.CASES`
keeps, per case, what the product got wrong before the fixes of issue 17 (its regression
record).
"""

from __future__ import annotations

import pytest

from . import harness
from .saved import CASES, FOLDER, load_case

PROPERTIES = [
    "reference_disagreements",
    "wrong_bounds",
    "false_optimal",
    "claimed_not_recomputed",
    "hard_rule_disagreements",
]


def _params() -> list[object]:
    params = []
    for case in sorted(CASES):
        for prop in PROPERTIES:
            params.append(pytest.param(case, prop, id=f"{case}-{prop}"))
    return params


def test_every_case_file_is_listed() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize(("case", "prop"), _params())
def test_case(case: str, prop: str) -> None:
    result = harness.run(load_case(case))
    found = getattr(harness, prop)(result)
    assert not found, "\n".join(found)
