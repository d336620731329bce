"""Preference collection through the API: open a window, students rank allowed sites and
name sessions they cannot make, reminders, close (rankings into the scenario), late
changes refused with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, TermRow
from scheduler.services import term_rows

TODAY = date.today()


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def _window(client: TestClient, world: World, term: int, **change: object) -> dict:
    body = {
        "opens_on": str(TODAY - timedelta(days=1)),
        "closes_on": str(TODAY + timedelta(days=7)),
        "professions": ["NURS"],
        "ranks": 2,
    } | change
    response = client.put(
        f"/terms/{term}/preference-window", json=body, headers=world.header("coord_a")
    )
    return response.json() | {"status": response.status_code}


def test_rank_remind_close_and_refuse_late(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = add_blank_term(engine, world, f"pref-{uuid.uuid4().hex[:6]}")
    opened = _window(client, world, term)
    assert opened["status"] == 200 and opened["state"] == "open"
    mine = client.get("/me/preferences", headers=world.header("student_a")).json()
    view = next(v for v in mine if v["term_id"] == term)
    sites = [s["id"] for s in view["sites"]]
    assert sites and all("tags" in s and "distance_km" in s for s in view["sites"])
    session_ref = view["sessions"][0]["id"]
    too_many = client.put(
        f"/me/preferences/{term}",
        json={"sites": sites + ["NOPE", "X"]},
        headers=world.header("student_a"),
    )
    assert too_many.status_code == 422
    paths = {d["path"] for d in too_many.json()["error"]["details"]}
    assert "sites" in paths and any(p.startswith("sites[") for p in paths)
    saved = client.put(
        f"/me/preferences/{term}",
        json={"sites": sites[:1], "unavailable_sessions": [session_ref]},
        headers=world.header("student_a"),
    )
    assert saved.status_code == 200, saved.text
    listed = client.get(f"/terms/{term}/preferences", headers=world.header("coord_a")).json()
    by_ref = {s["student_ref"]: s for s in listed}
    assert by_ref["T01"]["submitted_at"] and by_ref["T01"]["sites"] == sites[:1]
    assert by_ref["T02"]["submitted_at"] is None
    reminded = client.post(
        f"/terms/{term}/preference-window/reminders", headers=world.header("coord_a")
    )
    assert reminded.json()["sent"] == len(listed) - 1
    with new_session(engine) as session:
        reminders = session.exec(
            select(OutboxMessageRow).where(col(OutboxMessageRow.recipient_kind) == "reminder")
        ).all()
        assert "T01" not in {r.recipient_ref for r in reminders}
    closed = client.post(f"/terms/{term}/preference-window/close", headers=world.header("coord_a"))
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    with new_session(engine) as session:
        stored = term_rows.stored_scenario(session.get(TermRow, term))  # type: ignore[arg-type]
        t01 = next(s for s in stored.students if s.id == "T01")
        assert t01.site_preferences == sites[:1]
        session_obj = next(s for a in stored.activities for s in a.sessions if s.id == session_ref)
        assert any(i.start == session_obj.start for i in t01.unavailable)
    late = client.put(
        f"/me/preferences/{term}", json={"sites": []}, headers=world.header("student_a")
    )
    assert late.status_code == 409 and "closed" in late.json()["error"]["message"]


def test_window_problems_and_dates(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"pref-{uuid.uuid4().hex[:6]}")
    bad = _window(client, world, term, closes_on=str(TODAY - timedelta(days=5)), professions=["XX"])
    assert bad["status"] == 422
    assert {d["path"] for d in bad["error"]["details"]} == {"closes_on", "professions"}
    _window(client, world, term, opens_on=str(TODAY + timedelta(days=2)))
    early = client.put(
        f"/me/preferences/{term}", json={"sites": []}, headers=world.header("student_a")
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "window_not_open"
    _window(
        client,
        world,
        term,
        opens_on=str(TODAY - timedelta(days=9)),
        closes_on=str(TODAY - timedelta(days=1)),
    )
    late = client.put(
        f"/me/preferences/{term}", json={"sites": []}, headers=world.header("student_a")
    )
    assert late.status_code == 409 and "closed on" in late.json()["error"]["message"]
