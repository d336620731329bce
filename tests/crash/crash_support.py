"""Setup for the kill -9 tests, done in-process and committed before any server starts:
a coordinator with a token, terms, draft and published versions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from service_support import bearer, scenario_of, tiny_document, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import ScheduleVersionRow, SolveRunRow, TermRow, UserRow
from scheduler.db.types import utcnow
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services import auth, term_rows, terms, versions
from scheduler.synthetic import generate_term


@dataclass(frozen=True)
class Coordinator:
    user_id: int
    headers: dict[str, str]


def make_coordinator(engine: Engine) -> Coordinator:
    tag = uuid.uuid4().hex[:8]
    with new_session(engine) as session:
        school = auth.get_or_create_school(session, name=f"Crash school {tag}")
        user = auth.save_user(
            session,
            school=school,
            email=f"coord-{tag}@example.test",
            name=f"Coordinator {tag}",
            role="coordinator",
            password=None,
        )
        issued = auth.issue_token(session, user=user, kind=auth.LOGIN, ttl=timedelta(hours=2))
        session.commit()
        return Coordinator(user_id=user.id or 0, headers=bearer(issued.token))


def unique_code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def tiny(code: str) -> dict[str, Any]:
    return tiny_document(id=code, name=f"Crash term {code}")


def synthetic(code: str, students: int = 60) -> Scenario:
    """A term big enough that solving it runs until the time limit."""
    scenario = generate_term(students=students, seed=3)
    term = scenario.term.model_copy(update={"id": code})
    return scenario.model_copy(update={"term": term})


def add_term(engine: Engine, coordinator: Coordinator, scenario: Scenario) -> int:
    with new_session(engine) as session:
        actor = _user(session, coordinator)
        term = terms.create_term(session, actor=actor, scenario=scenario)
        session.commit()
        return term.id or 0


def add_version(
    engine: Engine,
    coordinator: Coordinator,
    term_id: int,
    schedule: Schedule,
    *,
    publish: bool = False,
) -> int:
    """A draft of `schedule` saved by a finished run (published at once if asked)."""
    with new_session(engine) as session:
        term = session.get(TermRow, term_id)
        assert term is not None
        run = SolveRunRow(
            term_id=term_id,
            status="succeeded",
            time_limit_s=5,
            workers=1,
            seed=0,
            finished_at=utcnow(),
        )
        session.add(run)
        session.flush()
        scenario = term_rows.current_scenario(session, term)
        version = versions.record_schedule(
            session, term=term, scenario=scenario, schedule=schedule, run=run
        )
        if publish:
            actor = _user(session, coordinator)
            versions.publish_version(
                session, actor=actor, term_id=term_id, version_id=version.id or 0, delivery=None
            )
        session.commit()
        return version.id or 0


def tiny_term_with_versions(
    engine: Engine, coordinator: Coordinator, *, published: int, drafts: int = 1
) -> tuple[int, list[int]]:
    """A tiny term with versions of the tiny schedule: `published` published in turn (the
    last one stays published), then `drafts` drafts; returns the term and version ids."""
    code = unique_code("pub")
    term_id = add_term(engine, coordinator, scenario_of(tiny(code)))
    schedule = tiny_schedule().model_copy(update={"term": code})
    return term_id, [
        add_version(engine, coordinator, term_id, schedule, publish=i < published)
        for i in range(published + drafts)
    ]


def term_id_of(engine: Engine, code: str) -> int | None:
    with new_session(engine) as session:
        return session.exec(select(TermRow.id).where(col(TermRow.code) == code)).first()


def count_rows(engine: Engine, table: Any, term_id: int) -> int:
    with new_session(engine) as session:
        return len(session.exec(select(table.id).where(col(table.term_id) == term_id)).all())


def version_state(engine: Engine, version_id: int) -> str | None:
    with new_session(engine) as session:
        version = session.get(ScheduleVersionRow, version_id)
        return version.state if version else None


def run_row(engine: Engine, run_id: int) -> SolveRunRow:
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        return run


def _user(session: Session, coordinator: Coordinator) -> UserRow:
    user = session.get(UserRow, coordinator.user_id)
    assert user is not None
    return user
