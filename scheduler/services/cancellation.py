"""Work that stops when the client that asked for it has left.

The web layer (api/client_watch.py) gives each request a `Watch` and sets it when the
client disconnects; long loops of the use cases call `checkpoint()`, which raises
`ClientGone` once the watch is set, so the request's transaction rolls back and its thread
is free again. Outside a request (CLI, jobs, tests) no watch is set and `checkpoint()`
costs one context-variable read.

The bound (README, "Work after the client leaves"): a request stops at its next
checkpoint. Checkpoints sit in the loops whose length the client controls: every row of
an imported CSV file, every student's and site's view built at publish.

Never speaks HTTP: the watch is a plain threading.Event, set by whoever serves the request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from scheduler.services.errors import ServiceError


class ClientGone(ServiceError):
    """The client that asked for this work disconnected; the work stopped unfinished."""

    status = 499  # "client closed request": nobody reads it, but the logs say why
    code = "client_gone"


class Watch:
    """Set once the client of the current request has left (thread-safe)."""

    def __init__(self) -> None:
        self._gone = threading.Event()

    def client_left(self) -> None:
        self._gone.set()

    @property
    def gone(self) -> bool:
        return self._gone.is_set()


_WATCH: ContextVar[Watch | None] = ContextVar("ipe_client_watch", default=None)


@contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """Make `watch` the current request's, for this context and the threads it copies to."""
    token = _WATCH.set(watch)
    try:
        yield watch
    finally:
        _WATCH.reset(token)


def checkpoint() -> None:
    """Raise ClientGone if the client of the current request has left."""
    watch = _WATCH.get()
    if watch is not None and watch.gone:
        raise ClientGone("the client left before the work was done")
