"""Kill points: SIGKILL this process at a named moment of a database transaction.

Test-only: the server launcher (`crash_server.py`) and its solve workers install these
hooks from an environment variable, so production code carries no crash switches. A spec
is `MOMENT:TEXT` or `MOMENT:TEXT#N` (the N-th match, default the first):

- `after_execute:TEXT` - just after a statement containing TEXT ran (written, not committed);
- `commit:TEXT` - at the COMMIT of a transaction that ran such a statement (before it);
- `committed:TEXT` - right after that COMMIT returned (committed, nothing sent yet).

TEXT is matched case-insensitively against the SQL, e.g. `INSERT INTO assignment`.
Statements are tracked per thread, so a background thread's transactions count on their own.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

MOMENTS = ("after_execute", "commit", "committed")


@dataclass
class KillPoint:
    moment: str
    text: str
    nth: int = 1
    seen: int = 0

    def hit(self, statements: list[str]) -> bool:
        """Count a match; True on the N-th."""
        if not any(self.text in statement for statement in statements):
            return False
        self.seen += 1
        return self.seen == self.nth


def parse(spec: str) -> KillPoint:
    moment, _, rest = spec.partition(":")
    if moment not in MOMENTS or not rest:
        raise ValueError(f"bad kill point {spec!r}: want MOMENT:TEXT[#N], MOMENT in {MOMENTS}")
    text, _, nth = rest.partition("#")
    return KillPoint(moment=moment, text=text.lower(), nth=int(nth or 1))


def die() -> None:
    """kill -9 of ourselves: no atexit, no finally blocks, no flushing."""
    os.kill(os.getpid(), signal.SIGKILL)


_local = threading.local()
_lock = threading.Lock()


def _statements() -> list[str]:
    if not hasattr(_local, "statements"):
        _local.statements, _local.committed = [], []
    result: list[str] = _local.statements
    return result


def install(spec: str | None) -> None:
    """Arm the kill point `spec` in this process (nothing happens for an empty spec)."""
    if not spec:
        return
    point = parse(spec)

    def check(moment: str, statements: list[str]) -> None:
        if point.moment != moment:
            return
        with _lock:
            fire = point.hit(statements)
        if fire:
            matched = next(s for s in statements if point.text in s)
            print(
                f"kill point {spec} in {threading.current_thread().name}: {matched[:200]}",
                file=sys.stderr,
                flush=True,
            )
            die()

    def after_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        _statements().append(statement.lower())
        check("after_execute", [statement.lower()])

    def on_commit(_conn: Any) -> None:
        statements = _statements()
        _local.committed = list(statements)
        statements.clear()
        check("commit", _local.committed)

    def on_rollback(_conn: Any) -> None:
        _statements().clear()

    def after_commit(_session: Session) -> None:
        committed = getattr(_local, "committed", [])
        _local.committed = []
        check("committed", committed)

    event.listen(Engine, "after_cursor_execute", after_cursor_execute)
    event.listen(Engine, "commit", on_commit)
    event.listen(Engine, "rollback", on_rollback)
    event.listen(Session, "after_commit", after_commit)
