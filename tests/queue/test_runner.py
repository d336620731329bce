"""`RedisJobRunner` and `ipe worker` in small: which runner the app picks, what `alive` and
`cancel` say about jobs that wait or are gone, a lost submit, and the worker's refusals.

No worker runs here: the queues stay unserved, so every job waits. The database is a
SQLite file built by the migrations; tests that need Redis skip without it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from queue_support import delete_queue_keys, new_queue_name, redis_url_or_skip
from service_support import World, _migrate, add_blank_term, build_world
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.app import default_runner
from scheduler.cli import app as cli
from scheduler.db.engine import make_engine, new_session
from scheduler.db.migrate import downgrade
from scheduler.db.tables import SolveRunRow
from scheduler.services.jobs import ProcessJobRunner
from scheduler.services.queue import RedisJobRunner, database_label, job_id
from scheduler.settings import QueueConfig, Settings

UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('queue') / 'ipe.sqlite'}"
    _migrate(url)
    return url


@pytest.fixture(scope="module")
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def queue(sqlite_url: str) -> Iterator[tuple[str, str]]:
    """A Redis URL and a queue name of this test's own (keys deleted afterwards)."""
    url, name = redis_url_or_skip(), new_queue_name()
    yield url, name
    delete_queue_keys(url, name)


def add_run(engine: Engine, world: World, status: str = "queued") -> int:
    """A run of a term of its own: one term has at most one active run."""
    term_id = add_blank_term(engine, world, f"runner-{uuid.uuid4().hex[:8]}")
    with new_session(engine) as session:
        run = SolveRunRow(term_id=term_id, time_limit_s=5, workers=1, seed=0, status=status)
        session.add(run)
        session.commit()
        return run.id or 0


def status(engine: Engine, run_id: int) -> tuple[str, str | None]:
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        return run.status, run.error


def test_without_a_queue_url_runs_stay_in_process(sqlite_url: str) -> None:
    assert isinstance(default_runner(Settings(database_url=sqlite_url)), ProcessJobRunner)


def test_with_a_queue_url_the_app_uses_redis_and_connects_lazily(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, queue_url=UNREACHABLE, queue_name="q1")
    runner = default_runner(settings)  # nothing listens there: building must not connect
    assert isinstance(runner, RedisJobRunner)
    assert runner.queue.name == "q1"
    assert runner.alive(1) is None  # Redis cannot be asked: the reaper judges by heartbeat


def test_a_submit_that_cannot_reach_redis_fails_the_run(
    sqlite_url: str, engine: Engine, world: World
) -> None:
    run_id = add_run(engine, world)
    RedisJobRunner(QueueConfig(url=UNREACHABLE, name="q2"), sqlite_url).submit(run_id)
    state, error = status(engine, run_id)
    assert state == "failed"
    assert error and "job queue could not be reached" in error


def test_alive_while_waiting_unknown_when_missing(
    sqlite_url: str, engine: Engine, world: World, queue: tuple[str, str]
) -> None:
    runner = RedisJobRunner(QueueConfig(url=queue[0], name=queue[1]), sqlite_url)
    run_id = add_run(engine, world)
    assert runner.alive(run_id) is None
    runner.submit(run_id)
    runner.submit(run_id)  # a second submit of the same run is ignored, not queued twice
    assert runner.alive(run_id) is True
    assert runner.queue.count == 1
    job = runner.queue.fetch_job(job_id(queue[1], run_id))
    assert job is not None
    assert job.kwargs == {"run_id": run_id, "database": database_label(sqlite_url)}


def test_cancelling_a_waiting_job_drops_it_and_closes_the_run(
    sqlite_url: str, engine: Engine, world: World, queue: tuple[str, str]
) -> None:
    runner = RedisJobRunner(QueueConfig(url=queue[0], name=queue[1]), sqlite_url)
    run_id = add_run(engine, world)
    runner.submit(run_id)
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        run.status = "cancelling"
        session.add(run)
        session.commit()
    runner.cancel(run_id)
    assert runner.queue.count == 0
    assert runner.alive(run_id) is False
    assert status(engine, run_id)[0] == "cancelled"


def test_the_database_label_hides_the_password() -> None:
    label = database_label("postgresql+psycopg://ipe:secret@db:5432/ipe")
    assert "secret" not in label
    assert label.endswith("@db:5432/ipe")


def test_ipe_worker_needs_a_queue_url(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.delenv("IPE_QUEUE_URL", raising=False)
    result = CliRunner().invoke(cli, ["worker", "--database-url", sqlite_url])
    assert result.exit_code == 2
    assert "IPE_QUEUE_URL" in result.output


def test_ipe_worker_refuses_a_schema_behind_its_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite'}"
    _migrate(url)
    engine = make_engine(url)
    downgrade(engine, "-1")
    engine.dispose()
    args = ["worker", "--queue-url", UNREACHABLE, "--database-url", url, "--burst"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "ipe db upgrade" in result.output


def test_pool_settings_reach_the_postgresql_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPE_DB_POOL_SIZE", "3")
    monkeypatch.setenv("IPE_DB_MAX_OVERFLOW", "4")
    monkeypatch.setenv("IPE_DB_POOL_RECYCLE_S", "60")
    pool = Settings().pool
    engine = make_engine("postgresql+psycopg://ipe@127.0.0.1:1/ipe", pool=pool)  # no connection
    queue_pool: Any = engine.pool
    assert (queue_pool.size(), queue_pool._max_overflow, queue_pool._recycle) == (3, 4, 60)
    engine.dispose()
