"""The access record page: a coordinator reads their school's audit rows filtered by
person, term, action and date, and downloads them as CSV with formula cells made inert;
another school's rows never show, and the reading itself is recorded."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, make_client
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import PASSWORD, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow
from scheduler.db.types import utcnow


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    world = build_world(engine, password=PASSWORD)
    with new_session(engine) as session:
        session.add(
            AuditRow(
                actor_id=world.users["partner_a"].id,
                actor_email='=HYPERLINK("http://evil.example")',
                action="slot.respond",
                entity="slot",
                entity_id="@SUM(A1)",
                term_id=world.terms["a"].id,
                detail={"reason": "-2+3+cmd|' /C calc'!A0"},
            )
        )
        session.commit()
    return world


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_the_page_lists_the_schools_rows_and_filters_them(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    everything = client.get("/app/access")
    assert everything.status_code == 200
    assert "version.publish" in everything.text and "term.import" in everything.text
    published = client.get("/app/access", params={"action": "version.publish"}).text
    assert "version.publish" in published and "<td>term.import</td>" not in published
    by_person = client.get("/app/access", params={"person": world.users["coord_a"].email}).text
    assert world.users["coord_a"].email in by_person
    assert "HYPERLINK" not in by_person
    by_term = client.get("/app/access", params={"term": str(world.terms["a"].id)}).text
    assert "HYPERLINK" in by_term
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert "No rows match" in client.get("/app/access", params={"since": tomorrow}).text


def test_a_bad_date_is_named(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    response = client.get("/app/access", params={"since": "yesterday"})
    assert response.status_code == 422
    assert "query.since" in response.text
    backwards = client.get("/app/access", params={"since": "2027-02-02", "until": "2027-02-01"})
    assert backwards.status_code == 422 and "query.until" in backwards.text


def test_another_school_sees_none_of_these_rows(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_b")
    page = client.get("/app/access").text
    assert world.users["coord_a"].email not in page
    assert "HYPERLINK" not in page
    assert world.users["coord_b"].email in page


def test_the_csv_keeps_formulas_inert(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    response = client.get("/app/access/export.csv", params={"action": "slot.respond"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["at", "actor", "action", "entity", "entity_id", "term_id", "detail"]
    [row] = [r for r in rows[1:] if "HYPERLINK" in r[1]]
    assert row[1].startswith("'=") and row[4] == "'@SUM(A1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows[1:] for cell in r)


def test_reading_the_record_is_recorded(client: TestClient, engine: Engine, world: World) -> None:
    sign_in(client, world, "coord_a")
    client.get("/app/access", params={"person": "T01"})
    with new_session(engine) as session:
        reads = session.exec(
            select(AuditRow).where(
                col(AuditRow.action) == "audit.read",
                col(AuditRow.actor_id) == world.users["coord_a"].id,
            )
        ).all()
    assert any(r.detail.get("person") == "T01" for r in reads)
