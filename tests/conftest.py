"""Shared test setup for every test folder.

- The hand-built scenario factory (tests/domain/factories.py) is importable as `factories`.
- The project root is on sys.path, so the `solver` package wins over the test folder
  tests/solver (pytest puts tests/ on sys.path, where that folder would otherwise be taken
  for a namespace package called `solver`).
- Hypothesis profiles: "default" for `make test`, "long" (more examples) for
  `make test-long`, chosen by IPE_TEST_LONG=1 (see tests/long_run.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
for folder in (TESTS.parent, TESTS / "domain"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from hypothesis import settings  # noqa: E402  (after the path set-up above)
from long_run import LONG  # noqa: E402

settings.register_profile("long", max_examples=1000, deadline=None)
if LONG:
    settings.load_profile("long")
