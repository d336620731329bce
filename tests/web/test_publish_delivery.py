"""One delivery path for every publish: a publish from the web page delivers its messages
exactly as the API publish does (both take the app's one `Delivery`), and the outbox page
shows each message's state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, settings_for
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import PASSWORD, changed_schedule, post_form, sign_in

from api import create_app
from api.deps import delivery
from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, TermRow
from scheduler.services import outbox, term_rows, versions


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


@pytest.fixture(scope="module")
def client(database_url: str, engine: Engine) -> Iterator[TestClient]:
    """The app with its delivery run before the response (not in a thread), so a test can
    read the outcome; the route still decides nothing about delivery itself."""
    app = create_app(settings_for(database_url))
    app.dependency_overrides[delivery] = lambda: outbox.Delivery(
        engine=engine, smtp=None, background=False
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def draft(engine: Engine, world: World) -> int:
    """A changed draft of school A's term (T01 moves site, T01 and T02 swap teams)."""
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        scenario = term_rows.current_scenario(session, term)
        version = versions.record_schedule(
            session, term=term, scenario=scenario, schedule=changed_schedule()
        )
        session.commit()
        return version.id or 0


def states(engine: Engine, version_id: int) -> list[str]:
    with new_session(engine) as session:
        query = select(OutboxMessageRow.state).where(col(OutboxMessageRow.version_id) == version_id)
        return sorted(session.exec(query).all())


def test_a_web_publish_delivers_its_messages(
    client: TestClient, engine: Engine, world: World
) -> None:
    version = draft(engine, world)
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{world.terms['a'].id}/versions/{version}"
    # It moves T01 where nothing forced a move, so the page asks to confirm the 1 person.
    response = post_form(client, page, f"{page}/publish", confirm="1")
    assert response.status_code == 303, response.text
    found = states(engine, version)
    assert found and set(found) == {"in_app"}, found
    # T01 moved site and team, T02 changed team only: both are told.
    with new_session(engine) as session:
        query = select(OutboxMessageRow).where(col(OutboxMessageRow.version_id) == version)
        rows = list(session.exec(query).all())
    students = {r.recipient_ref for r in rows if r.recipient_kind == "student"}
    assert {"T01", "T02"} <= students


def test_an_api_publish_delivers_the_same_way(
    client: TestClient, engine: Engine, world: World
) -> None:
    version = draft(engine, world)
    # As on the page, the 1 person moved where nothing forced a move must be confirmed.
    response = client.post(
        f"/terms/{world.terms['a'].id}/versions/{version}/publish?confirm_people_affected=1",
        headers=world.header("coord_a"),
    )
    assert response.status_code == 200, response.text
    found = states(engine, version)
    assert found and set(found) == {"in_app"}, found


def test_the_outbox_page_shows_states_and_retries_failed_messages(
    client: TestClient, engine: Engine, world: World
) -> None:
    version = draft(engine, world)
    with new_session(engine) as session:
        versions.publish_version(
            session,
            actor=world.users["coord_a"],
            term_id=world.terms["a"].id or 0,
            version_id=version,
            delivery=None,
        )
        session.commit()
        rows = session.exec(
            select(OutboxMessageRow).where(col(OutboxMessageRow.version_id) == version)
        ).all()
        failed = rows[0]
        failed.state, failed.attempts, failed.last_error = "failed", 5, "OSError: refused"
        session.add(failed)
        session.commit()
        failed_id = failed.id
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{world.terms['a'].id}/outbox"
    shown = client.get(page)
    assert shown.status_code == 200
    assert "OSError: refused" in shown.text and "s-failed" in shown.text
    only_failed = client.get(f"{page}?state=failed").text
    assert only_failed.count('name="message"') == 1
    response = post_form(client, page, f"{page}/retry", message=str(failed_id))
    assert response.status_code == 303
    # Retried and delivered by the same pass, with the still pending ones.
    assert set(states(engine, version)) == {"in_app"}
    assert "queued again" in client.get(response.headers["location"]).text


def test_another_schools_coordinator_cannot_retry(
    client: TestClient, engine: Engine, world: World
) -> None:
    response = client.post(
        f"/terms/{world.terms['a'].id}/outbox/retry", headers=world.header("coord_b")
    )
    assert response.status_code == 404
