"""Sign-in: argon2 password hashes, expiring login tokens, logout, partner API tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from service_support import RecordingRunner, World, bearer, build_world, make_client
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow, TokenRow, UserRow
from scheduler.db.types import utcnow

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, RecordingRunner(), token_ttl_minutes=30)


def login(client: TestClient, email: str, password: str) -> Response:
    return client.post("/auth/token", data={"username": email, "password": password})


def test_password_login_gives_an_expiring_token(client: TestClient, world: World) -> None:
    user = world.users["student_a"]
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    me = client.get("/auth/me", headers=bearer(body["access_token"]))
    assert me.json()["email"] == user.email
    assert me.json()["role"] == "student"
    ttl = (utcnow() - timedelta(minutes=30)).isoformat()
    assert body["expires_at"] > ttl


def test_passwords_are_stored_as_argon2_hashes(engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        user = session.get(UserRow, world.users["coord_a"].id)
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.test", PASSWORD), (None, "wrong password"), (None, "")],
)
def test_bad_credentials_are_one_401(
    client: TestClient, world: World, email: str | None, password: str
) -> None:
    response = login(client, email or world.users["coord_a"].email, password)
    expected = 422 if not password else 401
    assert response.status_code == expected
    error = response.json()["error"]
    assert error["code"] == ("invalid_request" if not password else "invalid_credentials")


def test_expired_token_is_refused(client: TestClient, engine: Engine, world: World) -> None:
    token = world.tokens["coord_b"]
    with new_session(engine) as session:
        for row in session.exec(
            select(TokenRow).where(col(TokenRow.user_id) == world.users["coord_b"].id)
        ).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()
    response = client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "invalid_token"


def test_garbage_and_missing_tokens_are_401(client: TestClient) -> None:
    assert client.get("/terms", headers=bearer("not-a-token")).status_code == 401
    response = client.get("/terms")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_logout_revokes_the_token(client: TestClient, world: World) -> None:
    token = login(client, world.users["partner_a2"].email, PASSWORD).json()["access_token"]
    assert client.post("/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401


def test_partner_api_token_works_until_revoked(
    client: TestClient, engine: Engine, world: World
) -> None:
    created = client.post(
        "/partner/tokens", json={"name": "site EHR"}, headers=world.header("partner_a")
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert client.get("/partner/slots", headers=bearer(token)).status_code == 200
    with new_session(engine) as session:
        stored = session.exec(select(TokenRow.token_hash)).all()
    assert token not in stored
    revoke = client.delete(
        f"/partner/tokens/{created.json()['id']}", headers=world.header("partner_a")
    )
    assert revoke.status_code == 204
    assert client.get("/partner/slots", headers=bearer(token)).status_code == 401


def test_logins_are_audited(client: TestClient, engine: Engine, world: World) -> None:
    login(client, world.users["student_a2"].email, PASSWORD)
    with new_session(engine) as session:
        rows = session.exec(
            select(AuditRow).where(
                col(AuditRow.action) == "auth.login",
                col(AuditRow.actor_id) == world.users["student_a2"].id,
            )
        ).all()
    assert len(rows) == 1
