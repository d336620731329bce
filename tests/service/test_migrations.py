"""The migrations are the schema: they build every table, match the models exactly
(autogenerate finds no drift), and go down and up again cleanly.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from scheduler.db.migrate import (
    current_revision,
    downgrade,
    head_revision,
    schema_drift,
    upgrade,
)


def test_migrations_build_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {table.name for table in SQLModel.metadata.sorted_tables} <= tables
    assert current_revision(engine) == head_revision()


def test_autogenerate_finds_no_drift(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_down_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not set(inspect(engine).get_table_names()) - {"alembic_version"}
    upgrade(engine)
    assert schema_drift(engine) == []
