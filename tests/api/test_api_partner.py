"""Partner workflow: confirm or decline a slot, idempotent repeats, one winner of a race,
the coordinator's view of responses, and publishing refused once a used slot is declined.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow, SlotRow
from scheduler.services import slots, versions
from scheduler.services.errors import Conflict


@pytest.fixture
def world(engine: Engine) -> World:
    """A world per test: each test moves slots through states of its own."""
    return build_world(engine)


def slot_id(engine: Engine, world: World, ref: str, school: str = "a") -> int:
    with new_session(engine) as session:
        query = select(SlotRow.id).where(
            col(SlotRow.term_id) == world.terms[school].id, col(SlotRow.ref) == ref
        )
        found = session.exec(query).first()
    assert found is not None
    return found


def respond(client: TestClient, world: World, slot: int, **body: Any) -> Any:
    return client.post(
        f"/partner/slots/{slot}/response", json=body, headers=world.header("partner_a")
    )


def test_confirm_then_repeat_is_idempotent(
    client: TestClient, engine: Engine, world: World
) -> None:
    slot = slot_id(engine, world, "SL-A2")
    first = respond(client, world, slot, decision="confirm")
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["version"]) == ("confirmed", 2)
    again = respond(client, world, slot, decision="confirm")
    assert again.status_code == 200
    assert again.json() == first.json()
    stale_but_same = respond(client, world, slot, decision="confirm", expected_version=1)
    assert stale_but_same.status_code == 200
    assert stale_but_same.json()["version"] == 2


def test_decline_needs_a_reason(client: TestClient, engine: Engine, world: World) -> None:
    response = respond(client, world, slot_id(engine, world, "SL-A2"), decision="decline")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "reason_required"
    assert error["details"][0]["path"] == "reason"


def test_a_stale_conflicting_call_gets_409(
    client: TestClient, engine: Engine, world: World
) -> None:
    slot = slot_id(engine, world, "SL-A2")
    confirmed = respond(client, world, slot, decision="confirm", expected_version=1)
    assert confirmed.status_code == 200
    declined = respond(
        client, world, slot, decision="decline", reason="no preceptor", expected_version=1
    )
    assert declined.status_code == 409
    assert declined.json()["error"]["code"] == "slot_version_conflict"
    fresh = respond(
        client, world, slot, decision="decline", reason="no preceptor", expected_version=2
    )
    assert (fresh.status_code, fresh.json()["status"]) == (200, "declined")


def test_two_concurrent_conflicting_calls_one_wins(
    client: TestClient, engine: Engine, world: World
) -> None:
    slot = slot_id(engine, world, "SL-A1")
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def call(decision: str) -> None:
        barrier.wait()
        response = respond(
            client, world, slot, decision=decision, reason="full", expected_version=1
        )
        results[decision] = response.status_code

    threads = [threading.Thread(target=call, args=(d,)) for d in ("confirm", "decline")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 409], results
    with new_session(engine) as session:
        row = session.get(SlotRow, slot)
        assert row is not None and row.version == 2


def test_the_version_column_decides_a_race_without_expected_version(
    engine: Engine, world: World
) -> None:
    """Both read version 1; the second compare-and-set finds version 2 and is refused."""
    slot = slot_id(engine, world, "SL-A1")
    partner = world.users["partner_a"]
    with new_session(engine) as first, new_session(engine) as second:
        assert first.get(SlotRow, slot) is not None
        late = second.get(SlotRow, slot)
        assert late is not None and late.version == 1
        slots.respond_to_slot(first, actor=partner, slot_id=slot, decision="decline", reason="x")
        first.commit()
        # `second` still holds version 1 in its identity map, as a racing request would.
        with pytest.raises(Conflict):
            slots.respond_to_slot(second, actor=partner, slot_id=slot, decision="confirm")
        second.rollback()


def test_coordinator_sees_responses_per_slot(
    client: TestClient, engine: Engine, world: World
) -> None:
    slot = slot_id(engine, world, "SL-A2")
    respond(client, world, slot, decision="confirm")
    respond(client, world, slot, decision="decline", reason="preceptor on leave")
    listed = client.get(f"/terms/{world.terms['a'].id}/slots", headers=world.header("coord_a"))
    by_ref = {s["ref"]: s for s in listed.json()}
    responses = by_ref["SL-A2"]["responses"]
    assert [(r["decision"], r["reason"]) for r in responses] == [
        ("decline", "preceptor on leave"),
        ("confirm", ""),
    ]
    assert responses[0]["responder"] == world.users["partner_a"].email
    assert by_ref["SL-A2"]["status"] == "declined"
    assert by_ref["SL-A1"]["responses"] == []
    with new_session(engine) as session:
        actions = session.exec(select(AuditRow.action).where(col(AuditRow.entity) == "slot")).all()
    assert {"slot.confirm", "slot.decline"} <= set(actions)


def test_declining_a_used_slot_blocks_publishing_that_schedule(
    client: TestClient, engine: Engine, world: World
) -> None:
    """A draft placing someone in a slot declined since is refused (409) at publish."""
    used = {p.slot for p in tiny_schedule().placements}
    ref = next(r for r in ("SL-A1", "SL-A2") if r in used)
    term_id = world.terms["a"].id
    # A second draft of the same schedule, made before the decline.
    with new_session(engine) as session:
        term = session.merge(world.terms["a"])
        draft = versions.record_schedule(
            session, term=term, scenario=world.scenarios["a"], schedule=tiny_schedule()
        )
        session.commit()
        draft_id = draft.id
    respond(client, world, slot_id(engine, world, ref), decision="decline", reason="closed")
    response = client.post(
        f"/terms/{term_id}/versions/{draft_id}/publish", headers=world.header("coord_a")
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "schedule_outdated"
    assert any(ref in d["message"] for d in error["details"])
    term = client.get(f"/terms/{term_id}", headers=world.header("coord_a")).json()
    assert term["published_version_id"] == world.versions["a"]


def test_partner_sees_only_name_profession_dates_and_site_needs(
    client: TestClient, engine: Engine, world: World
) -> None:
    listed = client.get("/partner/slots", headers=world.header("partner_a")).json()
    assert {s["ref"] for s in listed} == {"SL-A1", "SL-A2"}
    placed = [p for s in listed for p in s["placed"]]
    assert placed, "the tiny schedule places someone at SITE-A"
    assert all(set(p) == {"name", "profession", "start", "end", "needs"} for p in placed)
    with new_session(engine) as session:
        reads = session.exec(
            select(AuditRow).where(
                col(AuditRow.action) == "student.read",
                col(AuditRow.actor_id) == world.users["partner_a"].id,
            )
        ).all()
    assert len(reads) == len(placed)
