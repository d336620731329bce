"""How long the randomised tests run: short by default, long under `make test-long`.

`make test` keeps example counts small so the whole suite fits its time budget on a small
machine; `make test-long` (IPE_TEST_LONG=1, hypothesis profile "long") runs every fuzz and
property test with its full count. Both profiles are registered in tests/conftest.py.
"""

from __future__ import annotations

import os

LONG = os.environ.get("IPE_TEST_LONG", "") == "1"


def examples(default: int, long: int) -> int:
    """The example count of a randomised test in this run."""
    return long if LONG else default
