"""`ipe school create`: the first-run command makes the school and its first coordinator,
who can then sign in; bad input is reported per field and writes nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.db.engine import make_engine, new_session
from scheduler.services import auth
from scheduler.services.errors import Unauthorized

GOOD = "plum kettle orbit sandal"


def _create(db: Path, *args: str, password: str = GOOD) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["school", "create", "--database", str(db), *args],
        env={"IPE_COORDINATOR_PASSWORD": password},
    )
    return result.exit_code, result.output


def test_create_school_and_sign_in(tmp_path: Path) -> None:
    db = tmp_path / "school.sqlite"
    args = (
        "--name",
        "North College",
        "--email",
        "Ann@North.example.edu",
        "--coordinator",
        "Ann Lee",
    )
    code, output = _create(db, *args)
    assert code == 0, output
    assert "ann@north.example.edu" in output
    engine = make_engine(f"sqlite:///{db}")
    with new_session(engine) as session:
        issued = auth.login(
            session, email="ann@north.example.edu", password=GOOD, ttl=auth.timedelta(minutes=5)
        )
        assert issued.user.role == "coordinator"
    again, output = _create(db, *args)
    assert again == 2 and "already exists" in output
    engine.dispose()


def test_bad_input_names_each_problem(tmp_path: Path) -> None:
    db = tmp_path / "school.sqlite"
    code, output = _create(
        db, "--name", " ", "--email", "nope", "--coordinator", "X", password="password1234"
    )
    assert code == 2
    for path in ("school", "email", "password"):
        assert f"  {path}  " in output
    engine = make_engine(f"sqlite:///{db}")
    with new_session(engine) as session:
        try:
            auth.login(
                session, email="nope", password="password1234", ttl=auth.timedelta(minutes=1)
            )
        except Unauthorized:
            pass
        else:
            raise AssertionError("no account should exist")
    engine.dispose()
