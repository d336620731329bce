"""Alternative schedules through the API: a solve run with `alternatives` saves each as a
draft version, `.../alternatives` compares them (recomputed), and any one is published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import DEMO, World, make_client, wait_for

FINISHED = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, run_time_limit_max_s=120)


def demo_term(client: TestClient, world: World, term_id: str) -> int:
    document: dict[str, Any] = json.loads(DEMO.read_text())
    document["term"]["id"] = term_id
    response = client.post("/terms", json=document, headers=world.header("coord_a"))
    assert response.status_code == 201, response.text
    created: int = response.json()["id"]
    return created


def start(client: TestClient, world: World, term_id: int, **body: Any) -> Any:
    return client.post(f"/terms/{term_id}/solve-runs", json=body, headers=world.header("coord_a"))


def finished(client: TestClient, world: World, term_id: int, run_id: int) -> Any:
    def done() -> Any:
        run = client.get(
            f"/terms/{term_id}/solve-runs/{run_id}", headers=world.header("coord_a")
        ).json()
        return run if run["status"] in FINISHED else None

    return wait_for(done, 240)


@pytest.mark.slow  # solves the demo term (K searches of a few seconds)
def test_three_alternatives_are_saved_compared_and_one_is_published(
    client: TestClient, world: World
) -> None:
    term_id = demo_term(client, world, "alternatives-demo")
    queued = start(client, world, term_id, time_limit_s=5, workers=2, alternatives=3)
    assert queued.status_code == 202, queued.text
    assert queued.json()["alternatives"] == 3
    assert queued.json()["parameters"]["tolerance"]["default"] == 0.02
    run = finished(client, world, term_id, queued.json()["id"])
    assert run["status"] == "succeeded", run["error"]
    assert len(run["version_ids"]) == 3 and run["version_id"] == run["version_ids"][0]
    table = client.get(
        f"/terms/{term_id}/solve-runs/{run['id']}/alternatives", headers=world.header("coord_a")
    )
    assert table.status_code == 200, table.text
    columns = table.json()["alternatives"]
    assert [c["version"] for c in columns] == run["version_ids"]
    assert all(c["valid"] and c["within_tolerance"] for c in columns)
    assert columns[0]["fewest_differing"] is None
    assert all(c["fewest_differing"] > 0 and c["moved_vs_first"] > 0 for c in columns[1:])
    levels = table.json()["levels"]
    assert all([cell["name"] for cell in c["objectives"]] == levels for c in columns)
    assert all(c["coverage_by_activity"] and c["coverage_by_requirement"] for c in columns)
    flags = [flag for c in columns for flag in c["equity_flags"]]
    assert all(flag["group"] == f"group {flag['group_number']}" for flag in flags)
    chosen = run["version_ids"][2]
    published = client.post(
        f"/terms/{term_id}/versions/{chosen}/publish", headers=world.header("coord_a")
    )
    assert published.status_code == 200, published.text
    term = client.get(f"/terms/{term_id}", headers=world.header("coord_a")).json()
    assert term["published_version_id"] == chosen
    outbox = f"/terms/{term_id}/outbox?limit=500"
    wait_for(lambda: delivered(client.get(outbox, headers=world.header("coord_a")).json()), 30)


def delivered(messages: list[dict[str, Any]]) -> bool | None:
    """True once the publish's messages left `pending` (its delivery thread is done)."""
    return all(message["state"] != "pending" for message in messages) or None


def test_bad_alternative_requests_are_refused_naming_the_field(
    client: TestClient, world: World
) -> None:
    term_id = demo_term(client, world, "alternatives-refused")
    too_many = start(client, world, term_id, alternatives=11)
    assert too_many.status_code == 422 and "alternatives" in too_many.text
    unknown = start(client, world, term_id, alternatives=2, tolerance={"levels": {"speed": 0.1}})
    assert unknown.status_code == 422, unknown.text
    assert "body.tolerance.levels.speed" in unknown.text
    negative = start(client, world, term_id, alternatives=2, tolerance={"default": -1})
    assert negative.status_code == 422 and "tolerance" in negative.text
    above = start(client, world, term_id, alternatives=2, tolerance={"levels": {"preferences": 2}})
    assert above.status_code == 422 and "preferences" in above.text
    repair = start(client, world, term_id, alternatives=2, previous_version=1)
    assert repair.status_code in (404, 422), repair.text
    too_long = start(client, world, term_id, alternatives=3, time_limit_s=100)
    assert too_long.status_code == 422 and "alternatives" in too_long.text
    runs = client.get(f"/terms/{term_id}/solve-runs", headers=world.header("coord_a")).json()
    assert runs == []


def test_a_run_without_schedules_has_no_comparison(client: TestClient, world: World) -> None:
    missing = client.get("/terms/999999/solve-runs/1/alternatives", headers=world.header("coord_a"))
    assert missing.status_code == 404
    forbidden = client.get("/terms/1/solve-runs/1/alternatives", headers=world.header("student_a"))
    assert forbidden.status_code == 403
