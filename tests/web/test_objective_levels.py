"""Every schedule page shows each objective level's value, bound and gap in per cent, and
says in words what is proven."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, make_client
from sqlalchemy import Engine
from web_support import sign_in

from scheduler.db.engine import new_session
from scheduler.services import feeds
from scheduler.services.views import objective_view


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_a_level_at_its_bound_is_proven_best() -> None:
    level = objective_view("coverage", 917, 917)
    assert level.gap_percent == 0
    assert level.proven.startswith("Proven best possible")


def test_a_minimised_level_above_its_bound_states_the_gap() -> None:
    level = objective_view("preferences", 13_093, 13_009)
    assert level.gap_percent == pytest.approx(0.6416, abs=1e-3)
    assert "no valid schedule goes below 13,009" in level.proven
    assert "at most 84 above" in level.proven


def test_a_maximised_level_below_its_bound_states_the_shortfall() -> None:
    level = objective_view("coverage", 61_946, 61_947)
    assert "no valid schedule reaches more than 61,947" in level.proven
    assert "at most 1 short" in level.proven


def test_a_level_without_bound_says_nothing_is_proven() -> None:
    level = objective_view("travel_total", 81_014.3, None)
    assert level.gap_percent is None
    assert "No bound was proven" in level.proven


@pytest.mark.parametrize("view", ["sessions", "sites", "students", "unmet"])
def test_every_view_of_a_version_shows_the_levels(
    client: TestClient, world: World, view: str
) -> None:
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{world.terms['a'].id}/versions/{world.versions['a']}/{view}")
    assert page.status_code == 200
    text = page.text
    assert "What is proven" in text and "Gap" in text
    assert "1. coverage" in text
    assert " %</td>" in text or "unknown</td>" in text
    assert "Status " in text


ADDRESSES = ("1 Harbor Way, Boston, MA 02119", "200 Northfield Road, Lowell, MA 01852")


def test_site_addresses_show_on_the_by_site_page(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{world.terms['a'].id}/versions/{world.versions['a']}/sites")
    assert all(address in page.text for address in ADDRESSES)


def test_a_students_placement_shows_its_address_on_the_page_and_in_the_feed(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, world, "student_a")
    page = client.get("/app/me").text
    assert any(address in page for address in ADDRESSES)
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users["student_a"])
        session.commit()
    feed = client.get(f"/feeds/{token}.ics").text.replace("\r\n ", "")
    assert any(address.replace(",", "\\,") in feed for address in ADDRESSES), feed
