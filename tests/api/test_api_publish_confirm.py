"""The API's publish asks for confirmation as the page does: a publish that affects more
people than the repair's minimum answers 409 `confirm_people_affected` with the numbers,
and goes ahead only with `confirm_people_affected` equal to the number of people affected.
A repair's own draft (the minimum), a first publication and a re-publication never ask."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import (
    RecordingRunner,
    World,
    build_world,
    changed_schedule,
    make_client,
    tiny_schedule,
)
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.db.tables import SolveRunRow, TermRow
from scheduler.domain.schedule import Schedule
from scheduler.services import term_rows, versions


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, RecordingRunner())


def _draft(engine: Engine, world: World, schedule: Schedule, *, repair: bool) -> int:
    """A draft of school A's term, made by a repair run of the published version or not."""
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        run = None
        if repair:
            run = SolveRunRow(
                term_id=term.id or 0,
                status="succeeded",
                time_limit_s=5,
                workers=1,
                seed=0,
                parameters={"previous_version": world.versions["a"], "full_repair": False},
            )
            session.add(run)
            session.flush()
        version = versions.record_schedule(
            session,
            term=term,
            scenario=term_rows.current_scenario(session, term),
            schedule=schedule,
            run=run,
        )
        session.commit()
        return version.id or 0


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
    _draft(engine, world, tiny_schedule(), repair=True)  # a repair that changes nobody
    resolve = _draft(engine, world, changed_schedule(), repair=False)
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
    repair = _draft(engine, world, changed_schedule(), repair=True)
    assert _publish(client, world, repair).status_code == 200
    assert _publish(client, world, repair).status_code == 200  # again: nothing changes
    assert _publish(client, world, repair, confirm=0).status_code == 200
    assert _published(client, world) == repair


def test_the_confirmation_must_be_a_count(client: TestClient, world: World) -> None:
    url = f"/terms/{world.terms['a'].id}/versions/{world.versions['a']}/publish"
    bad = client.post(f"{url}?confirm_people_affected=-1", headers=world.header("coord_a"))
    assert bad.status_code == 422
