"""What tests/queue needs: the real Redis and PostgreSQL of this machine, a queue name of
the test module's own, and `ipe worker` processes started (and killed) as subprocesses.

Both servers are found at `IPE_TEST_REDIS_URL` / `IPE_TEST_DATABASE_URL`, or at their
usual local addresses; a test that needs one that does not answer is skipped, saying
which. Every Redis key a module creates contains its queue name, and only those keys
are deleted afterwards: other users of the same Redis are left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.db.engine import make_engine

REDIS_ENV, PG_ENV = "IPE_TEST_REDIS_URL", "IPE_TEST_DATABASE_URL"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IPE = Path(sys.executable).with_name("ipe")
WORKER_START_S = 60.0


def redis_url_or_skip() -> str:
    """The test Redis, or skip: the queue tests need a real one."""
    url = os.environ.get(REDIS_ENV, LOCAL_REDIS)
    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError as error:
        pytest.skip(
            f"Redis not reachable at {url} ({error}); start redis-server or set {REDIS_ENV}"
        )
    finally:
        client.close()
    return url


def postgres_url_or_skip() -> str:
    """The test PostgreSQL server, or skip: the queue tests run against the production kind."""
    url = os.environ.get(PG_ENV, LOCAL_PG)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except SQLAlchemyError as error:
        reason = str(error).splitlines()[0]
        pytest.skip(f"PostgreSQL not reachable at {url} ({reason}); start it or set {PG_ENV}")
    finally:
        engine.dispose()
    return url


def new_queue_name() -> str:
    return f"ipe-test-{uuid.uuid4().hex[:10]}"


def delete_queue_keys(redis_url: str, queue_name: str) -> None:
    """Remove every key of this queue (jobs, registries, workers), and nothing else."""
    client = Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{queue_name}*", count=500))
        if keys:
            client.delete(*keys)
        for registry in ("rq:workers", "rq:queues", f"rq:workers:{queue_name}"):
            members = [m for m in client.smembers(registry) if queue_name.encode() in m]
            if members:
                client.srem(registry, *members)
    finally:
        client.close()


class WorkerPool:
    """`ipe worker` subprocesses on one queue and database; any of them may be killed."""

    def __init__(self, redis_url: str, queue_name: str, database_url: str) -> None:
        self.redis_url, self.queue_name, self.database_url = redis_url, queue_name, database_url
        self.processes: list[subprocess.Popen[bytes]] = []

    def live(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.processes if p.poll() is None]

    def ensure(self, count: int) -> None:
        """Start workers until `count` live, and wait until Redis lists them."""
        while len(self.live()) < count:
            self.processes.append(self._start())
        self._wait_registered(count)

    def owner_of(self, horse_pid: int) -> subprocess.Popen[bytes]:
        """The worker whose work horse has `horse_pid`."""
        parent = parent_pid(horse_pid)
        return next(p for p in self.live() if p.pid == parent)

    def stop(self) -> None:
        for process in self.live():
            process.send_signal(signal.SIGTERM)  # warm: finish the job at hand
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _start(self) -> subprocess.Popen[bytes]:
        args = [str(IPE), "worker", "--queue-url", self.redis_url]
        args += ["--queue-name", self.queue_name, "--database-url", self.database_url]
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_registered(self, count: int) -> None:
        client = Redis.from_url(self.redis_url)
        queue = Queue(self.queue_name, connection=client)
        deadline = time.monotonic() + WORKER_START_S
        try:
            while True:
                live = {p.pid for p in self.live()}
                ready = [w for w in Worker.all(queue=queue) if w.pid in live]
                if len(ready) >= count:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"{count} workers not up within {WORKER_START_S} s")
                time.sleep(0.2)
        finally:
            client.close()


def worker_pool(redis_url: str, queue_name: str, database_url: str) -> Iterator[WorkerPool]:
    pool = WorkerPool(redis_url, queue_name, database_url)
    try:
        yield pool
    finally:
        pool.stop()


def parent_pid(pid: int) -> int | None:
    """A process's parent from /proc (None once it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
