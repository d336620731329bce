"""Repair after a change, end to end: a partner declines, the coordinator starts a repair
run against the published version, the job saves a draft that keeps everything else, its
diff names who is affected, and publishing it tells them (through the API as well)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import (
    RecordingRunner,
    World,
    build_world,
    make_client,
    scenario_of,
    tiny_document,
    tiny_schedule,
)
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.db.tables import ScheduleVersionRow, SlotRow, SolveRunRow, TermRow
from scheduler.domain.diff import diff_schedules
from scheduler.services import outbox, repairs, slots, solve_runs, terms, versions
from scheduler.services.errors import Conflict, NotFound


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, runner=RecordingRunner())


def new_term(session: Session, world: World, *, publish: bool = True) -> TermRow:
    scenario = scenario_of(tiny_document(id=f"repair-{time.monotonic_ns()}"))
    term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario)
    if publish:
        schedule = tiny_schedule().model_copy(update={"term": term.code})
        version = versions.record_schedule(session, term=term, scenario=scenario, schedule=schedule)
        versions.publish_version(
            session,
            actor=world.users["coord_a"],
            term_id=term.id or 0,
            version_id=version.id or 0,
            delivery=None,
        )
    session.commit()
    return term


def decline(session: Session, world: World, term: TermRow, slot_ref: str) -> None:
    slot = session.exec(
        select(SlotRow).where(col(SlotRow.term_id) == term.id, col(SlotRow.ref) == slot_ref)
    ).one()
    slots.respond_to_slot(
        session,
        actor=world.users["partner_a"],
        slot_id=slot.id or 0,
        decision="decline",
        reason="no preceptor",
    )
    session.commit()


def start(session: Session, world: World, term: TermRow) -> SolveRunRow:
    view = repairs.start_repair_run(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        runner=RecordingRunner(),
        limits=solve_runs.RunLimits(default_time_limit_s=10, workers=1),
    )
    session.commit()
    run = session.get(SolveRunRow, view.id)
    assert run is not None
    return run


def test_a_repair_needs_something_published(session: Session, world: World) -> None:
    term = new_term(session, world, publish=False)
    with pytest.raises(Conflict):
        start(session, world, term)


def test_the_repair_job_keeps_everyone_but_the_declined_seats_holders(
    database_url: str, session: Session, world: World
) -> None:
    term = new_term(session, world)
    published = session.exec(
        select(ScheduleVersionRow).where(
            col(ScheduleVersionRow.term_id) == term.id, col(ScheduleVersionRow.state) == "published"
        )
    ).one()
    decline(session, world, term, "SL-A1")
    run = start(session, world, term)
    assert run.parameters["previous_version"] == published.id
    assert run.parameters["objectives"][:2] == ["coverage", "stability"]
    solve_runs.run_job(database_url, run.id or 0)
    session.refresh(run)
    assert run.status == "succeeded", run.error
    draft = session.exec(
        select(ScheduleVersionRow).where(col(ScheduleVersionRow.run_id) == run.id)
    ).one()
    schedule = versions.version_schedule(draft)
    stability = next(o for o in schedule.objectives if o.name == "stability")
    diff = repairs.version_diff(
        session, actor=world.users["coord_a"], term_id=term.id or 0, version_id=draft.id or 0
    )
    holders = {p.student for p in tiny_schedule().placements if p.slot == "SL-A1"}
    assert holders <= set(diff.students)
    assert diff.changes == stability.value == stability.bound
    assert diff == diff_schedules(versions.version_schedule(published), schedule, sites_of=_sites())
    versions.publish_version(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        version_id=draft.id or 0,
        delivery=None,
    )
    session.commit()
    sent = outbox.term_outbox(session, actor=world.users["coord_a"], term_id=term.id or 0)
    assert {m.recipient_ref for m in sent if m.version_id == draft.id} >= holders


def test_previous_version_must_be_of_the_same_term(session: Session, world: World) -> None:
    term = new_term(session, world)
    other = session.exec(
        select(ScheduleVersionRow).where(col(ScheduleVersionRow.term_id) == world.terms["b"].id)
    ).first()
    assert other is not None
    with pytest.raises(NotFound):
        solve_runs.start_solve_run(
            session,
            actor=world.users["coord_a"],
            term_id=term.id or 0,
            runner=RecordingRunner(),
            limits=solve_runs.RunLimits(),
            previous_version=other.id,
        )
    session.rollback()


def test_the_api_starts_repairs_shows_diffs_and_messages(
    client: TestClient, session: Session, world: World
) -> None:
    term = new_term(session, world)
    coordinator = world.header("coord_a")
    started = client.post(f"/terms/{term.id}/repair-runs", headers=coordinator)
    assert started.status_code == 202, started.text
    published = session.exec(
        select(ScheduleVersionRow).where(
            col(ScheduleVersionRow.term_id) == term.id, col(ScheduleVersionRow.state) == "published"
        )
    ).one()
    diff = client.get(f"/terms/{term.id}/versions/{published.id}/diff", headers=coordinator)
    assert diff.status_code == 200, diff.text
    assert diff.json()["changes"] == 0 and diff.json()["people_affected"] == 0
    assert client.get(f"/terms/{term.id}/outbox", headers=coordinator).status_code == 200
    mine = client.get("/me/messages", headers=world.header("student_a"))
    assert mine.status_code == 200
    assert any(m["term_id"] == term.id for m in mine.json())
    partner = client.get("/partner/messages", headers=world.header("partner_a"))
    assert partner.status_code == 200
    assert client.get("/me/messages", headers=world.header("partner_a")).status_code == 403
    assert (
        client.get(f"/terms/{term.id}/outbox", headers=world.header("coord_b")).status_code == 404
    )


def _sites() -> dict[str, str]:
    return {slot.id: slot.site for slot in scenario_of(tiny_document()).slots}


def test_a_repair_run_takes_full_repair_as_the_readme_says(
    client: TestClient, session: Session, world: World
) -> None:
    term = new_term(session, world)
    coordinator = world.header("coord_a")
    full = client.post(
        f"/terms/{term.id}/repair-runs", headers=coordinator, json={"full_repair": True}
    )
    assert full.status_code == 202, full.text
    assert full.json()["parameters"]["full_repair"] is True
    finish(session, full.json()["id"])
    local = client.post(f"/terms/{term.id}/repair-runs", headers=coordinator, json={})
    assert local.status_code == 202, local.text
    assert local.json()["parameters"]["full_repair"] is False
    finish(session, local.json()["id"])


def finish(session: Session, run_id: int) -> None:
    """The recording runner starts nothing: end the run so the school may start another."""
    run = session.get(SolveRunRow, run_id)
    assert run is not None
    session.refresh(run)
    run.status = "cancelled"
    session.add(run)
    session.commit()
