"""Helpers for page tests: sign in through the form, read the CSRF token, post forms, and
publish another version of the tiny term."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from service_support import World, changed_schedule  # noqa: F401  (re-exported for page tests)
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.db.tables import TermRow
from scheduler.domain.schedule import Schedule
from scheduler.services import term_rows, versions

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def sign_in(client: TestClient, world: World, user: str) -> None:
    """Sign in with the form, as a browser would (the cookie lands in the client's jar)."""
    client.cookies.clear()
    response = client.post(
        "/app/login",
        data={"email": world.users[user].email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient, page: str) -> str:
    """The form token on a page (every form of a session carries the same one)."""
    response = client.get(page)
    assert response.status_code == 200, response.text
    found = CSRF.search(response.text)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def post_form(client: TestClient, page: str, action: str, **data: Any) -> Any:
    """Post a form found on `page` with its CSRF token, without following the redirect."""
    token = csrf_of(client, page)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False)


def publish(engine: Engine, world: World, schedule: Schedule, school: str = "a") -> int:
    """Save `schedule` as a new version of the school's term and publish it; its id."""
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms[school].id)
        assert term is not None
        scenario = term_rows.current_scenario(session, term)
        version = versions.record_schedule(session, term=term, scenario=scenario, schedule=schedule)
        versions.publish_version(
            session,
            actor=world.users[f"coord_{school}"],
            term_id=term.id or 0,
            version_id=version.id or 0,
            delivery=None,
        )
        session.commit()
        return version.id or 0
