"""`ipe db`, `ipe demo` and `ipe serve` wiring: the demo runs twice on one database."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_support import TINY
from sqlmodel import select
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.cli_service import database_url
from scheduler.db.engine import make_engine, new_session
from scheduler.db.migrate import current_revision, head_revision
from scheduler.db.tables import OutboxMessageRow

runner = CliRunner()


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite"
    upgraded = runner.invoke(app, ["db", "upgrade", "--database", str(database)])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"revision {head_revision()}" in upgraded.output
    current = runner.invoke(app, ["db", "current", "--database", str(database)])
    assert f"revision {head_revision()}" in current.output


def test_database_url_prefers_the_explicit_url(tmp_path: Path) -> None:
    assert database_url(tmp_path / "x.sqlite", None) == f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert database_url(tmp_path / "x.sqlite", "postgresql+psycopg://h/db").startswith("postgres")


@pytest.mark.slow
def test_demo_twice_on_one_database(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite"
    args = ["demo", "--database", str(database), "--scenario", str(TINY)]
    args += ["--time-limit", "5", "--no-serve"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "demo term loaded" in first.output
    assert "published version 1" in first.output
    assert first.output.count("password: ") == 6
    # The demo's publish delivers like every other (no SMTP: shown in the app), not pending.
    with new_session(make_engine(f"sqlite:///{database}")) as session:
        states = set(session.exec(select(OutboxMessageRow.state)).all())
    assert states == {"in_app"}
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "demo term reused" in second.output
    assert "published schedule: version 1" in second.output
    assert current_revision(make_engine(f"sqlite:///{database}")) == head_revision()
