"""Shared test setup for every test folder.

- The hand-built scenario factory (tests/domain/factories.py) is importable as `factories`.
- The project root is on sys.path, so the `solver` package wins over the test folder
  tests/solver (pytest puts tests/ on sys.path, where that folder would otherwise be taken
  for a namespace package called `solver`).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
for folder in (TESTS.parent, TESTS / "domain"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
