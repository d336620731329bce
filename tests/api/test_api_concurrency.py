"""The API under concurrent readers, and what one read costs the database.

More requests at once than the pool has connections and the threadpool has threads all
get their answer (before, requests holding a connection waited for threads that waited
for connections, until the pool timed out with a 500). A read does the same database
work however much it shows: audit rows go in one statement, and a term's scenario
document is read once per process, not once per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fresh_loop import run_in_fresh_loop
from service_support import RecordingRunner, World, settings_for
from sqlalchemy import Engine, event

from api import create_app

ONE_CONNECTION = {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_s": 2.0}
THREADS = 2
READS = [
    ("student_a", "/me/schedule"),
    ("student_a2", "/me/schedule"),
    ("partner_a", "/partner/slots"),
    ("coord_a", "/terms"),
] * 4


@pytest.fixture(scope="module")
def app(database_url: str) -> Iterator[FastAPI]:
    app = create_app(settings_for(database_url, **ONE_CONNECTION), runner=RecordingRunner())
    yield app
    app.state.engine.dispose()


def test_more_readers_than_connections_and_threads_all_get_answers(
    app: FastAPI, world: World
) -> None:
    statuses = run_in_fresh_loop(_read_at_once(app, world))
    assert len(READS) > THREADS * 2
    assert statuses == [200] * len(READS)


async def _read_at_once(app: FastAPI, world: World) -> list[int]:
    """Every read of READS in flight at once, through the app, with THREADS threads."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(
            *(client.get(path, headers=world.header(user)) for user, path in READS)
        )
    return [response.status_code for response in responses]


def statements(engine: Engine, client: TestClient, user: str, path: str, world: World) -> list[str]:
    """The SQL statements one request runs."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, headers=world.header(user))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    return seen


def test_audit_rows_of_a_read_go_in_one_statement(app: FastAPI, world: World) -> None:
    client = TestClient(app)
    term_id = world.terms["a"].id
    shown = client.get(f"/terms/{term_id}/students", headers=world.header("coord_a")).json()
    assert len(shown) == 12
    ran = statements(app.state.engine, client, "coord_a", f"/terms/{term_id}/students", world)
    assert len([s for s in ran if s.startswith("INSERT INTO audit_log")]) == 1


def test_the_scenario_document_is_read_once_not_per_request(app: FastAPI, world: World) -> None:
    client = TestClient(app)
    reads = [
        [s for s in statements(app.state.engine, client, user, path, world) if "scenario_json" in s]
        for user, path in [("student_a", "/me/schedule"), ("student_a2", "/me/schedule")] * 2
    ]
    assert sum(len(r) for r in reads) <= 1
    assert reads[1:] == [[], [], []]
    placements = client.get("/me/schedule", headers=world.header("student_a")).json()
    weekly = [p["weekly"] for term in placements for p in term["placements"]]
    assert weekly and all(weekly), "placements still carry their weekly hours"
