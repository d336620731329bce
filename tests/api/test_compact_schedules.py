"""Schedules are stored compact (shared reasons), and every way out still gives the full
reasons: the export on request, one student's unmet needs in the API, the unmet page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, make_client, tiny_schedule
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.db.tables import ScheduleVersionRow
from scheduler.domain.schedule import Schedule


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def url(world: World, tail: str) -> str:
    return f"/terms/{world.terms['a'].id}/versions/{world.versions['a']}/{tail}"


def test_the_stored_document_shares_its_reasons(engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        row = session.get(ScheduleVersionRow, world.versions["a"])
        assert row is not None
        stored = Schedule.model_validate_json(row.schedule_json)
    assert stored.shared_reasons and stored.reason_groups
    assert all(entry.reasons == [] for entry in stored.unassigned)
    assert stored.expanded().unassigned == tiny_schedule().unassigned


def test_the_export_is_compact_or_inline_on_request(client: TestClient, world: World) -> None:
    shared = client.get(url(world, "schedule"), headers=world.header("coord_a"))
    assert shared.status_code == 200
    assert shared.json()["shared_reasons"]
    inline = client.get(url(world, "schedule?reasons=inline"), headers=world.header("coord_a"))
    document = inline.json()
    assert "shared_reasons" not in document or document["shared_reasons"] == []
    expected = [r.model_dump() for r in tiny_schedule().unassigned[0].reasons]
    assert document["unassigned"][0]["reasons"] == expected


def test_one_students_unmet_needs_come_with_their_full_reasons(
    client: TestClient, world: World
) -> None:
    entry = tiny_schedule().unassigned[0]
    response = client.get(
        url(world, f"unmet?student={entry.student}"), headers=world.header("coord_a")
    )
    assert response.status_code == 200, response.text
    [line] = response.json()
    assert line["student"] == entry.student
    assert [r["message"] for r in line["reasons"]] == [r.message for r in entry.reasons]
    other = client.get(url(world, "unmet?student=NOBODY"), headers=world.header("coord_a"))
    assert other.json() == []
