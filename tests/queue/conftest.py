"""Fixtures of the queue tests: real Redis and PostgreSQL (skipped, saying why, if absent),
a queue and a PostgreSQL schema per test module, and `ipe worker` subprocesses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from queue_support import (
    WorkerPool,
    delete_queue_keys,
    new_queue_name,
    postgres_url_or_skip,
    redis_url_or_skip,
    worker_pool,
)
from service_support import World, _postgres_schema, build_world
from sqlalchemy import Engine

from api import create_app
from scheduler.db.engine import make_engine
from scheduler.settings import Settings


@pytest.fixture(scope="module")
def redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture(scope="module")
def database_url(redis_url: str) -> Iterator[str]:
    """A migrated PostgreSQL schema of the module's own (Redis is checked first)."""
    yield from _postgres_schema(postgres_url_or_skip())


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def queue_name(redis_url: str) -> Iterator[str]:
    name = new_queue_name()
    yield name
    delete_queue_keys(redis_url, name)


@pytest.fixture(scope="module")
def workers(redis_url: str, queue_name: str, database_url: str) -> Iterator[WorkerPool]:
    yield from worker_pool(redis_url, queue_name, database_url)


@pytest.fixture(scope="module")
def settings(redis_url: str, queue_name: str, database_url: str) -> Settings:
    # The tests queue four runs of one school at once: more than the default run caps.
    return Settings(
        database_url=database_url,
        queue_url=redis_url,
        queue_name=queue_name,
        run_max_active_per_school=8,
        run_max_active=8,
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)
