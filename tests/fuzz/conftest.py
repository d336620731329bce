"""Fixtures of the API fuzz tests, the cheap password hashes they need (every role fuzzes
sign-in a hundred times), and a summary of how many cases ran per operation and role,
printed at the end of the run.

The fuzz runs against one database, not every backend: PostgreSQL (production) when
`IPE_TEST_DATABASE_URL` names one, else SQLite. Both took 18 minutes of a loaded 2-core
machine; the other suites already run the same routes on both backends."""

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fuzz_support import CASES
from service_support import BACKENDS, engine, session  # noqa: F401  (pytest fixtures)
from service_support import database_url as every_database_url

from scheduler.services import auth


@pytest.fixture(autouse=True, scope="module")
def cheap_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(auth, "HASHER", cheap)
        patch.setattr(auth, "_DUMMY_HASH", cheap.hash("no such user"))
        yield


database_url = pytest.fixture(scope="module", params=BACKENDS[-1:])(
    every_database_url.__wrapped__  # type: ignore[attr-defined]
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    terminalreporter.write_sep("-", "API fuzz (schemathesis)")
    terminalreporter.write_line(
        f"{sum(CASES.values())} requests over {len(CASES)} operation x role pairs;"
        f" fewest for one pair: {min(CASES.values())}, most: {max(CASES.values())}"
    )
