"""Run a coroutine on an event loop of its own, in a thread of its own.

With `make test` in parallel a worker may run a browser test (Playwright's sync API keeps
an event loop running in the main thread) before a test that calls `asyncio.run`, which
refuses to start inside a running loop; a fresh thread has none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` in a new thread; its result (or its exception)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
