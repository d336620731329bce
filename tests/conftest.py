"""Shared test setup for every test folder.

- The hand-built scenario factory (tests/domain/factories.py) is importable as `factories`.
- The project root is on sys.path, so the `solver` package wins over the test folder
  tests/solver (pytest puts tests/ on sys.path, where that folder would otherwise be taken
  for a namespace package called `solver`).
- Hypothesis profiles: "default" for `make test`, "long" (more examples) for
  `make test-long`, chosen by IPE_TEST_LONG=1 (see tests/long_run.py).
- Parallel runs (`make test`: pytest-xdist, TEST_WORKERS processes, whole files per worker).
  What keeps the workers apart: each SQLite database is a file under the worker's own
  temporary folder (tmp_path_factory); each PostgreSQL database is a schema with a random
  name, one per test module (tests/service_support.py), on the server named by
  IPE_TEST_DATABASE_URL, dropped afterwards; Redis keys carry a random queue name
  (tests/queue_support.py); servers and the browser tests' app listen on a port the
  kernel chose free. Per-run counters that workers keep (the API fuzz's requests per
  operation and role) are sent to the controller and summed there (below).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
for folder in (TESTS.parent, TESTS / "domain"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from hypothesis import settings  # noqa: E402  (after the path set-up above)
from long_run import LONG  # noqa: E402

settings.register_profile("long", max_examples=1000, deadline=None)
if LONG:
    settings.load_profile("long")


# ---- per-worker counters, summed by the xdist controller ------------------------------

WORKER_FUZZ_CASES: Counter[tuple[str, str]] = Counter()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker: send its API fuzz counts (tests/fuzz/fuzz_support.py) along."""
    workeroutput = getattr(session.config, "workeroutput", None)
    fuzz = sys.modules.get("fuzz_support")
    if workeroutput is not None and fuzz is not None:
        workeroutput["fuzz_cases"] = [[op, role, n] for (op, role), n in fuzz.CASES.items()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker ended: add the API fuzz counts it sent (tests/fuzz/conftest.py)."""
    for operation, role, count in getattr(node, "workeroutput", {}).get("fuzz_cases", []):
        WORKER_FUZZ_CASES[(operation, role)] += count


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not WORKER_FUZZ_CASES:  # a serial run prints its own summary (tests/fuzz/conftest.py)
        return
    terminalreporter.write_sep("-", "API fuzz (schemathesis), all workers")
    terminalreporter.write_line(
        f"{sum(WORKER_FUZZ_CASES.values())} requests over {len(WORKER_FUZZ_CASES)} operation"
        f" x role pairs; fewest for one pair: {min(WORKER_FUZZ_CASES.values())},"
        f" most: {max(WORKER_FUZZ_CASES.values())}"
    )
