"""Engines and sessions for a database URL: SQLite (the default) or PostgreSQL.

SQLite gets `PRAGMA foreign_keys=ON`, WAL, `synchronous=FULL` and a busy timeout on every
connection, so it enforces the same cascades as PostgreSQL, lets a worker process write
while the API reads, and keeps every committed transaction through a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@dataclass(frozen=True)
class PoolOptions:
    """Connection-pool sizes (`recycle_s` applies to PostgreSQL only).

    Each API process and each worker has its own pool, so the server must allow about
    `(size + max_overflow) x processes` connections.
    """

    size: int = 5
    max_overflow: int = 10
    timeout_s: float = 30.0
    recycle_s: int = 1800

    @property
    def connections(self) -> int:
        """The most connections the pool opens at once."""
        return self.size + self.max_overflow


def make_engine(url: str, *, echo: bool = False, pool: PoolOptions | None = None) -> Engine:
    """An engine for `url`; connects lazily, on first use."""
    pool = pool or PoolOptions()
    if is_sqlite(url):
        # Sized like PostgreSQL's: the API admits as many requests to the database at
        # once as the pool has connections, for SQLite too.
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=QueuePool,
            pool_size=pool.size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.timeout_s,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_s,
        pool_recycle=pool.recycle_s,
    )


SQLITE_PRAGMAS = {
    "foreign_keys": "ON",
    "journal_mode": "WAL",
    # FULL, not NORMAL: in WAL mode NORMAL survives a killed process but may lose the last
    # commits to a power cut or OS crash (the WAL is synced only at checkpoints). FULL
    # syncs the WAL at every commit; our commits are few (requests, progress twice a
    # second per run), so an acknowledged change is never lost for a few milliseconds.
    "synchronous": "FULL",
    "busy_timeout": str(SQLITE_BUSY_TIMEOUT_MS),
}


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings; without foreign_keys it silently differs from PG."""
    cursor = connection.cursor()
    for name, value in SQLITE_PRAGMAS.items():
        cursor.execute(f"PRAGMA {name}={value}")
    cursor.close()


def new_session(engine: Engine) -> Session:
    """A session whose `after_commit` callbacks (see `on_commit`) run once committed."""
    session = Session(engine, expire_on_commit=False)
    event.listen(session, "after_commit", _run_after_commit)
    event.listen(session, "after_rollback", _forget_after_commit)
    return session


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` after the session's current transaction commits (never on rollback).

    Lets a use case schedule side effects (starting a worker process) without committing
    itself: the request or job that owns the transaction decides when it ends.
    """
    session.info.setdefault("after_commit", []).append(callback)


def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def _forget_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)
