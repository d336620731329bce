"""Solve runs as jobs through the API, with real worker processes.

A run is queued (202), solved in a spawned process that reports progress, checked by the
validator and saved as a draft; publishing swaps what students see. Cancelling stops the
worker; killing the worker leaves the run failed and the published schedule untouched.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import DEMO, World, make_client, tiny_document, wait_for
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.db.tables import SolveRunRow
from scheduler.services.solve_runs import git_revision, ortools_version

FINISHED = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, run_cancel_grace_s=1.0, run_time_limit_max_s=120)


def new_term(client: TestClient, world: World, document: dict[str, Any]) -> int:
    response = client.post("/terms", json=document, headers=world.header("coord_a"))
    assert response.status_code == 201, response.text
    term_id: int = response.json()["id"]
    return term_id


def run_url(term_id: int, run_id: int | None = None) -> str:
    return f"/terms/{term_id}/solve-runs" + (f"/{run_id}" if run_id is not None else "")


def poll(client: TestClient, world: World, term_id: int, run_id: int) -> dict[str, Any]:
    response = client.get(run_url(term_id, run_id), headers=world.header("coord_a"))
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


def finished(client: TestClient, world: World, term_id: int, run_id: int, timeout: float) -> Any:
    def done() -> dict[str, Any] | None:
        run = poll(client, world, term_id, run_id)
        return run if run["status"] in FINISHED else None

    return wait_for(done, timeout)


def start(client: TestClient, world: World, term_id: int, **body: Any) -> dict[str, Any]:
    response = client.post(run_url(term_id), json=body, headers=world.header("coord_a"))
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    return run


def test_a_run_solves_records_and_publishes(client: TestClient, world: World) -> None:
    term_id = new_term(client, world, tiny_document(id="runs-tiny"))
    queued = start(client, world, term_id, time_limit_s=10, workers=1, seed=7)
    assert queued["status"] == "queued"
    assert (queued["time_limit_s"], queued["workers"], queued["seed"]) == (10, 1, 7)
    run = finished(client, world, term_id, queued["id"], timeout=60)
    assert run["status"] == "succeeded", run["error"]
    assert run["ortools_version"] == ortools_version() != "unknown"
    assert run["git_revision"] == git_revision()
    assert run["pid"] and run["pid"] != os.getpid()
    assert run["parameters"]["objectives"][0] == "coverage"
    assert len(run["parameters"]["scenario_sha256"]) == 64
    assert run["progress"]["level"] is not None
    assert run["version_id"] is not None
    versions = client.get(f"/terms/{term_id}/versions", headers=world.header("coord_a")).json()
    assert [(v["id"], v["state"]) for v in versions] == [(run["version_id"], "draft")]
    published = client.post(
        f"/terms/{term_id}/versions/{run['version_id']}/publish", headers=world.header("coord_a")
    )
    assert published.status_code == 200
    assert published.json()["state"] == "published"


def test_the_published_version_stays_visible_until_the_next_is_published(
    client: TestClient, world: World
) -> None:
    """Students see the old published schedule while a new run and draft exist."""
    term_id = world.terms["a"].id or 0
    before = client.get("/me/schedule", headers=world.header("student_a")).json()
    run = finished(client, world, term_id, start(client, world, term_id, time_limit_s=5)["id"], 60)
    assert run["status"] == "succeeded", run["error"]
    term = client.get(f"/terms/{term_id}", headers=world.header("coord_a")).json()
    assert term["published_version_id"] == world.versions["a"]
    assert client.get("/me/schedule", headers=world.header("student_a")).json() == before
    # A re-solve may move people no change forced: confirm the diff's count, as a client
    # publishing over a published version does.
    version_url = f"/terms/{term_id}/versions/{run['version_id']}"
    diff = client.get(f"{version_url}/diff", headers=world.header("coord_a")).json()
    published = client.post(
        f"{version_url}/publish?confirm_people_affected={diff['people_affected']}",
        headers=world.header("coord_a"),
    )
    assert published.status_code == 200, published.text
    term = client.get(f"/terms/{term_id}", headers=world.header("coord_a")).json()
    assert term["published_version_id"] == run["version_id"]
    states = {
        v["id"]: v["state"]
        for v in client.get(f"/terms/{term_id}/versions", headers=world.header("coord_a")).json()
    }
    assert states[world.versions["a"]] == "superseded"
    assert states[run["version_id"]] == "published"
    assert client.get("/me/schedule", headers=world.header("student_a")).json()[0]["sessions"]


def test_one_active_run_per_term_and_a_bounded_time_limit(client: TestClient, world: World) -> None:
    term_id = new_term(client, world, tiny_document(id="runs-limits"))
    too_long = client.post(
        run_url(term_id), json={"time_limit_s": 10_000}, headers=world.header("coord_a")
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "time_limit_too_long"
    run = start(client, world, term_id, time_limit_s=5)
    again = client.post(run_url(term_id), json={}, headers=world.header("coord_a"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "run_active"
    finished(client, world, term_id, run["id"], timeout=60)


def _demo_document(code: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEMO.read_text())
    document["term"]["id"] = code
    return document


def _running_with_pid(client: TestClient, world: World, term_id: int, run_id: int) -> Any:
    def running() -> dict[str, Any] | None:
        run = poll(client, world, term_id, run_id)
        assert run["status"] in ("queued", "running"), run
        return run if run["status"] == "running" and run["pid"] else None

    return wait_for(running, timeout=60)


@pytest.mark.slow
def test_cancel_stops_the_worker(client: TestClient, world: World) -> None:
    term_id = new_term(client, world, _demo_document("runs-cancel"))
    run = start(client, world, term_id, time_limit_s=60)
    pid = _running_with_pid(client, world, term_id, run["id"])["pid"]
    response = client.delete(run_url(term_id, run["id"]), headers=world.header("coord_a"))
    assert response.status_code == 202
    assert response.json()["status"] == "cancelling"
    done = finished(client, world, term_id, run["id"], timeout=30)
    assert done["status"] == "cancelled"
    assert done["version_id"] is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    again = client.delete(run_url(term_id, run["id"]), headers=world.header("coord_a"))
    assert (again.status_code, again.json()["status"]) == (202, "cancelled")


@pytest.mark.slow
def test_killing_the_worker_fails_the_run_and_keeps_the_published_schedule(
    client: TestClient, world: World, engine: Engine
) -> None:
    term_id = new_term(client, world, _demo_document("runs-kill"))
    first = finished(
        client, world, term_id, start(client, world, term_id, time_limit_s=3)["id"], 90
    )
    assert first["status"] == "succeeded", first["error"]
    publish = f"/terms/{term_id}/versions/{first['version_id']}/publish"
    assert client.post(publish, headers=world.header("coord_a")).status_code == 200
    exported = f"/terms/{term_id}/versions/{first['version_id']}/schedule"
    schedule_before = client.get(exported, headers=world.header("coord_a")).json()

    run = start(client, world, term_id, time_limit_s=60)
    pid = _running_with_pid(client, world, term_id, run["id"])["pid"]
    os.kill(pid, signal.SIGKILL)
    done = finished(client, world, term_id, run["id"], timeout=30)
    assert done["status"] == "failed"
    assert "worker process ended" in done["error"]
    assert done["finished_at"] is not None

    term = client.get(f"/terms/{term_id}", headers=world.header("coord_a")).json()
    assert term["published_version_id"] == first["version_id"]
    assert client.get(exported, headers=world.header("coord_a")).json() == schedule_before
    versions = client.get(f"/terms/{term_id}/versions", headers=world.header("coord_a")).json()
    assert [v["state"] for v in versions] == ["published"]
    with new_session(engine) as session:
        row = session.get(SolveRunRow, run["id"])
        assert row is not None and row.status == "failed"
