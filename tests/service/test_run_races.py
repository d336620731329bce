"""Starts and saves that race: the run caps and version numbers hold under real threads.

Each thread has its own session (its own database connection) and all of them start at
a barrier, on SQLite and on PostgreSQL. Before the caps were kept by unique indexes, 15 of
20 simultaneous starts got in under caps of 2 per school and 4 in all, two runs of one
term were accepted, and their saves collided on the version number.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from service_support import (
    RecordingRunner,
    World,
    build_world,
    scenario_of,
    tiny_document,
    tiny_schedule,
)
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.repositories import ACTIVE_RUN_STATES
from scheduler.db.tables import ScheduleVersionRow, SolveRunRow, TermRow
from scheduler.services import solve_runs, terms, versions
from scheduler.services.errors import Conflict, ServiceError, TooManyRequests

LIMITS = solve_runs.RunLimits(max_active_per_school=2, max_active=3)


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture(autouse=True)
def no_runs_left_active(engine: Engine) -> Any:
    """Each test starts with every cap free."""
    yield
    with new_session(engine) as session:
        session.exec(
            update(SolveRunRow)  # type: ignore[call-overload]
            .where(col(SolveRunRow.status).in_(ACTIVE_RUN_STATES))
            .values(status="cancelled")
        )
        session.commit()


def new_terms(engine: Engine, world: World, school: str, count: int) -> list[int]:
    ids = []
    with new_session(engine) as session:
        for _ in range(count):
            document = tiny_document(id=f"race-{time.monotonic_ns()}")
            term = terms.create_term(
                session, actor=world.users[f"coord_{school}"], scenario=scenario_of(document)
            )
            ids.append(term.id or 0)
        session.commit()
    return ids


def all_at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Run every job in a thread of its own, released together; results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def body(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except Exception as error:  # noqa: BLE001 - the test sorts what came back
            results[index] = error

    threads = [threading.Thread(target=body, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def starter(engine: Engine, world: World, school: str, term_id: int) -> Callable[[], object]:
    def start() -> object:
        with new_session(engine) as session:
            view = solve_runs.start_solve_run(
                session,
                actor=world.users[f"coord_{school}"],
                term_id=term_id,
                runner=RecordingRunner(),
                limits=LIMITS,
            )
            session.commit()
            return view

    return start


def active_by_school(engine: Engine, world: World) -> Counter[str]:
    schools = {world.users[f"coord_{key}"].school_id: key for key in ("a", "b")}
    with new_session(engine) as session:
        query = (
            select(TermRow.school_id)
            .join(SolveRunRow, col(SolveRunRow.term_id) == TermRow.id)
            .where(col(SolveRunRow.status).in_(ACTIVE_RUN_STATES))
        )
        return Counter(schools[school] for school in session.exec(query).all())


def test_twenty_simultaneous_starts_get_exactly_the_caps(engine: Engine, world: World) -> None:
    jobs = [starter(engine, world, "a", t) for t in new_terms(engine, world, "a", 10)]
    jobs += [starter(engine, world, "b", t) for t in new_terms(engine, world, "b", 10)]
    results = all_at_once(jobs)
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, TooManyRequests) for r in refused), refused
    assert {r.code for r in refused if isinstance(r, ServiceError)} <= {
        "too_many_runs",
        "service_busy",
    }
    assert len(accepted) == LIMITS.max_active, results
    per_school = active_by_school(engine, world)
    assert sum(per_school.values()) == LIMITS.max_active
    assert max(per_school.values()) <= LIMITS.max_active_per_school


def test_simultaneous_starts_of_one_term_accept_one(engine: Engine, world: World) -> None:
    (term_id,) = new_terms(engine, world, "a", 1)
    results = all_at_once([starter(engine, world, "a", term_id) for _ in range(8)])
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 7, results
    assert all(isinstance(r, Conflict) and r.code == "run_active" for r in refused), refused
    with new_session(engine) as session:
        runs = session.exec(select(SolveRunRow).where(col(SolveRunRow.term_id) == term_id)).all()
    assert len(runs) == 1


def test_a_finished_run_frees_its_seat(engine: Engine, world: World) -> None:
    term_ids = new_terms(engine, world, "a", 3)
    first, second = (starter(engine, world, "a", t)() for t in term_ids[:2])
    with pytest.raises(TooManyRequests):
        starter(engine, world, "a", term_ids[2])()
    with new_session(engine) as session:
        session.exec(
            update(SolveRunRow)  # type: ignore[call-overload]
            .where(col(SolveRunRow.id) == first.id)  # type: ignore[attr-defined]
            .values(status="succeeded")
        )
        session.commit()
    assert starter(engine, world, "a", term_ids[2])() is not None
    assert second is not None


def test_the_database_refuses_a_second_active_run_of_a_term(engine: Engine, world: World) -> None:
    """Even a writer that skips the service cannot store two active runs of one term."""
    (term_id,) = new_terms(engine, world, "a", 1)
    with new_session(engine) as session:
        for _ in range(2):
            session.add(SolveRunRow(term_id=term_id, time_limit_s=1, workers=1, seed=0))
        with pytest.raises(IntegrityError):
            session.commit()


def test_simultaneous_saves_of_one_term_get_distinct_numbers(engine: Engine, world: World) -> None:
    (term_id,) = new_terms(engine, world, "a", 1)
    scenario = scenario_of(tiny_document())

    def save() -> int:
        with new_session(engine) as session:
            term = session.get_one(TermRow, term_id)
            version = versions.record_schedule(
                session, term=term, scenario=scenario, schedule=tiny_schedule()
            )
            session.commit()
            return version.number

    results = all_at_once([save for _ in range(6)])
    assert sorted(results) == [1, 2, 3, 4, 5, 6], results  # type: ignore[type-var]
    with new_session(engine) as session:
        query = select(ScheduleVersionRow.number).where(col(ScheduleVersionRow.term_id) == term_id)
        assert sorted(session.exec(query).all()) == [1, 2, 3, 4, 5, 6]


def test_a_save_the_database_refuses_fails_the_run_not_as_a_crash(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    (term_id,) = new_terms(engine, world, "a", 1)
    run_view = starter(engine, world, "a", term_id)()
    run_id = run_view.id  # type: ignore[attr-defined]

    def collide(*_: object, **__: object) -> None:
        raise IntegrityError("INSERT INTO schedule_version", {}, Exception("duplicate number"))

    monkeypatch.setattr(solve_runs, "record_schedule", collide)
    solve_runs.run_job(str(engine.url.render_as_string(hide_password=False)), run_id)
    with new_session(engine) as session:
        run = session.get_one(SolveRunRow, run_id)
    assert run.status == "failed"
    assert run.error is not None
    assert "could not be saved" in run.error and "duplicate number" in run.error
    assert "crashed" not in run.error
