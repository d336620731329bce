"""Fixtures of the API tests (see tests/service_support.py for the databases): per module,
a world of schools and users and a test client of the app with a recording runner (a module
that needs a real runner or other settings defines its own `client`)."""

from collections.abc import Iterator

import pytest
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


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:  # noqa: F811
    return build_world(engine)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:  # noqa: F811
    yield from make_client(database_url, RecordingRunner())
