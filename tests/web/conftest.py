"""Fixtures of the page and feed tests (see tests/service_support.py for the databases).

Passwords are hashed with cheap argon2 parameters here: these tests sign in through the
form many times, and the cost of a real hash is what tests/api/test_api_auth.py is about.
"""

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from service_support import database_url, engine, session  # noqa: F401  (pytest fixtures)

from scheduler.services import auth


@pytest.fixture(autouse=True, scope="module")
def cheap_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield
