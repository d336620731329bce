"""Shared fixtures of tests/service and tests/api: databases built by the migrations, and
a small "world" of two schools to test who may see what.

Each test module gets a fresh database, built by running the Alembic migrations: a SQLite
file always, and also a PostgreSQL schema of its own when `IPE_TEST_DATABASE_URL` is set
(the module's tests then run once per database). Users sign in with tokens issued
directly, so the argon2 cost is paid only by the tests about passwords.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, func, select

from api import create_app
from scheduler.db.engine import make_engine, new_session
from scheduler.db.migrate import upgrade
from scheduler.db.tables import (
    DisclosureRow,
    ScheduleVersionRow,
    SchoolRow,
    SolveRunRow,
    TermRow,
    UserRow,
)
from scheduler.domain.loading import load_scenario_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services import auth, solve_runs, term_rows, terms, versions
from scheduler.services.jobs import JobRunner
from scheduler.services.solving import solve_scenario
from scheduler.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "fixtures" / "tiny.json"
DEMO = ROOT / "fixtures" / "demo.json"
PG_ENV = "IPE_TEST_DATABASE_URL"

BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]


# ---- databases -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[str]:
    """A fresh, migrated database for one test module (SQLite file or PostgreSQL schema)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "ipe.sqlite"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    yield from _postgres_schema(os.environ[PG_ENV])


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _postgres_schema(base_url: str) -> Iterator[str]:
    """A schema of its own on the test server, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        _migrate(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with new_session(engine) as session:
        yield session


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table, to prove that a refused import wrote nothing."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


# ---- apps ------------------------------------------------------------------------------


class RecordingRunner:
    """A job runner that starts nothing: for tests about requests, not about solving."""

    def __init__(self) -> None:
        self.submitted: list[int] = []
        self.cancelled: list[int] = []

    def submit(self, run_id: int) -> None:
        self.submitted.append(run_id)

    def cancel(self, run_id: int) -> None:
        self.cancelled.append(run_id)

    def alive(self, run_id: int) -> bool | None:
        return None

    def shutdown(self) -> None:
        return None


def settings_for(database_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, **overrides)


def make_client(
    database_url: str, runner: JobRunner | None = None, **overrides: Any
) -> Iterator[TestClient]:
    app = create_app(settings_for(database_url, **overrides), runner=runner)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- scenarios -------------------------------------------------------------------------


def tiny_document(**term: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(TINY.read_text())
    document["term"].update(term)
    return document


def seat_short_document(**term: Any) -> dict[str, Any]:
    """The tiny term one NURS seat short (SL-A1 holds 1, SL-B1 none): a nurse who could be
    placed is not, and a verified what-if (a seat more at SL-A1, or a new slot) helps."""
    document = tiny_document(**term)
    capacity = {"SL-A1": 1, "SL-B1": 0}
    for slot in document["slots"]:
        slot["capacity"] = capacity.get(slot["id"], slot["capacity"])
    return document


def other_school_document() -> dict[str, Any]:
    """The tiny term with every person renamed, so a leak of either school shows."""
    document = tiny_document(name="Other school term")
    for i, student in enumerate(document["students"], start=1):
        student["name"] = f"Bnm{i:02d} Otherschool"
        student["email"] = f"bnm{i:02d}@students.other.example.edu"
    return document


def scenario_of(document: dict[str, Any]) -> Scenario:
    loaded = load_scenario_text(json.dumps(document))
    assert loaded.scenario is not None, loaded.errors
    return loaded.scenario


@cache
def tiny_schedule_json() -> str:
    """The tiny term solved once per test session (the same ids serve both schools)."""
    outcome = solve_scenario(scenario=scenario_of(tiny_document()), time_limit_s=10, workers=1)
    assert outcome.trusted, outcome.violations
    return outcome.schedule.model_dump_json()


def tiny_schedule() -> Schedule:
    return Schedule.model_validate_json(tiny_schedule_json())


def changed_schedule() -> Schedule:
    """The tiny schedule with T01 and T02 swapping teams, and T01 placed at another site."""
    document = json.loads(tiny_schedule_json())
    entry = next(e for e in document["sessions"] if any("T01" in t["students"] for t in e["teams"]))
    mine = next(t for t in entry["teams"] if "T01" in t["students"])
    other = next(t for t in entry["teams"] if "T02" in t["students"])
    assert mine is not other, "the tiny solve put T01 and T02 in one team"
    mine["students"][mine["students"].index("T01")] = "T02"
    other["students"][other["students"].index("T02")] = "T01"
    placement = next(p for p in document["placements"] if p["student"] == "T01")
    placement["slot"] = "SL-A1" if placement["slot"] != "SL-A1" else "SL-B1"
    return Schedule.model_validate(document)


# ---- the world: two schools, every role ------------------------------------------------


@dataclass
class World:
    """Two schools with the tiny term each (A real names, B renamed), solved and published.

    Users: coordinators of A and B; students T01 and T02 of A and T01 of B; partners of
    SITE-A and SITE-B in A, and of SITE-A in B. `tokens` maps each user key to a token.
    """

    tag: str
    users: dict[str, UserRow] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    terms: dict[str, TermRow] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)

    def header(self, user: str) -> dict[str, str]:
        return bearer(self.tokens[user])


USERS = {
    # key: (school, role, student_ref, site_ref)
    "coord_a": ("a", "coordinator", None, None),
    "coord_b": ("b", "coordinator", None, None),
    "student_a": ("a", "student", "T01", None),
    "student_a2": ("a", "student", "T02", None),
    "student_b": ("b", "student", "T01", None),
    "partner_a": ("a", "partner", None, "SITE-A"),
    "partner_a2": ("a", "partner", None, "SITE-B"),
    "partner_b": ("b", "partner", None, "SITE-A"),
}


def build_world(engine: Engine, *, password: str | None = None) -> World:
    """Create both schools, their users, terms, a finished run and a published version."""
    world = World(tag=uuid.uuid4().hex[:8])
    with new_session(engine) as session:
        schools = {
            key: auth.get_or_create_school(session, name=f"School {key} {world.tag}")
            for key in ("a", "b")
        }
        for key, (school, role, student_ref, site_ref) in USERS.items():
            world.users[key] = auth.save_user(
                session,
                school=schools[school],
                email=f"{key}-{world.tag}@example.test",
                name=f"{key} {world.tag}",
                role=role,
                password=password,
                student_ref=student_ref,
                site_ref=site_ref,
            )
            issued = auth.issue_token(
                session, user=world.users[key], kind=auth.LOGIN, ttl=timedelta(hours=1)
            )
            world.tokens[key] = issued.token
        for key, document in (("a", tiny_document()), ("b", other_school_document())):
            _add_term(session, world, key, scenario_of(document))
        session.commit()
    return world


def _add_term(session: Session, world: World, key: str, scenario: Scenario) -> None:
    coordinator = world.users[f"coord_{key}"]
    term = terms.create_term(session, actor=coordinator, scenario=scenario)
    world.terms[key], world.scenarios[key] = term, scenario
    run = SolveRunRow(term_id=term.id or 0, status="succeeded", time_limit_s=10, workers=1, seed=0)
    session.add(run)
    session.flush()
    world.runs[key] = run.id or 0
    version = versions.record_schedule(
        session, term=term, scenario=scenario, schedule=tiny_schedule(), run=run
    )
    versions.publish_version(
        session, actor=coordinator, term_id=term.id or 0, version_id=version.id or 0, delivery=None
    )
    world.versions[key] = version.id or 0


def school_of(session: Session, user: UserRow) -> SchoolRow:
    school = session.get(SchoolRow, user.school_id)
    assert school is not None
    return school


def wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)


def add_blank_term(engine: Engine, world: World, term_id: str) -> int:
    """An unscheduled term of school A (its coordinator's), so imports may replace its lists."""
    with new_session(engine) as session:
        term = terms.create_term(
            session,
            actor=world.users["coord_a"],
            scenario=scenario_of(tiny_document(id=term_id)),
        )
        session.commit()
        return term.id or 0


def record_draft(engine: Engine, world: World, schedule: Schedule, *, repair: bool) -> int:
    """A draft of school A's term, made by a repair run of the published version or not;
    its version id (a repair's draft is the minimum a publish is compared with)."""
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        run = None
        if repair:
            run = SolveRunRow(
                term_id=term.id or 0,
                status="succeeded",
                time_limit_s=5,
                workers=1,
                seed=0,
                parameters={"previous_version": world.versions["a"], "full_repair": False},
            )
            session.add(run)
            session.flush()
        version = versions.record_schedule(
            session,
            term=term,
            scenario=term_rows.current_scenario(session, term),
            schedule=schedule,
            run=run,
        )
        session.commit()
        return version.id or 0


def solved_seat_short_term(
    database_url: str, engine: Engine, world: World, *, name: str
) -> tuple[int, int]:
    """A seat-short term of school A (id NAME-<clock>) solved by the run's job body in this
    process: the term's id and its version's."""
    document = seat_short_document(id=f"{name}-{time.monotonic_ns()}")
    actor = world.users["coord_a"]
    with new_session(engine) as session:
        term = terms.create_term(session, actor=actor, scenario=scenario_of(document))
        session.commit()
        run = solve_runs.start_solve_run(
            session,
            actor=actor,
            term_id=term.id or 0,
            runner=RecordingRunner(),
            limits=solve_runs.RunLimits(workers=1),
            time_limit_s=10,
        )
        session.commit()
    solve_runs.run_job(database_url, run.id)
    with new_session(engine) as session:
        version = session.exec(
            select(ScheduleVersionRow).where(col(ScheduleVersionRow.run_id) == run.id)
        ).one()
        return term.id or 0, version.id or 0


def disclosures_to(engine: Engine, user: UserRow, resource: str) -> list[DisclosureRow]:
    """The disclosure rows written for `user` as recipient of `resource` (e.g. partner.feed)."""
    with new_session(engine) as session:
        query = select(DisclosureRow).where(
            col(DisclosureRow.recipient_user_id) == user.id,
            col(DisclosureRow.resource) == resource,
        )
        return list(session.exec(query).all())
