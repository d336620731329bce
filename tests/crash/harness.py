"""The kill -9 harness: a real server process to kill, and the invariants to check after.

`ServerProcess` runs `crash_server.py` (uvicorn serving the app factory on a free loopback
port) against a test database, optionally with a kill point armed (`crash_hooks`).
`check_database` opens the database directly after a crash and lists every broken
invariant; `Ledger` remembers what the server acknowledged before it died, so that
committed work can be proved to survive.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from scheduler.db.engine import is_sqlite, make_engine, new_session
from scheduler.db.migrate import current_revision, head_revision
from scheduler.db.tables import (
    ActivityRow,
    AssignmentRow,
    AuditRow,
    FacilitatorRow,
    OutboxMessageRow,
    PeriodRow,
    PlacementRequirementRow,
    ProfessionRow,
    ProgramCalendarRow,
    RoomRow,
    ScheduleVersionRow,
    SessionRow,
    SiteRow,
    SlotRow,
    SolveRunRow,
    StudentRow,
    TermRow,
)
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import validate_schedule
from scheduler.services.term_rows import current_scenario, stored_scenario
from scheduler.services.versions import version_schedule

HERE = Path(__file__).resolve().parent
SERVER = HERE / "crash_server.py"
START_TIMEOUT_S = 30.0
DEATH_TIMEOUT_S = 30.0


# ---- the server process ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Zygote:
    """`crash_server.py --zygote`: forks ready-imported servers on request."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--zygote"],
            cwd=HERE,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the zygote died ({self.process.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


class ServerProcess:
    """A forked server on a free port; `kill` is a real SIGKILL."""

    def __init__(
        self,
        zygote: Zygote,
        database_url: str,
        log: Path,
        *,
        crash_at: str | None = None,
        worker_crash_at: str | None = None,
    ) -> None:
        self.zygote = zygote
        self.port = free_port()
        self.exit: int | None = None
        self.pid: int = zygote.ask(
            do="start",
            url=database_url,
            port=self.port,
            crash_at=crash_at,
            worker_crash_at=worker_crash_at,
            log=str(log),
        )["pid"]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60.0)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                if self.ended(0) is not None:
                    raise AssertionError(f"server exited on start ({self.exit})") from None
                time.sleep(0.05)
        raise AssertionError("server did not come up")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """The response, or None when the server died before answering."""
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TransportError:
            return None

    def ended(self, timeout: float) -> int | None:
        """The exit code once the server has ended (within `timeout`), else None."""
        if self.exit is None:
            self.exit = self.zygote.ask(do="wait", pid=self.pid, timeout=timeout)["exit"]
        return self.exit

    def died_of_sigkill(self, timeout: float = DEATH_TIMEOUT_S) -> bool:
        return self.ended(timeout) == -signal.SIGKILL

    def kill(self) -> None:
        """kill -9 (its solve workers are left to die on their own, as in a real crash)."""
        if self.exit is None:
            self.exit = self.zygote.ask(do="kill", pid=self.pid)["exit"]
        self.client.close()


@contextmanager
def server(
    zygote: Zygote, database_url: str, log: Path, **kill_points: str | None
) -> Iterator[ServerProcess]:
    """A server that is killed (if still alive) when the block ends."""
    process = ServerProcess(zygote, database_url, log, **kill_points)
    try:
        yield process
    finally:
        process.kill()


# ---- what the server acknowledged ------------------------------------------------------


@dataclass
class Ledger:
    """Work the server confirmed (a 2xx answer came back): it must survive any later crash."""

    terms: dict[str, int] = field(default_factory=dict)
    """term code -> students in the imported document"""
    versions: set[int] = field(default_factory=set)
    published: set[int] = field(default_factory=set)
    runs: set[int] = field(default_factory=set)


# ---- the invariants --------------------------------------------------------------------


def check_database(database_url: str, ledger: Ledger | None = None) -> list[str]:
    """Every broken invariant of the database at `database_url` (empty: consistent)."""
    engine = make_engine(database_url)
    try:
        problems = _storage_problems(engine, database_url)
        with new_session(engine) as session:
            for term in session.exec(select(TermRow)).all():
                problems += _term_problems(session, term)
            problems += _version_problems(session)
            problems += _run_problems(session)
            problems += _outbox_problems(session)
            problems += _ledger_problems(session, ledger or Ledger())
        return problems
    finally:
        engine.dispose()


def _storage_problems(engine: Engine, database_url: str) -> list[str]:
    problems = []
    if current_revision(engine) != head_revision():
        problems.append(f"schema at {current_revision(engine)}, not {head_revision()}")
    if not is_sqlite(database_url):
        return problems
    with engine.connect() as connection:
        integrity = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
        dangling = connection.execute(text("PRAGMA foreign_key_check")).all()
    if integrity != ["ok"]:
        problems.append(f"integrity_check: {integrity}")
    if dangling:
        problems.append(f"foreign_key_check: {dangling}")
    return problems


def expected_entities(scenario: Scenario) -> dict[str, int]:
    """Rows per entity table that importing `scenario` writes."""
    return {
        ProfessionRow.__tablename__: len(scenario.professions),
        StudentRow.__tablename__: len(scenario.students),
        ProgramCalendarRow.__tablename__: len(scenario.program_calendars),
        RoomRow.__tablename__: len(scenario.rooms),
        FacilitatorRow.__tablename__: len(scenario.facilitators),
        ActivityRow.__tablename__: len(scenario.activities),
        SessionRow.__tablename__: sum(len(a.sessions) for a in scenario.activities),
        SiteRow.__tablename__: len(scenario.sites),
        PeriodRow.__tablename__: len(scenario.periods),
        SlotRow.__tablename__: len(scenario.slots),
        PlacementRequirementRow.__tablename__: len(scenario.placement_requirements),
    }


ENTITY_TABLES: tuple[Any, ...] = (
    ProfessionRow,
    StudentRow,
    ProgramCalendarRow,
    RoomRow,
    FacilitatorRow,
    ActivityRow,
    SessionRow,
    SiteRow,
    PeriodRow,
    SlotRow,
    PlacementRequirementRow,
)


def _term_problems(session: Session, term: TermRow) -> list[str]:
    """A term is there whole: every entity of its document has its row, and its audit."""
    expected = expected_entities(stored_scenario(term))
    problems = []
    for table in ENTITY_TABLES:
        query = select(func.count()).select_from(table).where(col(table.term_id) == term.id)
        stored = session.exec(query).one()
        if stored != expected[table.__tablename__]:
            problems.append(
                f"term {term.code}: {stored} {table.__tablename__} rows, "
                f"document has {expected[table.__tablename__]}"
            )
    imported = len(_audits(session, "term.import", term.id, since=term.created_at))
    if imported != 1:
        problems.append(f"term {term.code}: {imported} term.import audit rows, not 1")
    return problems


def schedule_assignments(schedule: Schedule) -> Counter[tuple[str, str, str]]:
    """(student, kind, session or slot) of every assignment a schedule makes."""
    rows: Counter[tuple[str, str, str]] = Counter()
    for entry in schedule.sessions:
        for team in entry.teams:
            rows.update(("session", student, entry.session) for student in team.students)
    rows.update(("placement", p.student, p.slot) for p in schedule.placements)
    return rows


def _stored_assignments(session: Session, version_id: int) -> Counter[tuple[str, str, str]]:
    query = (
        select(AssignmentRow.kind, StudentRow.ref, SessionRow.ref, SlotRow.ref)
        .join(StudentRow, col(StudentRow.id) == AssignmentRow.student_id)
        .outerjoin(SessionRow, col(SessionRow.id) == AssignmentRow.session_id)
        .outerjoin(SlotRow, col(SlotRow.id) == AssignmentRow.slot_id)
        .where(col(AssignmentRow.version_id) == version_id)
    )
    return Counter(
        (kind, student, session_ref or slot_ref or "")
        for kind, student, session_ref, slot_ref in session.exec(query).all()
    )


def _version_problems(session: Session) -> list[str]:
    """Each version has exactly its schedule's assignments; one intact published per term."""
    problems = []
    published: Counter[int] = Counter()
    for version in session.exec(select(ScheduleVersionRow)).all():
        schedule = version_schedule(version)
        if _stored_assignments(session, version.id or 0) != schedule_assignments(schedule):
            problems.append(f"version {version.id}: assignments differ from its schedule")
        if version.state not in ("draft", "published", "superseded"):
            problems.append(f"version {version.id}: state {version.state!r}")
        if (version.state == "draft") != (version.published_at is None):
            problems.append(f"version {version.id}: {version.state} with {version.published_at}")
        if version.state == "published":
            published[version.term_id] += 1
            term = session.get(TermRow, version.term_id)
            assert term is not None
            violations = validate_schedule(current_scenario(session, term), schedule)
            if violations:
                problems.append(f"published version {version.id} breaks rules: {violations}")
    problems += [f"term {t}: {n} published versions" for t, n in published.items() if n > 1]
    return problems


FINAL_RUN_STATES = ("succeeded", "failed", "cancelled")


def _run_problems(session: Session) -> list[str]:
    """A succeeded run has its one version; any other run has none."""
    problems = []
    for run in session.exec(select(SolveRunRow)).all():
        made = session.exec(
            select(func.count())
            .select_from(ScheduleVersionRow)
            .where(col(ScheduleVersionRow.run_id) == run.id)
        ).one()
        if made != (1 if run.status == "succeeded" else 0):
            problems.append(f"run {run.id}: {run.status} with {made} versions")
        if run.status in FINAL_RUN_STATES and run.finished_at is None:
            problems.append(f"run {run.id}: {run.status} without finished_at")
    return problems


def _outbox_problems(session: Session) -> list[str]:
    """Messages exist exactly for committed publishes, as many as the publish counted."""
    problems = []
    for version in session.exec(select(ScheduleVersionRow)).all():
        messages = session.exec(
            select(OutboxMessageRow).where(col(OutboxMessageRow.version_id) == version.id)
        ).all()
        publishes = _audits(session, "version.publish", version.id, since=version.created_at)
        if version.published_at is None:
            if messages or publishes:
                problems.append(f"draft version {version.id} has messages or a publish record")
            continue
        if len(publishes) != 1:
            problems.append(f"version {version.id}: {len(publishes)} publish records, not 1")
            continue
        students = sum(1 for m in messages if m.recipient_kind == "student")
        if students != publishes[0].detail["students_affected"]:
            problems.append(
                f"version {version.id}: {students} student messages, publish counted "
                f"{publishes[0].detail['students_affected']}"
            )
        problems += [
            f"message {m.id}: state {m.state!r}"
            for m in messages
            if m.state not in ("pending", "sending", "sent", "in_app", "failed")
        ]
    return problems


def _audits(
    session: Session, action: str, entity_id: int | None, *, since: datetime
) -> list[AuditRow]:
    """Audit rows of an entity, from its creation on (SQLite reuses a deleted row's id)."""
    query = select(AuditRow).where(
        col(AuditRow.action) == action,
        col(AuditRow.entity_id) == entity_id,
        col(AuditRow.at) >= since,
    )
    return list(session.exec(query).all())


def _ledger_problems(session: Session, ledger: Ledger) -> list[str]:
    problems = []
    for code, students in ledger.terms.items():
        term = session.exec(select(TermRow).where(col(TermRow.code) == code)).first()
        if term is None:
            problems.append(f"acknowledged term {code} is gone")
        elif len(stored_scenario(term).students) != students:
            problems.append(f"acknowledged term {code} changed its students")
    for version_id in ledger.versions | ledger.published:
        version = session.get(ScheduleVersionRow, version_id)
        if version is None:
            problems.append(f"acknowledged version {version_id} is gone")
        elif version_id in ledger.published and version.published_at is None:
            problems.append(f"acknowledged publish of version {version_id} is lost")
    for run_id in ledger.runs:
        if session.get(SolveRunRow, run_id) is None:
            problems.append(f"acknowledged run {run_id} is gone")
    return problems


def run_statuses(database_url: str) -> dict[int, str]:
    """Every solve run's status, read directly."""
    engine = make_engine(database_url)
    try:
        with new_session(engine) as session:
            return {run.id or 0: run.status for run in session.exec(select(SolveRunRow)).all()}
    finally:
        engine.dispose()


def document_json(document: dict[str, Any]) -> str:
    return json.dumps(document)
