"""Preference pages: the coordinator opens a window (bad dates named inline), the student
ranks sites on their page, the coordinator sees it, closes, and a late change is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client
from sqlalchemy import Engine
from web_support import post_form, sign_in


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_window_ranking_close(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"pp-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/preferences"
    today = date.today()
    bad = post_form(
        client, page, page, opens_on="tomorrow", closes_on=str(today), professions="", ranks="2"
    )
    assert bad.status_code == 422 and 'id="w-opens_on-error"' in bad.text
    opened = post_form(
        client,
        page,
        page,
        opens_on=str(today - timedelta(days=1)),
        closes_on=str(today + timedelta(days=3)),
        professions="NURS",
        ranks="2",
    )
    assert opened.status_code == 303
    sign_in(client, world, "student_a")
    mine = client.get("/app/me/preferences")
    assert mine.status_code == 200 and "Choice 2" in mine.text and "km" in mine.text
    saved = post_form(
        client, "/app/me/preferences", f"/app/me/preferences/{term}", **{"rank-1": "SITE-A"}
    )
    assert saved.status_code == 303
    wrong = post_form(
        client, "/app/me/preferences", f"/app/me/preferences/{term}", **{"rank-1": "NOPE"}
    )
    assert wrong.status_code == 422 and "not a site you can rank" in wrong.text
    sign_in(client, world, "coord_a")
    assert "SITE-A" in client.get(page).text
    closed = post_form(client, page, f"{page}/close")
    assert closed.status_code == 303
    sign_in(client, world, "student_a")
    late = post_form(
        client, "/app/me/preferences", f"/app/me/preferences/{term}", **{"rank-1": "SITE-A"}
    )
    assert late.status_code == 409 and "can no longer change" in late.text
