"""Stored views' bytes kept in this process, keyed by their ETag: reads at cache speed.

A view's ETag is a digest of its bytes (`published_views.etag_of`), so an entry can never
be stale: bytes with that ETag are those bytes. What can change is which ETag a person's
view has (a publish, a directory change, a deleted term), and every read takes that from
the database, in the one query that also checks the token (`published_views.my_view`,
`feed_read`). So a publish committed by any process (another uvicorn worker, another
server on the same database) is served by every process from its next read on, with no
message between processes and nothing to invalidate. Entries no read asks for any more
age out: least recently used first, past `max_bytes` in all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class ViewCache:
    """ETag -> bytes, least recently used out first once over `max_bytes` (thread-safe)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, etag: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(etag)
            if body is None:
                self.misses += 1
                return None
            self._entries.move_to_end(etag)
            self.hits += 1
            return body

    def put(self, etag: str, body: bytes) -> None:
        """Keep `body` under `etag` (the caller checked that the digest matches)."""
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if etag in self._entries:
                self._entries.move_to_end(etag)
                return
            self._entries[etag] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size
