"""Seat requests through the API: the coordinator asks, the partner of that site (only)
answers once with an offer that becomes an `offered` slot, or a refusal; supply against
demand per site, profession and period."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client, row_counts
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, SlotRow


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def _ask(client: TestClient, world: World, term: int, **change: object) -> dict:
    body = {"site": "SITE-A", "profession": "NURS", "period": "P1", "seats": 3} | change
    response = client.post(
        f"/terms/{term}/slot-requests", json=body, headers=world.header("coord_a")
    )
    return response.json() | {"status": response.status_code}


def test_request_offer_becomes_a_slot(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"req-{uuid.uuid4().hex[:6]}")
    asked = _ask(client, world, term)
    assert asked["status"] == 201 and asked["state"] == "requested"
    with new_session(engine) as session:
        told = session.exec(
            select(OutboxMessageRow).where(col(OutboxMessageRow.recipient_kind) == "slot_request")
        ).all()
        assert world.users["partner_a"].id in {m.user_id for m in told}
        assert world.users["partner_a2"].id not in {m.user_id for m in told}
    theirs = client.get("/partner/requests", headers=world.header("partner_a")).json()
    assert asked["id"] in {r["id"] for r in theirs}
    others = client.get("/partner/requests", headers=world.header("partner_a2")).json()
    assert asked["id"] not in {r["id"] for r in others}
    wrong_site = client.post(
        f"/partner/requests/{asked['id']}/answer",
        json={"decision": "offer", "seats": 2},
        headers=world.header("partner_a2"),
    )
    assert wrong_site.status_code == 404
    no_seats = client.post(
        f"/partner/requests/{asked['id']}/answer",
        json={"decision": "offer"},
        headers=world.header("partner_a"),
    )
    assert no_seats.status_code == 422
    assert no_seats.json()["error"]["details"][0]["path"] == "seats"
    offered = client.post(
        f"/partner/requests/{asked['id']}/answer",
        json={"decision": "offer", "seats": 2, "language": "es", "notes": "Tue/Thu only"},
        headers=world.header("partner_a"),
    )
    assert offered.status_code == 200, offered.text
    slot_ref = offered.json()["slot"]
    with new_session(engine) as session:
        slot = session.exec(
            select(SlotRow).where(col(SlotRow.term_id) == term, col(SlotRow.ref) == slot_ref)
        ).one()
        assert (slot.capacity, slot.status, slot.language) == (2, "offered", "es")
    again = client.post(
        f"/partner/requests/{asked['id']}/answer",
        json={"decision": "refuse"},
        headers=world.header("partner_a"),
    )
    assert again.status_code == 409
    supply = client.get(f"/terms/{term}/supply", headers=world.header("coord_a")).json()
    line = next(
        x
        for x in supply["lines"]
        if (x["site"], x["profession"], x["period"]) == ("SITE-A", "NURS", "P1")
    )
    assert line["requested"] == 3 and line["offered"] >= 2
    nurs = next(d for d in supply["demand"] if d["profession"] == "NURS")
    assert nurs["gap"] == max(0, nurs["needed"] - nurs["offered"])


def test_refusal_and_bad_requests(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"req-{uuid.uuid4().hex[:6]}")
    before = row_counts(engine)
    bad = _ask(client, world, term, site="NOPE", period="P9", profession="ZZ")
    assert bad["status"] == 422
    assert {d["path"] for d in bad["error"]["details"]} == {"site", "period", "profession"}
    assert row_counts(engine) == before
    asked = _ask(client, world, term, seats=1)
    refused = client.post(
        f"/partner/requests/{asked['id']}/answer",
        json={"decision": "refuse", "notes": "No preceptor this term"},
        headers=world.header("partner_a"),
    )
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    listed = client.get(f"/terms/{term}/slot-requests", headers=world.header("coord_a")).json()
    assert listed[0]["notes"] == "No preceptor this term"
