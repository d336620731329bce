"""The API's publish asks for confirmation as the page does: a publish that affects more
people than the repair's minimum answers 409 `confirm_people_affected` with the numbers,
and goes ahead only with `confirm_people_affected` equal to the number of people affected.
A repair's own draft (the minimum), a first publication and a re-publication never ask."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_support import (
    World,
    build_world,
    changed_schedule,
    record_draft,
    tiny_schedule,
)
from sqlalchemy import Engine


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _publish(client: TestClient, world: World, version: int, confirm: int | None = None):  # type: ignore[no-untyped-def]
    query = "" if confirm is None else f"?confirm_people_affected={confirm}"
    url = f"/terms/{world.terms['a'].id}/versions/{version}/publish{query}"
    return client.post(url, headers=world.header("coord_a"))


def _published(client: TestClient, world: World) -> int:
    term = client.get(f"/terms/{world.terms['a'].id}", headers=world.header("coord_a")).json()
    return int(term["published_version_id"])


def test_a_publish_beyond_the_minimum_needs_the_number_confirmed(
    client: TestClient, engine: Engine, world: World
) -> None:
    record_draft(engine, world, tiny_schedule(), repair=True)  # a repair that changes nobody
    resolve = record_draft(engine, world, changed_schedule(), repair=False)
    refused = _publish(client, world, resolve)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "confirm_people_affected"
    numbers = {d["path"]: d["message"] for d in error["details"]}
    assert numbers["people_affected"] == "1" and numbers["minimum"] == "0"
    assert "the repair in version" in numbers["minimum_source"]
    assert _published(client, world) == world.versions["a"]

    stale = _publish(client, world, resolve, confirm=2)
    assert stale.status_code == 409 and _published(client, world) == world.versions["a"]
    confirmed = _publish(client, world, resolve, confirm=int(numbers["people_affected"]))
    assert confirmed.status_code == 200, confirmed.text
    assert _published(client, world) == resolve


def test_the_repairs_own_draft_and_a_republication_publish_as_before(
    client: TestClient, engine: Engine, world: World
) -> None:
    repair = record_draft(engine, world, changed_schedule(), repair=True)
    assert _publish(client, world, repair).status_code == 200
    assert _publish(client, world, repair).status_code == 200  # again: nothing changes
    assert _publish(client, world, repair, confirm=0).status_code == 200
    assert _published(client, world) == repair


def test_the_confirmation_must_be_a_count(client: TestClient, world: World) -> None:
    url = f"/terms/{world.terms['a'].id}/versions/{world.versions['a']}/publish"
    bad = client.post(f"{url}?confirm_people_affected=-1", headers=world.header("coord_a"))
    assert bad.status_code == 422
