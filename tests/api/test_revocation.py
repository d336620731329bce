"""Sign-out, a revoked token, a new password and a deactivated account count from the very
next request: for bearer tokens (API), cookie sessions (pages), partner API tokens and
calendar feeds. Each credential is first shown to work, then the change, then one request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from service_support import World, bearer
from sqlalchemy import Engine

from api.web.security import COOKIE, csrf_token
from scheduler.db import repositories
from scheduler.db.engine import new_session
from scheduler.db.tables import SchoolRow, UserRow
from scheduler.services import auth, feeds

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="module")
def cheap_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@dataclass
class Account:
    """A fresh partner of SITE-A in school A with every kind of credential."""

    email: str
    login: str
    cookie: str
    partner_api: str
    feed: str


@pytest.fixture
def account(engine: Engine, world: World) -> Account:
    email = f"p-{uuid.uuid4().hex[:8]}@example.test"
    with new_session(engine) as session:
        school = session.get(SchoolRow, world.users["partner_a"].school_id)
        assert school is not None
        user = auth.save_user(
            session,
            school=school,
            email=email,
            name="Revocable Partner",
            role="partner",
            password=PASSWORD,
            site_ref="SITE-A",
        )
        day = timedelta(days=1)
        made = Account(
            email=email,
            login=auth.issue_token(session, user=user, kind=auth.LOGIN, ttl=day).token,
            cookie=auth.issue_token(session, user=user, kind=auth.LOGIN, ttl=day).token,
            partner_api=auth.create_partner_token(session, actor=user, name="x", ttl=day).token,
            feed=feeds.rotate_feed(session, actor=user),
        )
        session.commit()
    return made


def api_status(client: TestClient, token: str) -> int:
    return client.get("/partner/slots", headers=bearer(token)).status_code


def page_status(client: TestClient, cookie: str) -> int:
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie, path="/app")
    status = client.get("/app/partner", follow_redirects=False).status_code
    client.cookies.clear()
    return status


def feed_status(client: TestClient, token: str) -> int:
    return client.get(f"/feeds/{token}.ics").status_code


def statuses(client: TestClient, account: Account) -> dict[str, int]:
    return {
        "login": api_status(client, account.login),
        "cookie": page_status(client, account.cookie),
        "partner_api": api_status(client, account.partner_api),
        "feed": feed_status(client, account.feed),
    }


WORKING = {"login": 200, "cookie": 200, "partner_api": 200, "feed": 200}


def test_api_sign_out_ends_that_token_only(client: TestClient, account: Account) -> None:
    assert statuses(client, account) == WORKING
    assert client.post("/auth/logout", headers=bearer(account.login)).status_code == 204
    assert statuses(client, account) == WORKING | {"login": 401}


def test_page_sign_out_ends_that_session_only(client: TestClient, account: Account) -> None:
    assert statuses(client, account) == WORKING
    client.cookies.set(COOKIE, account.cookie, path="/app")
    signed_out = client.post(
        "/app/logout", data={"csrf_token": csrf_token(account.cookie)}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert statuses(client, account) == WORKING | {"cookie": 303}


def test_revoked_partner_token_is_refused(client: TestClient, account: Account) -> None:
    assert statuses(client, account) == WORKING
    token_id = _partner_token_id(client, account)
    revoked = client.delete(f"/partner/tokens/{token_id}", headers=bearer(account.login))
    assert revoked.status_code == 204
    assert statuses(client, account) == WORKING | {"partner_api": 401}


def test_new_password_signs_out_everywhere(
    client: TestClient, engine: Engine, account: Account
) -> None:
    assert statuses(client, account) == WORKING
    _save(engine, account, password="a new and different password")
    # the feed is a read-only address with its own rotation, so it stays
    assert statuses(client, account) == {"login": 401, "cookie": 303, "partner_api": 401} | {
        "feed": 200
    }
    old = client.post("/auth/token", data={"username": account.email, "password": PASSWORD})
    assert old.status_code == 401


def test_saving_the_same_password_signs_nobody_out(
    client: TestClient, engine: Engine, account: Account
) -> None:
    _save(engine, account, password=PASSWORD)
    assert statuses(client, account) == WORKING


def test_deactivated_account_is_refused_everywhere(
    client: TestClient, engine: Engine, account: Account
) -> None:
    assert statuses(client, account) == WORKING
    with new_session(engine) as session:
        user = repositories.user_by_email(session, account.email)
        assert user is not None
        user.active = False
        session.add(user)
        session.commit()
    assert statuses(client, account) == {"login": 401, "cookie": 303, "partner_api": 401} | {
        "feed": 404
    }
    login = client.post("/auth/token", data={"username": account.email, "password": PASSWORD})
    assert login.status_code == 401


def _save(engine: Engine, account: Account, *, password: str) -> None:
    """Re-save the account as setup does (same email), with `password`."""
    with new_session(engine) as session:
        user = repositories.user_by_email(session, account.email)
        assert isinstance(user, UserRow)
        school = session.get(SchoolRow, user.school_id)
        assert school is not None
        auth.save_user(
            session,
            school=school,
            email=account.email,
            name=user.name,
            role="partner",
            password=password,
            site_ref="SITE-A",
        )
        session.commit()


def _partner_token_id(client: TestClient, account: Account) -> int:
    with new_session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        user = repositories.user_by_email(session, account.email)
        assert user is not None
        (row,) = repositories.own_tokens(session, user, auth.PARTNER_API)
        return row.id or 0
