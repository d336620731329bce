"""Fixtures of the page and feed tests (see tests/service_support.py for the databases):
per module, a world of users whose password is `PASSWORD`, a recording runner and a test
client of the app with that runner (a module that needs another defines its own).

Passwords are hashed with cheap argon2 parameters here: these tests sign in through the
form many times, and the cost of a real hash is what tests/api/test_api_auth.py is about.
"""

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from service_support import (  # noqa: F401  (pytest fixtures)
    RecordingRunner,
    World,
    build_world,
    database_url,
    engine,
    make_client,
    session,
)
from sqlalchemy import Engine
from web_support import PASSWORD

from scheduler.services import auth


@pytest.fixture(autouse=True, scope="module")
def cheap_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:  # noqa: F811
    """Shared by the tests that change nothing a later test reads."""
    return build_world(engine, password=PASSWORD)


@pytest.fixture(scope="module")
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture(scope="module")
def client(database_url: str, runner: RecordingRunner) -> Iterator[TestClient]:  # noqa: F811
    yield from make_client(database_url, runner)
