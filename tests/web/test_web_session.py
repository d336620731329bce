"""Cookie sign-in and CSRF: the cookie's flags, sign-out revoking it, every form post
refused without the session's token or from another origin, and the JSON API and the
feeds never accepting what the pages use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import RecordingRunner, World, bearer, make_client
from sqlalchemy import Engine
from web_support import PASSWORD, csrf_of, post_form, sign_in

from scheduler.db.engine import new_session
from scheduler.services import feeds


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, RecordingRunner())


def test_pages_send_a_stranger_to_sign_in(client: TestClient) -> None:
    response = client.get("/app/terms", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/app/login?next=/app/terms"


def test_sign_in_sets_a_strict_session_cookie(client: TestClient, world: World) -> None:
    response = client.post(
        "/app/login",
        data={"email": world.users["coord_a"].email, "password": PASSWORD, "next": "/app/terms"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/app/terms"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("ipe_session=")
    for flag in ("httponly", "samesite=lax", "path=/app", "max-age="):
        assert flag in cookie


def test_wrong_password_shows_the_form_again(client: TestClient, world: World) -> None:
    response = client.post(
        "/app/login", data={"email": world.users["coord_a"].email, "password": "nope"}
    )
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert "set-cookie" not in response.headers


def test_sign_in_never_redirects_to_another_site(client: TestClient, world: World) -> None:
    response = client.post(
        "/app/login",
        data={
            "email": world.users["coord_a"].email,
            "password": PASSWORD,
            "next": "https://evil.example/app/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/app/terms"


def test_each_role_lands_on_its_own_page(client: TestClient, world: World) -> None:
    for user, page in (("coord_a", "/app/terms"), ("student_a", "/app/me")):
        sign_in(client, world, user)
        assert client.get("/app/", follow_redirects=False).headers["location"] == page
    sign_in(client, world, "partner_a")
    assert client.get("/app/", follow_redirects=False).headers["location"] == "/app/partner"


def test_a_form_without_the_token_is_refused(client: TestClient, world: World) -> None:
    sign_in(client, world, "partner_a")
    response = client.post("/app/partner/feed", data={})
    assert response.status_code == 403
    assert "not sent from this site" in response.text
    other = client.post("/app/partner/feed", data={"csrf_token": "0" * 64})
    assert other.status_code == 403


def test_a_form_from_another_origin_is_refused(client: TestClient, world: World) -> None:
    sign_in(client, world, "partner_a")
    token = csrf_of(client, "/app/partner")
    response = client.post(
        "/app/partner/feed",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    same = client.post(
        "/app/partner/feed", data={"csrf_token": token}, headers={"Origin": "http://testserver"}
    )
    assert same.status_code == 200


def test_sign_out_revokes_the_session(client: TestClient, world: World) -> None:
    sign_in(client, world, "student_a")
    cookie = client.cookies.get("ipe_session")
    response = post_form(client, "/app/me", "/app/logout")
    assert response.status_code == 303
    client.cookies.set("ipe_session", cookie or "", path="/app")
    again = client.get("/app/me", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/app/login")


def test_the_api_ignores_the_cookie(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    response = client.get("/terms")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_feed_token_opens_only_its_feed(client: TestClient, engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users["student_a"])
        session.commit()
    assert client.get("/me/schedule", headers=bearer(token)).status_code == 401
    client.cookies.set("ipe_session", token, path="/app")
    assert client.get("/app/me", follow_redirects=False).status_code == 303
    assert client.get(f"/feeds/{token}.ics").status_code == 200


def test_wrong_role_and_other_school_get_pages_not_json(client: TestClient, world: World) -> None:
    sign_in(client, world, "student_a")
    forbidden = client.get("/app/terms")
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("text/html")
    assert "this page is for coordinators" in forbidden.text
    sign_in(client, world, "coord_a")
    missing = client.get(f"/app/terms/{world.terms['b'].id}")
    assert missing.status_code == 404
    assert "term not found" in missing.text
    assert client.get("/app/no-such-page").status_code == 404


def test_pages_carry_a_strict_content_security_policy(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    response = client.get("/app/terms")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script" not in response.text
