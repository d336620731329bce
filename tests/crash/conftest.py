"""Fixtures of the kill -9 tests: the migrated databases (see tests/service_support.py), the
server factory, a coordinator to act as, and what the servers acknowledged so far."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_support import Coordinator, make_coordinator
from harness import Ledger, Zygote
from service_support import database_url, engine  # noqa: F401  (pytest fixtures)
from sqlalchemy import Engine


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote]:
    factory = Zygote()
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def coordinator(engine: Engine) -> Coordinator:  # noqa: F811  (the fixture above)
    return make_coordinator(engine)


@pytest.fixture(scope="module")
def ledger(database_url: str) -> Ledger:  # noqa: F811  (the fixture above)
    """Everything acknowledged in this module's database (one per database): every later
    check includes it."""
    return Ledger()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Where the servers of one test write their output (named in failure messages)."""
    return tmp_path / "server.log"
