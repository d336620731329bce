"""The SQLite settings every connection must run with: WAL, synchronous=FULL, a busy
timeout and enforced foreign keys. Read back from the connections themselves, so a
setting that SQLite silently ignores (or a pool that skips the hook) fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from scheduler.db.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from scheduler.db.migrate import upgrade

EXPECTED = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
}


def test_every_connection_has_the_durability_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ipe.sqlite'}")
    try:
        # Two connections open at once: the pool must set up each, not just the first.
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                found = {
                    name: connection.execute(text(f"PRAGMA {name}")).scalar_one()
                    for name in EXPECTED
                }
                assert found == EXPECTED
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ipe.sqlite'}")
    try:
        upgrade(engine)
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text(
                    'INSERT INTO term (school_id, code, name, start, "end", timezone,'
                    " scenario_json, created_at) VALUES (999, 'x', 'x', '2027-01-01',"
                    " '2027-02-01', 'UTC', '{}', '2027-01-01 00:00:00')"
                )
            )
    finally:
        engine.dispose()
