"""Liveness, readiness and a database outage: 503 with Retry-After, then recovery.

The outage is made by pointing the running app at a database that cannot be reached (a
SQLite file in a folder that does not exist, a PostgreSQL port nobody listens on), then
back: no restart in between. Before, every request answered 500 during an outage and
`/healthz` had nothing to say about the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import RecordingRunner, World, make_client

from api.web.security import COOKIE
from scheduler.db.engine import make_engine

DEAD = {
    "sqlite-missing-folder": "sqlite:////nonexistent-ipe-folder/ipe.sqlite",
    "postgresql-closed-port": "postgresql+psycopg://postgres@127.0.0.1:1/ipe?connect_timeout=2",
}


class QueueDown(RecordingRunner):
    def ready(self) -> None:
        raise ConnectionError("redis is down")


@pytest.fixture(params=sorted(DEAD))
def outage(request: pytest.FixtureRequest, client: TestClient) -> Iterator[None]:
    """The app's database unreachable for the test, then reachable again."""
    state = client.app.state  # type: ignore[attr-defined]
    healthy, dead = state.engine, make_engine(DEAD[request.param])
    state.engine = dead
    try:
        yield
    finally:
        state.engine = healthy
        dead.dispose()


def test_healthz_and_readyz_say_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "queue": "none"}


@pytest.mark.usefixtures("outage")
def test_an_outage_is_503_with_retry_after_and_healthz_stays_ok(
    client: TestClient, world: World
) -> None:
    answer = client.get("/terms", headers=world.header("coord_a"))
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["error"]["code"] == "database_unavailable"
    cookie = {"Cookie": f"{COOKIE}={world.tokens['coord_a']}"}
    page = client.get("/app/terms", headers=cookie, follow_redirects=False)
    assert page.status_code == 503
    assert int(page.headers["Retry-After"]) > 0
    assert "cannot reach its database" in page.text
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert int(ready.headers["Retry-After"]) > 0
    assert [d["path"] for d in ready.json()["error"]["details"]] == ["database"]
    assert client.get("/healthz").status_code == 200  # alive: do not restart it


def test_requests_are_served_again_once_the_database_is_back(
    client: TestClient, world: World
) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    healthy = state.engine
    for url in DEAD.values():
        state.engine = make_engine(url)
        assert client.get("/terms", headers=world.header("coord_a")).status_code == 503
        state.engine.dispose()
        state.engine = healthy
        assert client.get("/terms", headers=world.header("coord_a")).status_code == 200
        assert client.get("/readyz").status_code == 200


def test_readyz_names_a_queue_that_does_not_answer(database_url: str) -> None:
    for client in make_client(database_url, QueueDown()):
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert [d["path"] for d in ready.json()["error"]["details"]] == ["queue"]
