"""A request whose client leaves stops working (api/client_watch.py, README "Work after the
client leaves").

The app is served by a real uvicorn in a thread; clients are raw sockets that send a
request and close before the answer. What is asserted is the outcome, never a duration:
the work raised ClientGone at a checkpoint (an import wrote nothing), work without a
checkpoint is named by the watchdog, and an ordinary request is left alone. Without the
watch, the looping route below would run until its own 120 s stop and the waits fail.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from ports import listening_socket, port_of
from service_support import (
    RecordingRunner,
    World,
    build_world,
    row_counts,
    settings_for,
    tiny_document,
    wait_for,
)
from sqlalchemy import Engine

from api import client_watch, create_app
from scheduler.services import cancellation, terms
from scheduler.services.cancellation import ClientGone, checkpoint

WAIT_S = 60.0  # generous: only a failure waits this long


class Probe:
    """What the test routes saw: started, and how they ended."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.ended = threading.Event()
        self.release = threading.Event()
        self.outcome = ""

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


PROBE = Probe()


def add_test_routes(app: FastAPI) -> None:
    @app.get("/test-watch/loop")
    def loop() -> dict[str, str]:
        """Works in steps with a checkpoint each, for at most 120 s."""
        PROBE.started.set()
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                checkpoint()
                time.sleep(0.01)
            PROBE.outcome = "ran to its end"
        except ClientGone:
            PROBE.outcome = "client gone"
        finally:
            PROBE.ended.set()
        return {"done": PROBE.outcome}

    @app.get("/test-watch/no-checkpoint")
    def no_checkpoint() -> dict[str, str]:
        """Waits for the test to release it, never checking."""
        PROBE.started.set()
        PROBE.release.wait(WAIT_S)
        PROBE.ended.set()
        return {"done": "released"}


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture(scope="module")
def port(database_url: str) -> Iterator[int]:
    app = create_app(settings_for(database_url), runner=RecordingRunner())
    add_test_routes(app)
    sock = listening_socket()
    config = uvicorn.Config(app, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), timeout=WAIT_S, interval=0.05)
    assert server.started, "uvicorn did not start"
    yield port_of(sock)
    server.should_exit = True
    thread.join(30)
    sock.close()


@pytest.fixture(autouse=True)
def fresh_probe() -> None:
    PROBE.reset()


def send_and_leave(port: int, request: bytes, started: threading.Event) -> None:
    """Send `request`, wait until the work started, then close without reading the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as client:
        client.sendall(request)
        assert started.wait(WAIT_S), "the work never started"


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


def test_work_stops_at_its_next_checkpoint_once_the_client_left(port: int) -> None:
    send_and_leave(port, get("/test-watch/loop"), PROBE.started)
    assert PROBE.ended.wait(WAIT_S), "the work went on after its client left"
    assert PROBE.outcome == "client gone"


def test_an_import_whose_client_left_writes_nothing(
    port: int, engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON import, held in its validation step until the client has left: the next
    checkpoint stops it before anything is written, and its transaction rolls back."""
    real_load, real_import = terms.load_scenario_data, terms.import_scenario

    def slow_load(data: Any) -> Any:
        PROBE.started.set()
        deadline = time.monotonic() + WAIT_S
        while not _watch_gone() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real_load(data)

    def recorded_import(*args: Any, **kwargs: Any) -> Any:
        try:
            term = real_import(*args, **kwargs)
            PROBE.outcome = "imported"
            return term
        except ClientGone:
            PROBE.outcome = "client gone"
            raise
        finally:
            PROBE.ended.set()

    monkeypatch.setattr(terms, "load_scenario_data", slow_load)
    monkeypatch.setattr(terms, "import_scenario", recorded_import)
    before = row_counts(engine)
    body = json.dumps(tiny_document(id="watched-import")).encode()
    head = (
        f"POST /terms HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {world.tokens['coord_a']}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    send_and_leave(port, head + body, PROBE.started)
    assert PROBE.ended.wait(WAIT_S)
    assert PROBE.outcome == "client gone"
    wait_for(lambda: row_counts(engine) == before, timeout=WAIT_S)


def _watch_gone() -> bool:
    watch = cancellation._WATCH.get()
    return watch is not None and watch.gone


def test_the_watchdog_names_work_without_a_checkpoint(
    port: int, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_watch, "WATCHDOG_S", 0.05)
    caplog.set_level(logging.INFO, logger="ipe.client_watch")
    send_and_leave(port, get("/test-watch/no-checkpoint"), PROBE.started)

    def warned() -> bool:  # this request's line: another test's server may log its own
        return any(
            r.getMessage().startswith("GET /test-watch/no-checkpoint still working")
            for r in caplog.records
        )

    try:
        wait_for(warned, timeout=WAIT_S, interval=0.05)
    finally:
        PROBE.release.set()
    assert PROBE.ended.wait(WAIT_S)
    lines = [r.getMessage() for r in caplog.records if r.name == "ipe.client_watch"]
    assert any(line.startswith("GET /test-watch/no-checkpoint still working") for line in lines)
    # its own last line (another request's may come first): after it, nothing of this
    # request can still log into the next test
    own_stop = "GET /test-watch/no-checkpoint stopped "
    wait_for(lambda: any(m.startswith(own_stop) for m in _messages(caplog)), timeout=WAIT_S)


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ipe.client_watch"]


def test_a_client_that_waits_gets_its_answer(
    port: int, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_watch, "WATCHDOG_S", 0.05)
    caplog.set_level(logging.INFO, logger="ipe.client_watch")
    PROBE.release.set()
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as client:
        client.sendall(get("/test-watch/no-checkpoint"))
        answer = client.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")
    mine = [m for m in _messages(caplog) if m.startswith("GET /test-watch/no-checkpoint")]
    assert mine == []
