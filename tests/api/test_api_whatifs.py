"""What-if searches through the API, run by real worker processes of the solve-run queue:
202 + run, progress and verified suggestions by polling, one applied as an edit of the
term (then a solve meets more needs), refusals with their codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import World, make_client, seat_short_document, wait_for

FINISHED = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, run_time_limit_max_s=120)


def _solved(client: TestClient, world: World, code: str) -> tuple[int, dict[str, Any]]:
    """A seat-short term, solved by a worker: its id and the finished run."""
    header = world.header("coord_a")
    created = client.post("/terms", json=seat_short_document(id=code), headers=header)
    assert created.status_code == 201, created.text
    term_id = created.json()["id"]
    started = client.post(f"/terms/{term_id}/solve-runs", json={"time_limit_s": 10}, headers=header)
    assert started.status_code == 202, started.text
    return term_id, _finished(client, world, f"/terms/{term_id}/solve-runs/{started.json()['id']}")


def _finished(client: TestClient, world: World, url: str) -> Any:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(url, headers=world.header("coord_a")).json()
        status = body["run"]["status"] if "run" in body else body["status"]
        return body if status in FINISHED else None

    return wait_for(done, timeout=90)


def test_a_search_runs_on_a_worker_and_a_suggestion_is_applied(
    client: TestClient, world: World
) -> None:
    header = world.header("coord_a")
    term_id, run = _solved(client, world, "api-whatif")
    assert run["status"] == "succeeded", run["error"]
    version_id = run["version_id"]
    unmet_before = len(
        client.get(f"/terms/{term_id}/versions/{version_id}/unmet", headers=header).json()
    )

    started = client.post(
        f"/terms/{term_id}/versions/{version_id}/whatifs",
        json={"time_limit_s": 20},
        headers=header,
    )
    assert started.status_code == 202, started.text
    assert started.json()["parameters"]["kind"] == "whatif"
    url = f"/terms/{term_id}/whatifs/{started.json()['id']}"
    search = _finished(client, world, url)
    assert search["run"]["status"] == "succeeded", search["run"]["error"]
    assert search["tried"] == search["proposals"] >= 1
    assert search["unmet"] == unmet_before
    seats = next(s for s in search["suggestions"] if s["suggestion"]["code"] == "add_seats")
    assert seats["suggestion"]["changes"] == [
        {"op": "set_capacity", "slot": "SL-A1", "capacity": 2}
    ]

    applied = client.post(f"{url}/suggestions/{seats['index']}/apply", headers=header)
    assert applied.status_code == 200, applied.text
    assert applied.json()["changes"] == seats["suggestion"]["changes"]
    scenario = client.get(f"/terms/{term_id}/scenario", headers=header).json()
    assert next(s["capacity"] for s in scenario["slots"] if s["id"] == "SL-A1") == 2
    again = client.post(f"{url}/suggestions/{seats['index']}/apply", headers=header)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "suggestion_applied")

    resolved = client.post(
        f"/terms/{term_id}/solve-runs", json={"time_limit_s": 10}, headers=header
    )
    assert resolved.status_code == 202, resolved.text
    after = _finished(client, world, f"/terms/{term_id}/solve-runs/{resolved.json()['id']}")
    assert after["status"] == "succeeded", after["error"]
    unmet_after = client.get(
        f"/terms/{term_id}/versions/{after['version_id']}/unmet", headers=header
    )
    assert len(unmet_after.json()) == unmet_before - 1


def test_refusals_name_the_problem(client: TestClient, world: World) -> None:
    header = world.header("coord_a")
    term_id, run = _solved(client, world, "api-whatif-refusals")
    base = f"/terms/{term_id}/versions/{run['version_id']}/whatifs"
    unknown = client.post(base, json={"student": "NOBODY"}, headers=header)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["path"] == "student"
    too_long = client.post(base, json={"time_limit_s": 10_000}, headers=header)
    assert (too_long.status_code, too_long.json()["error"]["code"]) == (422, "time_limit_too_long")
    solve_run = client.get(f"/terms/{term_id}/whatifs/{run['id']}", headers=header)
    assert solve_run.status_code == 404
    missing = client.post(
        f"/terms/{term_id}/whatifs/{run['id']}/suggestions/0/apply", headers=header
    )
    assert missing.status_code == 404
