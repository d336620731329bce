"""Group commit of disclosure rows: the reads of many requests written in one transaction.

Every partner read of placed students must leave its disclosure rows
(`scheduler.services.disclosures`). Written in each request's own transaction, that is a
write and a commit per read: on SQLite (one writer at a time, `synchronous=FULL`) a few
dozen partner feed reads a second. Here requests hand their rows to one writer thread per
process and wait: the thread writes everything that queued while the last commit ran in
one transaction, adds repeated views of a row up (`views + n`), commits, and only then
releases the requests. So no answer leaves before its rows are committed (a failed commit
fails every request of the batch, which answer 500 and show nothing): batched, never
deferred, never lost.

Owns only the queue and its thread; the rows are `disclosures`' (`disclosures.rows_for`,
written as plain column values).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlmodel import col

from scheduler.db import repositories
from scheduler.db.engine import new_session
from scheduler.db.tables import DisclosureRow, UserRow
from scheduler.db.types import utcnow
from scheduler.services import disclosures

MAX_BATCH = 1000
"""Reads per transaction at most (a batch holds what queued during one commit)."""


@dataclass(frozen=True)
class _Read:
    recipient: UserRow
    channel: disclosures.Channel
    resource: str
    shown: tuple[disclosures.Shown, ...]
    export: bool


class DisclosureWriter:
    """One writer thread per process; `record` returns once the rows are committed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[tuple[_Read, Future[None]]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(
        self,
        *,
        recipient: UserRow,
        channel: disclosures.Channel,
        resource: str,
        shown: Iterable[disclosures.Shown],
        export: bool = False,
    ) -> None:
        """Write (or add a view to) the rows of one read; blocks until committed."""
        read = _Read(recipient, channel, resource, tuple(shown), export)
        if not read.shown:
            return
        done: Future[None] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the disclosure writer is closed")
            self._pending.append((read, done))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="disclosure-writer", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        done.result()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if not self._pending and self._closed:
                    return
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                self._write([read for read, _ in batch])
            except BaseException as error:  # every request of the batch fails with it
                for _, done in batch:
                    done.set_exception(error)
            else:
                for _, done in batch:
                    done.set_result(None)

    def _write(self, reads: list[_Read]) -> None:
        now = utcnow()
        rows: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = {}
        for read in reads:
            once: set[str] = set()  # one read shows a student once per row, as `record` counts
            for row in disclosures.rows_for(
                read.recipient, read.channel, read.resource, read.shown, read.export, now
            ):
                if row["key"] in once:
                    continue
                once.add(row["key"])
                rows.setdefault(row["key"], row)
                counts[row["key"]] = counts.get(row["key"], 0) + 1
        with new_session(self._engine) as session:
            existing = repositories.disclosure_ids_by_key(session, rows)
            by_count: dict[int, list[int]] = {}
            for key, row_id in existing.items():
                by_count.setdefault(counts[key], []).append(row_id)
            for count, ids in by_count.items():
                statement = (
                    update(DisclosureRow)
                    .where(col(DisclosureRow.id).in_(ids))
                    .values(views=DisclosureRow.views + count, last_at=now)
                    .execution_options(synchronize_session=False)
                )
                session.exec(statement)  # type: ignore[call-overload]
            added = [
                row | {"views": counts[key]} for key, row in rows.items() if key not in existing
            ]
            if added:
                session.execute(insert(DisclosureRow), added)
            session.commit()
