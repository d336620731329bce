"""Term editing pages: add, change and remove items with the checks shown next to the
field; a new student is invited; edits after publication say they are recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, build_world, make_client
from sqlalchemy import Engine
from web_support import PASSWORD, post_form, sign_in


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_add_change_remove_a_site(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"pages-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/items/sites"
    bad = post_form(client, page, page, id="S-NEW", name="New site", lat="95", lon="10")
    assert bad.status_code == 422
    assert 'id="f-lat-error"' in bad.text and 'value="95"' in bad.text
    added = post_form(client, page, page, id="S-NEW", name="New site", lat="42.1", lon="-71")
    assert added.status_code == 303
    assert "S-NEW" in client.get(page).text
    edit = client.get(f"{page}?edit=S-NEW")
    assert 'value="New site"' in edit.text
    saved = post_form(
        client, page, f"{page}/S-NEW", name="Renamed site", lat="42.1", lon="-71", tags="rural"
    )
    assert saved.status_code == 303
    assert "Renamed site" in client.get(page).text
    removed = post_form(client, page, f"{page}/S-NEW/remove")
    assert removed.status_code == 303
    assert "S-NEW" not in client.get(page).text


def test_new_student_gets_an_invitation_link(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = add_blank_term(engine, world, f"pages-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/items/students"
    ref = f"N{uuid.uuid4().hex[:4]}"
    email = f"{ref.lower()}@students.example.edu"
    response = post_form(
        client, page, page, id=ref, name="Nova New", profession="NURS", email=email
    )
    assert response.status_code == 200, response.text
    assert "/app/invitations/" in response.text


def test_edit_of_published_term_is_recorded(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    term = world.terms["a"].id
    page = f"/app/terms/{term}/items/rooms"
    saved = post_form(client, page, f"{page}/R1", name="Hall 101 (renovated)", accessible="true")
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=recorded")
    refused = post_form(
        client, f"/app/terms/{term}/items/students", f"/app/terms/{term}/items/students/T01/remove"
    )
    assert refused.status_code == 409 and "schedule version" in refused.text
