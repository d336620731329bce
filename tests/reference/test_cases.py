"""The saved minimal failing terms (tests/reference/cases/*.json), as plain tests.

Every case runs every differential property; a property a case breaks on main is marked
`xfail(strict=True)` with what is wrong (`saved.CASES`), so the fix turns it into an XPASS.
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
            reason = CASES[case].get(prop)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(case, prop, marks=marks, id=f"{case}-{prop}"))
    return params


def test_every_case_file_is_listed() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize(("case", "prop"), _params())
def test_case(case: str, prop: str) -> None:
    result = harness.run(load_case(case))
    found = getattr(harness, prop)(result)
    assert not found, "\n".join(found)
