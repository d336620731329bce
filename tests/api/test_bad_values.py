"""Values the database cannot hold are refused with 4xx before any query, on both databases:
ids past a PostgreSQL `integer`, and text with a NUL character (PostgreSQL text cannot
hold or even compare one). Found by the API fuzz tests (tests/fuzz) and the pages' twins.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import World
from sqlalchemy import Engine
from sqlmodel import col, select

from api.web.security import COOKIE, csrf_token
from scheduler.db.engine import new_session
from scheduler.db.tables import SlotRow

HUGE = 2**63
BEYOND_INTEGER = 2**31


def _slot(engine: Engine, world: World) -> int:
    with new_session(engine) as session:
        query = select(SlotRow.id).where(col(SlotRow.term_id) == world.terms["a"].id)
        slot_id = session.exec(query).first()
    assert slot_id is not None
    return slot_id


CASES: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    # (user, method, path with {term} {version} {slot}, request options, status, error path)
    ("coord_a", "GET", f"/terms/{HUGE}", {}, 422, "path.term_id"),
    ("coord_a", "GET", f"/terms/{BEYOND_INTEGER}", {}, 422, "path.term_id"),
    ("coord_a", "GET", "/terms/0", {}, 422, "path.term_id"),
    ("coord_a", "GET", f"/terms/{{term}}/solve-runs/{HUGE}", {}, 422, "path.run_id"),
    ("coord_a", "GET", "/terms/{term}/students/a%00b", {}, 422, "path.student_id"),
    (
        "coord_a",
        "GET",
        "/terms/{term}/versions/{version}/diff",
        {"params": {"against": HUGE}},
        422,
        "query.against",
    ),
    (
        "coord_a",
        "POST",
        "/terms/{term}/solve-runs",
        {"json": {"seed": HUGE}},
        422,
        "body.seed",
    ),
    ("partner_a", "GET", f"/partner/slots/{HUGE}", {}, 422, "path.slot_id"),
    ("partner_a", "POST", "/partner/tokens", {"json": {"name": "a\x00b"}}, 422, "body.name"),
    (
        "partner_a",
        "POST",
        "/partner/slots/{slot}/response",
        {"json": {"decision": "decline", "reason": "full\x00"}},
        422,
        "body.reason",
    ),
    (
        "",
        "POST",
        "/auth/token",
        {"data": {"username": "a\x00@example.test", "password": "x"}},
        401,
        "",
    ),
]


@pytest.mark.parametrize(
    ("user", "method", "path", "options", "status", "where"),
    CASES,
    ids=[f"{c[1]} {c[2]} {c[5]}" for c in CASES],
)
def test_api_refuses_what_the_database_cannot_hold(
    client: TestClient,
    engine: Engine,
    world: World,
    user: str,
    method: str,
    path: str,
    options: dict[str, Any],
    status: int,
    where: str,
) -> None:
    url = path.format(
        term=world.terms["a"].id, version=world.versions["a"], slot=_slot(engine, world)
    )
    headers = world.header(user) if user else {}
    response = client.request(method, url, headers=headers, **options)
    assert response.status_code == status, response.text
    if where:
        paths = [detail["path"] for detail in response.json()["error"]["details"]]
        assert where in paths


def test_pages_refuse_them_too(client: TestClient, engine: Engine, world: World) -> None:
    token = world.tokens["partner_a"]
    client.cookies.set(COOKIE, token, path="/app")
    try:
        assert client.get(f"/app/partner/slots/{HUGE}/respond").status_code in (404, 405)
        posted = client.post(
            f"/app/partner/slots/{_slot(engine, world)}/respond",
            data={"csrf_token": csrf_token(token), "decision": "decline", "reason": "x\x00"},
        )
        assert posted.status_code == 422
        assert "the form has problems" in posted.text
        client.cookies.set(COOKIE, world.tokens["coord_a"], path="/app")
        assert client.get(f"/app/terms/{HUGE}").status_code == 422
    finally:
        client.cookies.clear()
