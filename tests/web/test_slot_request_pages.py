"""Seat request pages: the coordinator asks (bad seats named inline), the partner offers on
their page, the offer shows as an offered slot and in the supply table."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client
from sqlalchemy import Engine
from web_support import post_form, sign_in


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_ask_offer_and_see_supply(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"rp-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/requests"
    assert "Placements needed" in client.get(page).text
    bad = post_form(client, page, page, site="SITE-A", profession="NURS", period="P1", seats="x")
    assert bad.status_code == 422 and 'id="r-seats-error"' in bad.text
    asked = post_form(client, page, page, site="SITE-A", profession="NURS", period="P1", seats="4")
    assert asked.status_code == 303
    sign_in(client, world, "partner_a")
    mine = client.get("/app/partner/requests")
    found = re.search(r'id="request-(\d+)"', mine.text)
    assert found
    offered = post_form(
        client,
        "/app/partner/requests",
        f"/app/partner/requests/{found.group(1)}/answer",
        decision="offer",
        seats="2",
        notes="Mornings",
    )
    assert offered.status_code == 303
    assert "you offered 2" in client.get("/app/partner/requests").text
    sign_in(client, world, "coord_a")
    text = client.get(page).text
    assert f"REQ-{found.group(1)}" in text and "Mornings" in text
