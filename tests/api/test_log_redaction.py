"""No secret in any log line: passwords, login and partner tokens, feed addresses.

The app is served by a real uvicorn (its access log prints every request's path) in a
thread, and every record of every logger is captured while someone signs in, uses the
token, fetches their calendar feed and a partner's system calls with its API token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from ports import listening_socket, port_of
from service_support import RecordingRunner, World, build_world, settings_for
from sqlalchemy import Engine

from api import create_app
from scheduler.db.engine import new_session
from scheduler.log_redaction import REDACTED, redact, scrub
from scheduler.services import auth, feeds

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    app = create_app(settings_for(database_url), runner=RecordingRunner())
    sock = listening_socket()
    port = port_of(sock)
    # log_config=None: uvicorn's loggers propagate to the root logger, where caplog listens.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)
    sock.close()


def test_no_secret_in_any_log_line(
    base_url: str, engine: Engine, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with new_session(engine) as session:
        feed_token = feeds.rotate_feed(session, actor=world.users["student_a"])
        session.commit()
    email = world.users["partner_a"].email
    with httpx.Client(base_url=base_url) as http:
        login = http.post("/auth/token", data={"username": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        assert http.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).is_success
        created = http.post(
            "/partner/tokens", json={"name": "lab"}, headers={"Authorization": f"Bearer {token}"}
        )
        partner_token = created.json()["token"]
        used = http.get("/partner/slots", headers={"Authorization": f"Bearer {partner_token}"})
        assert used.status_code == 200
        assert http.get(f"/feeds/{feed_token}.ics").status_code == 200
        # a wrong password, and the secrets in a query string
        http.post("/auth/token", data={"username": email, "password": PASSWORD + "!"})
        http.get(f"/feeds/{feed_token}.ics?token={token}&password={PASSWORD}")
    time.sleep(0.2)  # the access log line is written after the answer is sent

    lines = [record.getMessage() for record in caplog.records]
    access = [line for line in lines if "/feeds/" in line]
    assert access, "the access log recorded no feed request (is it on?)"
    assert all(f"/feeds/{REDACTED}.ics" in line for line in access)
    for secret in (PASSWORD, token, partner_token, feed_token):
        leaked = [line for line in lines if secret in line]
        assert not leaked, f"a secret reached the log: {leaked}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('GET /feeds/abc_DEF-123.ics HTTP/1.1" 200', f'GET /feeds/{REDACTED}.ics HTTP/1.1" 200'),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {REDACTED}"),
        ("username=a%40b&password=hunter2&x=1", f"username=a%40b&password={REDACTED}&x=1"),
        ('{"access_token": "xyz", "n": 1}', f'{{"access_token": "{REDACTED}", "n": 1}}'),
        ("cookie ipe_session=s3cr3t; other=1", f"cookie ipe_session={REDACTED}; other=1"),
        ("token " + "A" * 43 + " end", f"token {REDACTED} end"),
        # not secrets: left alone
        ("GET /terms/12/versions/3 200", "GET /terms/12/versions/3 200"),
        ("digest " + "a" * 64, "digest " + "a" * 64),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_scrub_keeps_the_shape_of_arguments() -> None:
    """uvicorn's access formatter unpacks five arguments: they stay five."""
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/feeds/" + "x" * 43 + ".ics", "1.1", 200),
        None,
    )
    scrub(record)
    assert isinstance(record.args, tuple) and len(record.args) == 5
    assert record.getMessage() == f'127.0.0.1:1 - "GET /feeds/{REDACTED}.ics HTTP/1.1" 200'


def test_partner_token_is_a_token_shape(engine: Engine, world: World) -> None:
    """The catch-all pattern matches the tokens the service really issues."""
    with new_session(engine) as session:
        issued = auth.issue_token(
            session, user=world.users["coord_a"], kind=auth.LOGIN, ttl=timedelta(minutes=1)
        )
    assert redact(f"x {issued.token} y") == f"x {REDACTED} y"
