"""People through the API: invite, accept (set password), resend, deactivate, term students.

Without SMTP settings the invitation's link comes back in the answer (the coordinator
hands it over) and the outbox row is marked `in_app`; the link works once and expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, bearer, make_client, row_counts
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, TokenRow, UserRow
from scheduler.services import people

GOOD = "plum kettle orbit sandal"


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def _email() -> str:
    return f"p-{uuid.uuid4().hex[:8]}@example.test"


def _invite(client: TestClient, world: World, **body: str) -> dict:
    response = client.post("/people", json=body, headers=world.header("coord_a"))
    assert response.status_code == 201, response.text
    return response.json()


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_invited_student_sets_a_password_and_is_signed_in(
    client: TestClient, world: World, engine: Engine
) -> None:
    email = _email()
    sent = _invite(
        client, world, email=email, name="Nia Student", role="student", student_ref="T03"
    )
    assert sent["person"]["state"] == "invited" and sent["delivery"] == "in_app"
    token = _token(sent["link"])
    with new_session(engine) as session:
        message = session.exec(
            select(OutboxMessageRow).where(col(OutboxMessageRow.email) == email)
        ).one()
        assert message.recipient_kind == "invitation" and sent["link"] in message.body
        assert message.term_id is None and message.version_id is None
        stored = session.exec(select(TokenRow.token_hash)).all()
        assert token not in stored  # only the digest is kept
    accepted = client.post(f"/auth/invitations/{token}", json={"password": GOOD})
    assert accepted.status_code == 200, accepted.text
    me = client.get("/auth/me", headers=bearer(accepted.json()["access_token"]))
    assert me.json()["student_ref"] == "T03" and me.json()["role"] == "student"
    login = client.post("/auth/token", data={"username": email, "password": GOOD})
    assert login.status_code == 200
    again = client.post(f"/auth/invitations/{token}", json={"password": GOOD + " x"})
    assert again.status_code == 404 and again.json()["error"]["code"] == "invitation_used"


@pytest.mark.parametrize(
    ("password", "why"),
    [("short pw", "at least 12"), ("password1234", "common"), ("qwertyuiopasdf", "guess")],
)
def test_weak_passwords_are_refused_and_the_link_still_works(
    client: TestClient, world: World, password: str, why: str
) -> None:
    sent = _invite(client, world, email=_email(), name="Weak Pw", role="coordinator")
    refused = client.post(f"/auth/invitations/{_token(sent['link'])}", json={"password": password})
    assert refused.status_code == 422
    detail = refused.json()["error"]["details"][0]
    assert detail["path"] == "password" and why in detail["message"]
    assert (
        client.post(
            f"/auth/invitations/{_token(sent['link'])}", json={"password": GOOD}
        ).status_code
        == 200
    )


def test_the_persons_own_name_makes_a_weak_password() -> None:
    assert people.password_problems("Ronaldinho1980", hints=["ronaldinho@example.test"])
    assert not people.password_problems(GOOD)


def test_expired_invitation_is_refused(client: TestClient, world: World, engine: Engine) -> None:
    sent = _invite(client, world, email=_email(), name="Late Comer", role="coordinator")
    with new_session(engine) as session:
        row = session.exec(
            select(TokenRow).where(col(TokenRow.user_id) == sent["person"]["id"])
        ).one()
        row.expires_at = row.expires_at - timedelta(days=8)
        session.add(row)
        session.commit()
    refused = client.post(f"/auth/invitations/{_token(sent['link'])}", json={"password": GOOD})
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "invitation_expired"
    listed = client.get("/people", headers=world.header("coord_a")).json()
    assert {p["email"]: p["state"] for p in listed}[sent["person"]["email"]] == "invitation expired"


def test_resend_replaces_the_link(client: TestClient, world: World) -> None:
    sent = _invite(
        client, world, email=_email(), name="Pat Partner", role="partner", site_ref="SITE-A"
    )
    again = client.post(
        f"/people/{sent['person']['id']}/invitation", headers=world.header("coord_a")
    )
    assert again.status_code == 200, again.text
    old = client.post(f"/auth/invitations/{_token(sent['link'])}", json={"password": GOOD})
    assert old.status_code == 404
    new = client.post(f"/auth/invitations/{_token(again.json()['link'])}", json={"password": GOOD})
    assert new.status_code == 200
    me = client.get("/auth/me", headers=bearer(new.json()["access_token"])).json()
    assert me["site_ref"] == "SITE-A"
    done = client.post(
        f"/people/{sent['person']['id']}/invitation", headers=world.header("coord_a")
    )
    assert done.status_code == 409 and done.json()["error"]["code"] == "already_active"


def test_deactivate_ends_sign_in_at_once(client: TestClient, world: World) -> None:
    sent = _invite(client, world, email=_email(), name="Gone Soon", role="coordinator")
    token = client.post(
        f"/auth/invitations/{_token(sent['link'])}", json={"password": GOOD}
    ).json()["access_token"]
    assert client.get("/auth/me", headers=bearer(token)).status_code == 200
    off = client.post(f"/people/{sent['person']['id']}/deactivate", headers=world.header("coord_a"))
    assert off.status_code == 200 and off.json()["state"] == "deactivated"
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401
    own = client.post(
        f"/people/{world.users['coord_a'].id}/deactivate", headers=world.header("coord_a")
    )
    assert own.status_code == 409


def test_bad_invitations_name_the_field_and_write_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = row_counts(engine)
    cases = [
        ({"email": "not-an-email", "name": "X", "role": "coordinator"}, "email"),
        ({"email": _email(), "name": "", "role": "coordinator"}, "name"),
        ({"email": _email(), "name": "X", "role": "student", "student_ref": "NOPE"}, "student_ref"),
        ({"email": _email(), "name": "X", "role": "partner", "site_ref": "NOPE"}, "site_ref"),
    ]
    for body, path in cases:
        response = client.post("/people", json=body, headers=world.header("coord_a"))
        assert response.status_code == 422, response.text
        assert path in {d["path"] for d in response.json()["error"]["details"]}
    taken = {"email": world.users["student_a"].email, "name": "X", "role": "coordinator"}
    response = client.post("/people", json=taken, headers=world.header("coord_a"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "email_taken"
    after = row_counts(engine)
    assert after["app_user"] == before["app_user"]
    assert after["outbox_message"] == before["outbox_message"]


def test_a_terms_students_are_invited_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    term_id = add_blank_term(engine, world, f"people-{uuid.uuid4().hex[:6]}")
    first = client.post(f"/terms/{term_id}/invitations", headers=world.header("coord_a"))
    assert first.status_code == 200, first.text
    invited = {i["person"]["student_ref"] for i in first.json()}
    # T01 and T02 already have accounts in the world (by id); everyone else with an email
    assert invited and not invited & {"T01", "T02"}
    second = client.post(f"/terms/{term_id}/invitations", headers=world.header("coord_a"))
    assert second.json() == []
    with new_session(engine) as session:
        students = session.exec(select(UserRow).where(col(UserRow.student_ref).in_(invited))).all()
        assert all(u.password_hash is None and u.role == "student" for u in students)
