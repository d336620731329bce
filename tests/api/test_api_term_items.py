"""Editing a term item by item through the API: checked like an import, nothing written on
a problem, rows kept in place, removals of scheduled items refused, edits after
publication recorded, new students invited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client, row_counts
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import SiteRow, SlotRow, TermRow
from scheduler.services import term_rows


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def _blank(engine: Engine, world: World) -> int:
    return add_blank_term(engine, world, f"edit-{uuid.uuid4().hex[:6]}")


def test_room_add_edit_remove(client: TestClient, world: World, engine: Engine) -> None:
    term = _blank(engine, world)
    h = world.header("coord_a")
    added = client.post(f"/terms/{term}/items/rooms", json={"id": "R9", "name": "Lab"}, headers=h)
    assert added.status_code == 201, added.text
    changed = client.put(
        f"/terms/{term}/items/rooms/R9", json={"name": "Lab 2", "accessible": True}, headers=h
    )
    assert changed.status_code == 200 and changed.json()["item"]["name"] == "Lab 2"
    listed = client.get(f"/terms/{term}/items/rooms", headers=h).json()
    assert {"id": "R9", "name": "Lab 2", "accessible": True} in listed
    assert client.delete(f"/terms/{term}/items/rooms/R9", headers=h).status_code == 204
    assert "R9" not in {r["id"] for r in client.get(f"/terms/{term}/items/rooms", headers=h).json()}
    with new_session(engine) as session:
        stored = term_rows.stored_scenario(session.get(TermRow, term))  # type: ignore[arg-type]
        assert "R9" not in {r.id for r in stored.rooms}


def test_weekly_capacity_rows_by_position(client: TestClient, world: World, engine: Engine) -> None:
    term = _blank(engine, world)
    h = world.header("coord_a")
    base = f"/terms/{term}/items/weekly_capacities"
    added = client.post(base, json={"site": "SITE-A", "capacity": 1}, headers=h)
    assert added.status_code == 201, added.text
    assert added.json()["item"] == {"id": "1", "site": "SITE-A", "capacity": 1}
    bad = client.put(f"{base}/1", json={"site": "SITE-Z", "capacity": 1}, headers=h)
    assert bad.status_code == 422 and "site" in [d["path"] for d in bad.json()["error"]["details"]]
    changed = client.put(f"{base}/1", json={"site": "SITE-B", "capacity": 2}, headers=h)
    assert changed.status_code == 200, changed.text
    assert [(r["id"], r["site"]) for r in client.get(base, headers=h).json()] == [("1", "SITE-B")]
    assert client.delete(f"{base}/1", headers=h).status_code == 204
    assert client.get(base, headers=h).json() == []


def test_bad_items_name_the_field_and_write_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = _blank(engine, world)
    h = world.header("coord_a")
    before = row_counts(engine)
    bad_site = {"id": "S9", "name": "Far", "location": {"lat": 200, "lon": 0}}
    response = client.post(f"/terms/{term}/items/sites", json=bad_site, headers=h)
    assert response.status_code == 422
    assert "lat" in {d["path"] for d in response.json()["error"]["details"]}
    slot = {"id": "SL-9", "site": "NOPE", "period": "P1", "profession": "NURS", "capacity": 1}
    response = client.post(f"/terms/{term}/items/slots", json=slot, headers=h)
    assert response.status_code == 422, response.text
    assert "site" in {d["path"] for d in response.json()["error"]["details"]}
    session_item = {"activity": "NOPE", "id": "X1", "start": "2027-02-04T13:00"}
    response = client.post(f"/terms/{term}/items/sessions", json=session_item, headers=h)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "activity"
    twice = client.post(f"/terms/{term}/items/rooms", json={"id": "R1", "name": "x"}, headers=h)
    assert twice.status_code == 409
    assert row_counts(engine) == before


def test_new_student_is_invited(client: TestClient, world: World, engine: Engine) -> None:
    term = _blank(engine, world)
    email = f"new-{uuid.uuid4().hex[:6]}@students.example.edu"
    student = {"id": f"N{uuid.uuid4().hex[:4]}", "name": "Nova New", "profession": "NURS"}
    response = client.post(
        f"/terms/{term}/items/students",
        json=student | {"email": email},
        headers=world.header("coord_a"),
    )
    assert response.status_code == 201, response.text
    [invitation] = response.json()["invitations"]
    assert invitation["person"]["email"] == email and invitation["link"]


def test_edit_after_publication_keeps_rows_and_is_recorded(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = world.terms["a"].id
    h = world.header("coord_a")
    with new_session(engine) as session:
        before = session.exec(
            select(SlotRow).where(col(SlotRow.term_id) == term, col(SlotRow.ref) == "SL-A1")
        ).one()
    slot = next(
        s for s in client.get(f"/terms/{term}/items/slots", headers=h).json() if s["id"] == "SL-A1"
    )
    response = client.put(
        f"/terms/{term}/items/slots/SL-A1",
        json=slot | {"capacity": slot["capacity"] + 1},
        headers=h,
    )
    assert response.status_code == 200, response.text
    assert response.json()["recorded_for_repair"] is True
    with new_session(engine) as session:
        after = session.exec(
            select(SlotRow).where(col(SlotRow.term_id) == term, col(SlotRow.ref) == "SL-A1")
        ).one()
    assert after.id == before.id and after.capacity == before.capacity + 1
    assert after.version == before.version + 1
    edits = client.get(f"/terms/{term}/edits", headers=h).json()
    assert edits[0]["ref"] == "SL-A1" and edits[0]["action"] == "edit"
    refused = client.delete(f"/terms/{term}/items/students/T01", headers=h)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "item_in_use"
    assert client.get(f"/terms/{term}/students/T01", headers=h).status_code == 200


def test_nul_text_is_refused_naming_the_field(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = _blank(engine, world)
    response = client.post(
        f"/terms/{term}/items/rooms",
        json={"id": "R7", "name": "bad\u0000name"},
        headers=world.header("coord_a"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["path"] == "name"


def test_a_site_added_by_an_edit_keeps_its_address_in_the_rows(
    client: TestClient, world: World, engine: Engine
) -> None:
    """The edit builds rows as an import does (`term_rows`): the address reaches the site row
    that pages, feeds and messages read."""
    term = _blank(engine, world)
    h = world.header("coord_a")
    site = {
        "id": "S9",
        "name": "Harbor Clinic",
        "location": {"lat": 42.3, "lon": -71.0},
        "address": "1 Harbor Way, Boston, MA 02119",
    }
    assert client.post(f"/terms/{term}/items/sites", json=site, headers=h).status_code == 201
    with new_session(engine) as session:
        row = session.exec(
            select(SiteRow).where(col(SiteRow.term_id) == term, col(SiteRow.ref) == "S9")
        ).one()
        assert row.address == "1 Harbor Way, Boston, MA 02119"
