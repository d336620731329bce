"""A fuzz of the web forms and page query parameters: no value of any field is a 500.

Every form of the pages is posted, with its CSRF token, by the role it is for, with field
values drawn from text, numbers of any size and the odd digits that broke `int()` ('²', a
5,000-digit number); page query parameters get the same values. Each answer must be below
500. Example counts are small in `make test` and large in `make test-long`
(tests/long_run.py). The API has its own fuzz (tests/fuzz).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from long_run import examples
from service_support import RecordingRunner, World, make_client
from sqlalchemy import Engine
from sqlmodel import col, select
from web_support import csrf_of, sign_in

from scheduler.db.engine import new_session
from scheduler.db.tables import SiteRow, SlotRow

ODD = ["²", "٣", "１０", "9" * 5000, "1e400", "nan", "inf", "-1", "0", " 7 ", "1_0", "0x1f"]
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
SETTINGS = settings(
    max_examples=examples(8, 200),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, RecordingRunner(), run_max_active=100)


def slot_of(engine: Engine, world: World) -> int:
    with new_session(engine) as session:
        query = (
            select(SlotRow.id)
            .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
            .where(col(SlotRow.term_id) == world.terms["a"].id, col(SiteRow.ref) == "SITE-A")
        )
        return session.exec(query).first() or 0


def forms(engine: Engine, world: World) -> list[tuple[str, str, str, list[str]]]:
    """(user, page with the form, action, fields) for every form of the pages."""
    term, version, run = world.terms["a"].id, world.versions["a"], world.runs["a"]
    slot = slot_of(engine, world)
    return [
        ("coord_a", "/app/terms", "/app/terms", ["scenario"]),
        ("coord_a", f"/app/terms/{term}", f"/app/terms/{term}/runs", ["time_limit_s"]),
        ("coord_a", f"/app/terms/{term}", f"/app/terms/{term}/csv", ["students", "slots"]),
        ("coord_a", f"/app/terms/{term}", f"/app/terms/{term}/runs/{run}/cancel", ["x"]),
        (
            "coord_a",
            f"/app/terms/{term}",
            f"/app/terms/{term}/versions/{version}/publish",
            ["x"],
        ),
        (
            "partner_a",
            "/app/partner",
            f"/app/partner/slots/{slot}/respond",
            ["decision", "reason", "expected_version"],
        ),
        ("partner_a", "/app/partner", "/app/partner/feed", ["x"]),
        ("student_a", "/app/me", "/app/me/directory", ["directory_opt_out"]),
        ("student_a", "/app/me", "/app/me/feed", ["x"]),
    ]


def pages(world: World) -> list[tuple[str, str, list[str]]]:
    """(user, page, query parameters) for the pages that take any."""
    term, version = world.terms["a"].id, world.versions["a"]
    return [
        ("coord_a", f"/app/terms/{term}", ["done"]),
        ("coord_a", f"/app/terms/{term}/equity", ["version"]),
        ("coord_a", f"/app/terms/{term}/versions/{version}/sessions", ["done"]),
        ("coord_a", f"/app/terms/{term}/versions/{version}/export.csv", ["by"]),
        ("partner_a", "/app/partner", ["done"]),
        ("student_a", "/app/me", ["done"]),
        ("", "/app/login", ["next"]),
    ]


def test_no_form_value_is_a_server_error(client: TestClient, engine: Engine, world: World) -> None:
    for user, page, action, names in forms(engine, world):
        sign_in(client, world, user)
        fuzz_post(client, action, csrf_of(client, page), names)


def fuzz_post(client: TestClient, action: str, token: str, names: list[str]) -> None:
    @SETTINGS
    @given(values=st.fixed_dictionaries({name: VALUES for name in names}))
    def post(values: dict[str, str]) -> None:
        data = {"csrf_token": token, **values}
        response = client.post(action, data=data, follow_redirects=False)
        assert response.status_code < 500, (action, values, response.text[:500])

    post()


def test_no_query_value_is_a_server_error(client: TestClient, world: World) -> None:
    for user, page, names in pages(world):
        client.cookies.clear()
        if user:
            sign_in(client, world, user)
        fuzz_get(client, page, names)


def fuzz_get(client: TestClient, page: str, names: list[str]) -> None:
    @SETTINGS
    @given(values=st.fixed_dictionaries({name: VALUES for name in names}))
    def get(values: dict[str, Any]) -> None:
        response = client.get(page, params=values, follow_redirects=False)
        assert response.status_code < 500, (page, values, response.text[:500])

    get()


@pytest.mark.parametrize("value", ["²", "9" * 5000, "2147483648", "-1", "0x1f"])
def test_an_odd_expected_version_is_a_422_naming_it(
    client: TestClient, engine: Engine, world: World, value: str
) -> None:
    sign_in(client, world, "partner_a")
    token = csrf_of(client, "/app/partner")
    response = client.post(
        f"/app/partner/slots/{slot_of(engine, world)}/respond",
        data={"csrf_token": token, "decision": "confirm", "expected_version": value},
        follow_redirects=False,
    )
    assert response.status_code == 422, response.text[:500]
    assert "expected_version must be a whole number from 1 to 2147483647" in response.text
