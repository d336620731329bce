"""The repair page: what changed since publication (partner responses, broken rules),
repair / full repair / re-solve buttons, the preview of a draft (who changes and why, the
objective levels before and after) and the confirmation a publish needs when it affects
more people than the repair's minimum."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, record_draft, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import PASSWORD, changed_schedule, post_form, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import ScheduleVersionRow, SlotRow, SolveRunRow
from scheduler.services import slots


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


def term_id(world: World) -> int:
    return world.terms["a"].id or 0


def holder_of(slot: str) -> str:
    return next(p.student for p in tiny_schedule().placements if p.slot == slot)


def decline(engine: Engine, world: World, slot_ref: str) -> None:
    with new_session(engine) as session:
        slot = session.exec(
            select(SlotRow).where(
                col(SlotRow.term_id) == term_id(world), col(SlotRow.ref) == slot_ref
            )
        ).one()
        slots.respond_to_slot(
            session,
            actor=world.users["partner_a2"],
            slot_id=slot.id or 0,
            decision="decline",
            reason="ward closed for works",
        )
        session.commit()


def test_the_page_shows_a_decline_since_publication_and_what_it_breaks(
    client: TestClient, engine: Engine, world: World
) -> None:
    decline(engine, world, "SL-B1")
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term_id(world)}/repair")
    assert page.status_code == 200, page.text
    assert "ward closed for works" in page.text and "SL-B1" in page.text
    name = world.scenarios["a"].students
    holder = next(s.name for s in name if s.id == holder_of("SL-B1"))
    assert "breaks 1 rule" in page.text and holder in page.text
    assert "1 student must change" in page.text


@pytest.mark.parametrize(
    ("mode", "previous", "full"),
    [("repair", True, False), ("full", True, True), ("resolve", False, False)],
)
def test_the_buttons_start_a_repair_a_full_repair_or_a_re_solve(
    client: TestClient, engine: Engine, world: World, mode: str, previous: bool, full: bool
) -> None:
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term_id(world)}/repair"
    response = post_form(client, page, page, mode=mode, time_limit_s="5")
    assert response.status_code == 303, response.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    with new_session(engine) as session:
        run = session.get(SolveRunRow, run_id)
        assert run is not None
        assert (run.parameters.get("previous_version") == world.versions["a"]) is previous
        assert bool(run.parameters.get("full_repair")) is full


def test_the_preview_names_each_change_and_the_levels_before_and_after(
    client: TestClient, engine: Engine, world: World
) -> None:
    version = record_draft(engine, world, changed_schedule(), repair=True)
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term_id(world)}/versions/{version}/changes")
    assert page.status_code == 200, page.text
    text = page.text
    assert '<dd id="people-affected">1</dd>' in text
    assert "Ana Reyes" in text and "Ben Okafor" in text, "T01 moves, T02 changes team"
    assert "Placement" in text and "you are now in team" in text
    for level in ("coverage", "preferences"):
        assert f'<th scope="row">{level}</th>' in text
    assert 'name="confirm"' not in text, "the repair itself is the minimum"


def test_publishing_more_people_than_the_repair_asks_first(
    client: TestClient, engine: Engine, world: World
) -> None:
    repair = record_draft(engine, world, tiny_schedule(), repair=True)  # changes nobody
    resolve = record_draft(engine, world, changed_schedule(), repair=False)
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term_id(world)}/versions/{resolve}/changes"
    shown = client.get(page).text
    assert 'name="confirm"' in shown and "the repair in version" in shown
    refused = post_form(client, page, f"/app/terms/{term_id(world)}/versions/{resolve}/publish")
    assert refused.status_code == 409
    assert "confirm" in refused.text
    with new_session(engine) as session:
        row = session.get(ScheduleVersionRow, resolve)
        assert row is not None and row.state == "draft"
    confirmed = post_form(
        client, page, f"/app/terms/{term_id(world)}/versions/{resolve}/publish", confirm="1"
    )
    assert confirmed.status_code == 303, confirmed.text
    with new_session(engine) as session:
        row = session.get(ScheduleVersionRow, resolve)
        assert row is not None and row.state == "published"
    assert repair != resolve
