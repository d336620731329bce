"""What-if searches as jobs: started for a version (or one student), run by the job body,
their verified suggestions stored with progress; one applied as an audited edit of the
term, after which a re-solve meets more needs."""

from __future__ import annotations

import pytest
from service_support import (
    RecordingRunner,
    World,
    build_world,
    solved_seat_short_term,
)
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.db.tables import AuditRow, ScheduleVersionRow, SolveRunRow, TermRow
from scheduler.db.term_setup_tables import TermEditRow
from scheduler.domain.schedule import SetCapacity
from scheduler.services import solve_runs, term_edits, term_rows, versions, whatifs
from scheduler.services.errors import Conflict, Invalid, NotFound
from scheduler.services.solving import solve_scenario

LIMITS = solve_runs.RunLimits(workers=1)


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


def _solved_term(database_url: str, session: Session, world: World) -> tuple[TermRow, int]:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    term_id, version_id = solved_seat_short_term(database_url, engine, world, name="whatif")
    term = session.get(TermRow, term_id)
    assert term is not None
    return term, version_id


def _searched(
    database_url: str, session: Session, world: World, term: TermRow, version_id: int, **kw: object
) -> whatifs.WhatIfView:
    actor = world.users["coord_a"]
    runner = RecordingRunner()
    run = whatifs.start_whatif_run(
        session,
        actor=actor,
        term_id=term.id or 0,
        version_id=version_id,
        runner=runner,
        limits=LIMITS,
        time_limit_s=20,
        **kw,  # type: ignore[arg-type]
    )
    session.commit()
    assert runner.submitted == [run.id]
    solve_runs.run_job(database_url, run.id)
    session.expire_all()
    return whatifs.get_whatif(
        session,
        actor=actor,
        term_id=term.id or 0,
        run_id=run.id,
        runner=runner,
        stale_after_s=30,
    )


def _unmet(session: Session, term: TermRow) -> int:
    scenario = term_rows.current_scenario(session, term)
    outcome = solve_scenario(scenario=scenario, time_limit_s=10, workers=1, seed=0)
    assert outcome.trusted
    return len(outcome.schedule.unassigned)


def test_a_search_runs_as_a_job_and_applying_a_suggestion_meets_more_needs(
    database_url: str, session: Session, world: World
) -> None:
    term, version_id = _solved_term(database_url, session, world)
    found = _searched(database_url, session, world, term, version_id)
    assert found.run.status == "succeeded", found.run.error
    assert found.finished and found.run.version_id is None
    assert found.unmet == 2 and found.proposals and found.tried == found.proposals
    assert found.suggestions, "the seat-short term has a verified suggestion"
    seats = next(s for s in found.suggestions if s.suggestion.code == "add_seats")
    assert seats.suggestion.gain == 1 and seats.helps_names
    (change,) = seats.suggestion.changes
    assert change == SetCapacity(slot="SL-A1", capacity=2)
    before = _unmet(session, term)

    applied = whatifs.apply_suggestion(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        run_id=found.run.id,
        index=seats.index,
    )
    session.commit()
    assert applied.changes == [change] and applied.recorded is False
    scenario = term_rows.current_scenario(session, term)
    assert next(s.capacity for s in scenario.slots if s.id == "SL-A1") == 2
    assert _unmet(session, term) == before - 1
    actions = session.exec(select(AuditRow.action).where(col(AuditRow.term_id) == term.id)).all()
    assert {"whatif.start", "whatif.apply", "term.edit"} <= set(actions)
    again = whatifs.get_whatif(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        run_id=found.run.id,
        runner=RecordingRunner(),
        stale_after_s=30,
    )
    assert [s.applied for s in again.suggestions if s.index == seats.index] == [True]
    with pytest.raises(Conflict, match="already applied"):
        whatifs.apply_suggestion(
            session,
            actor=world.users["coord_a"],
            term_id=term.id or 0,
            run_id=found.run.id,
            index=seats.index,
        )


def test_an_edit_applied_while_published_is_recorded_for_repair(
    database_url: str, session: Session, world: World
) -> None:
    term, version_id = _solved_term(database_url, session, world)
    actor = world.users["coord_a"]
    versions.publish_version(
        session, actor=actor, term_id=term.id or 0, version_id=version_id, delivery=None
    )
    session.commit()
    found = _searched(database_url, session, world, term, version_id)
    first = found.suggestions[0]
    applied = whatifs.apply_suggestion(
        session, actor=actor, term_id=term.id or 0, run_id=found.run.id, index=first.index
    )
    session.commit()
    assert applied.recorded
    edits = session.exec(select(TermEditRow).where(col(TermEditRow.term_id) == term.id)).all()
    assert [(e.entity, e.version_number) for e in edits] == [("slot", 1)] * len(edits)
    assert edits and edits[0].detail["after"] is not None


def test_a_search_for_one_student_keeps_only_what_helps_them(
    database_url: str, session: Session, world: World
) -> None:
    term, version_id = _solved_term(database_url, session, world)
    version = session.get(ScheduleVersionRow, version_id)
    assert version is not None
    schedule = versions.version_schedule(version)
    placed = {p.student for p in schedule.placements}
    waiting = sorted(
        e.student for e in schedule.unassigned if e.requirement and e.student not in placed
    )
    found = _searched(database_url, session, world, term, version_id, student=waiting[0])
    assert found.student == waiting[0] and found.student_name
    assert found.unmet == 1
    assert all(waiting[0] in s.suggestion.helps for s in found.suggestions)


def test_bad_starts_are_refused(database_url: str, session: Session, world: World) -> None:
    term, version_id = _solved_term(database_url, session, world)
    actor = world.users["coord_a"]
    start = {"actor": actor, "term_id": term.id or 0, "runner": RecordingRunner(), "limits": LIMITS}
    with pytest.raises(Invalid) as error:
        whatifs.start_whatif_run(session, version_id=version_id, student="nobody", **start)
    assert error.value.details[0].path == "student"
    session.rollback()
    with pytest.raises(Invalid, match="at most"):
        whatifs.start_whatif_run(session, version_id=version_id, time_limit_s=10**6, **start)
    session.rollback()
    with pytest.raises(NotFound):
        whatifs.start_whatif_run(session, version_id=world.versions["b"], **start)
    session.rollback()
    run = session.exec(select(SolveRunRow).where(col(SolveRunRow.term_id) == term.id)).first()
    assert run is not None
    with pytest.raises(NotFound):
        whatifs.apply_suggestion(
            session, actor=actor, term_id=term.id or 0, run_id=run.id or 0, index=0
        )


def test_a_version_that_no_longer_fits_the_term_is_not_searched(
    database_url: str, session: Session, world: World
) -> None:
    term, version_id = _solved_term(database_url, session, world)
    actor = world.users["coord_a"]
    slot = term_edits.find_item(term_edits.current_document(session, term), "slots", "SL-A1")
    assert slot is not None
    term_edits.replace_item(
        session,
        actor=actor,
        term_id=term.id or 0,
        kind="slots",
        ref="SL-A1",
        item=dict(slot, capacity=0),
    )
    session.commit()
    with pytest.raises(Conflict) as error:
        whatifs.start_whatif_run(
            session,
            actor=actor,
            term_id=term.id or 0,
            version_id=version_id,
            runner=RecordingRunner(),
            limits=LIMITS,
        )
    assert error.value.code == "schedule_outdated"
