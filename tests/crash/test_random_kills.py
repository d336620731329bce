"""kill -9 after seeded random delays: the server during imports, publishes and solves, and
the solve worker during its run. Where the kill lands is up to the clock, so each case
accepts either outcome of the change (done whole, or not at all) and then checks every
invariant (`harness.check_database`), with everything acknowledged before still there.
The seed is fixed: a failure replays with the same delays.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from crash_support import (
    Coordinator,
    add_term,
    synthetic,
    term_id_of,
    tiny_term_with_versions,
    unique_code,
    version_state,
)
from harness import Ledger, ServerProcess, Zygote, check_database, server
from sqlalchemy import Engine
from test_kill_points import final_status, start_run

from scheduler.synthetic import scenario_to_json

pytestmark = pytest.mark.slow

SEED = 9
IMPORT_KILLS = 8
PUBLISH_KILLS = 6
WORKER_KILLS = 5
SERVER_SOLVE_KILLS = 2


def assert_consistent(database_url: str, ledger: Ledger, log: Path) -> None:
    problems = check_database(database_url, ledger)
    assert problems == [], f"{problems} (server log: {log})"


def kill_during(
    srv: ServerProcess, send: Callable[[], httpx.Response | None], delay: float
) -> httpx.Response | None:
    """Send a request from a thread, SIGKILL the server after `delay` s; the answer if any."""
    answers: list[httpx.Response | None] = []
    sender = threading.Thread(target=lambda: answers.append(send()))
    sender.start()
    time.sleep(delay)
    srv.kill()
    sender.join(30)
    return answers[0] if answers else None


def test_random_kills_during_imports(
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    rng = random.Random(SEED)
    headers = coordinator.headers | {"Content-Type": "application/json"}
    for _ in range(IMPORT_KILLS):
        code = unique_code("rimp")
        body = scenario_to_json(synthetic(code, students=200))
        students = len(json.loads(body)["students"])
        with server(zygote, database_url, log) as srv:
            answer = kill_during(
                srv,
                lambda s=srv, b=body: s.request("POST", "/terms", content=b, headers=headers),
                rng.uniform(0.0, 0.6),
            )
        if answer is not None and answer.status_code == 201:
            ledger.terms[code] = students
        assert_consistent(database_url, ledger, log)
        if answer is not None:
            assert term_id_of(engine, code) is not None


def test_random_kills_during_publishes(
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    rng = random.Random(SEED + 1)
    for _ in range(PUBLISH_KILLS):
        term_id, (old, new) = tiny_term_with_versions(engine, coordinator, published=1)
        path = f"/terms/{term_id}/versions/{new}/publish"
        with server(zygote, database_url, log) as srv:
            answer = kill_during(
                srv,
                lambda s=srv, p=path: s.request("POST", p, headers=coordinator.headers),
                rng.uniform(0.0, 0.15),
            )
        if answer is not None and answer.status_code == 200:
            ledger.published.add(new)
        assert_consistent(database_url, ledger, log)
        states = (version_state(engine, old), version_state(engine, new))
        assert states in (("published", "draft"), ("superseded", "published"))


def worker_pid(server_pid: int) -> int | None:
    """The server's solve worker (a 'spawn' child), if it has one now."""
    for task in Path(f"/proc/{server_pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                return int(child)
    return None


def test_random_kills_of_the_solve_worker(
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    """The worker is killed at a random moment of its run: before its claim, while solving
    or while saving. The run ends failed (or succeeded, if it had finished)."""
    rng = random.Random(SEED + 2)
    term_id = add_term(engine, coordinator, synthetic(unique_code("rrun")))
    statuses = []
    with server(zygote, database_url, log) as srv:
        for _ in range(WORKER_KILLS):
            run_id = start_run(srv, coordinator, term_id, limit=1.5)
            ledger.runs.add(run_id)
            time.sleep(rng.uniform(0.0, 3.5))
            pid = worker_pid(srv.pid)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
            statuses.append(final_status(srv, coordinator, term_id, run_id))
            # No worker left to kill: it had finished. A kill may also land as it exits.
            assert statuses[-1] in (("succeeded",) if pid is None else ("failed", "succeeded"))
            assert_consistent(database_url, ledger, log)
        # The random delays may all outlast a quick solve; this kill lands as the worker starts.
        run_id = start_run(srv, coordinator, term_id, limit=1.5)
        ledger.runs.add(run_id)
        pid = first_worker_pid(srv.pid)
        os.kill(pid, signal.SIGKILL)
        assert final_status(srv, coordinator, term_id, run_id) == "failed"
        assert_consistent(database_url, ledger, log)


def first_worker_pid(server_pid: int, timeout: float = 30.0) -> int:
    """The solve worker as soon as it exists (polled every 5 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = worker_pid(server_pid)
        if pid is not None:
            return pid
        time.sleep(0.005)
    raise AssertionError(f"no solve worker appeared within {timeout} s")


def test_random_kills_of_the_server_while_its_worker_solves(
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    """The worker outlives its server and saves its result; the restarted server neither
    reaps the live worker nor loses the run."""
    rng = random.Random(SEED + 3)
    term_id = add_term(engine, coordinator, synthetic(unique_code("rsrv")))
    for _ in range(SERVER_SOLVE_KILLS):
        with server(zygote, database_url, log) as srv:
            run_id = start_run(srv, coordinator, term_id, limit=1.5)
            ledger.runs.add(run_id)
            time.sleep(rng.uniform(0.0, 2.0))
        with server(zygote, database_url, log) as srv:
            assert final_status(srv, coordinator, term_id, run_id) == "succeeded"
        assert_consistent(database_url, ledger, log)
