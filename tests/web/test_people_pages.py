"""People pages: a coordinator invites on /app/people, the invited person opens the link,
chooses a password (weak ones refused, naming the field) and lands signed in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import World, make_client
from web_support import post_form, sign_in

LINK = re.compile(r'value="(http://testserver/app/invitations/[A-Za-z0-9_-]+)"')
GOOD = "plum kettle orbit sandal"


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def _invite(client: TestClient, **data: str) -> str:
    response = post_form(client, "/app/people", "/app/people", **data)
    assert response.status_code == 200, response.text
    found = LINK.search(response.text)
    assert found, "no invitation link shown"
    return found.group(1).removeprefix("http://testserver")


def test_invite_accept_and_land_signed_in(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    email = f"pp-{uuid.uuid4().hex[:6]}@example.test"
    link = _invite(client, email=email, name="Page Partner", role="partner", site_ref="SITE-A")
    listed = client.get("/app/people").text
    assert email in listed and "invited" in listed
    client.cookies.clear()
    form = client.get(link)
    assert form.status_code == 200 and "Page Partner" in form.text
    weak = client.post(link, data={"password": "password1234", "password_again": "password1234"})
    assert (
        weak.status_code == 422 and "common" in weak.text and "<code>password</code>" in weak.text
    )
    done = client.post(
        link, data={"password": GOOD, "password_again": GOOD}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/app/partner"
    assert client.get("/app/partner").status_code == 200
    used = client.get(link)
    assert used.status_code == 404 and "already used" in used.text


def test_bad_invitation_is_shown_inline_naming_the_field(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    response = post_form(
        client,
        "/app/people",
        "/app/people",
        email="nope",
        name="X",
        role="student",
        student_ref="ZZ",
    )
    assert response.status_code == 422
    assert 'id="invite-email-error"' in response.text
    assert 'id="invite-student_ref-error"' in response.text
    assert 'value="nope"' in response.text  # what was typed stays


def test_deactivate_from_the_page(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    email = f"dd-{uuid.uuid4().hex[:6]}@example.test"
    _invite(client, email=email, name="Deact Ivate", role="coordinator")
    page = client.get("/app/people").text
    person = re.search(r'id="person-(\d+)">\s*<th scope="row">Deact Ivate', page)
    assert person
    response = post_form(client, "/app/people", f"/app/people/{person.group(1)}/deactivate")
    assert response.status_code == 303
    assert "deactivated" in client.get("/app/people?done=deactivated").text
