"""Every limit of issue #9 at its boundary (exactly at it: accepted) and past it (a clear
4xx in the one error shape, and nothing changed): body sizes, rows per import, page sizes,
active solve runs, a run's memory and deadline, failed sign-ins.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from fresh_loop import run_in_fresh_loop
from ports import listening_socket, port_of
from service_support import (
    DEMO,
    RecordingRunner,
    World,
    build_world,
    make_client,
    row_counts,
    scenario_of,
    tiny_document,
    wait_for,
)
from sqlalchemy import Engine, update
from sqlmodel import col, select

from api.body_limit import BodyLimitMiddleware, BodyLimits
from scheduler.db.engine import new_session
from scheduler.db.repositories import ACTIVE_RUN_STATES
from scheduler.db.tables import AuditRow, SolveRunRow, TokenRow
from scheduler.db.types import utcnow
from scheduler.domain.loading import load_scenario_text
from scheduler.services import login_throttle, terms

PASSWORD = "correct horse battery staple"
BODY, UPLOAD = 4096, 64 * 1024


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(
        database_url,
        RecordingRunner(),
        max_body_bytes=BODY,
        max_upload_bytes=UPLOAD,
        import_max_students=12,
        page_size_default=3,
        page_size_max=5,
        run_max_active_per_school=2,
        run_max_active=3,
        login_max_failures_per_account=3,
        login_max_failures_per_address=6,
    )


def new_term(engine: Engine, world: World, school: str = "a") -> int:
    """A fresh unscheduled copy of the tiny term in `school`."""
    with new_session(engine) as session:
        code = f"limits-{utcnow().timestamp()}"
        term = terms.create_term(
            session,
            actor=world.users[f"coord_{school}"],
            scenario=scenario_of(tiny_document(id=code)),
        )
        session.commit()
        return term.id or 0


def end_active_runs(engine: Engine) -> None:
    """Runs of a RecordingRunner stay queued; tests about run caps start from none."""
    with new_session(engine) as session:
        statement = (
            update(SolveRunRow)
            .where(col(SolveRunRow.status).in_(ACTIVE_RUN_STATES))
            .values(status="failed", error="ended by the test")
        )
        session.exec(statement)  # type: ignore[call-overload]
        session.commit()


def padded(document: dict[str, Any], size: int) -> bytes:
    """The document as JSON with trailing spaces to exactly `size` bytes."""
    text = json.dumps(document).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["message"] and all(d["path"] and d["message"] for d in error["details"])
    return error


# ---- request body size -------------------------------------------------------------------


def test_an_ordinary_body_at_the_limit_is_read(
    client: TestClient, engine: Engine, world: World
) -> None:
    end_active_runs(engine)
    term_id = new_term(engine, world)
    response = client.post(
        f"/terms/{term_id}/solve-runs",
        content=padded({"seed": 3}, BODY),
        headers={**world.header("coord_a"), "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_ordinary_body_past_the_limit_is_413(
    client: TestClient, engine: Engine, world: World, chunked: bool
) -> None:
    end_active_runs(engine)
    term_id = new_term(engine, world)
    body = padded({"seed": 3}, BODY + 1)
    before = row_counts(engine)
    response = client.post(
        f"/terms/{term_id}/solve-runs",
        content=iter([body[:1000], body[1000:]]) if chunked else body,
        headers={**world.header("coord_a"), "Content-Type": "application/json"},
    )
    error = error_of(response, 413)
    assert error["code"] == "too_large"
    assert error["details"] == [
        {"path": "body", "message": "at most 4,096 bytes are accepted here"}
    ]
    assert row_counts(engine) == before


def test_an_import_at_the_upload_limit_is_read(client: TestClient, world: World) -> None:
    body = padded(tiny_document(id="at-the-upload-limit"), UPLOAD)
    response = client.post(
        "/terms",
        content=body,
        headers={**world.header("coord_a"), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_an_import_past_the_upload_limit_is_413(
    client: TestClient, engine: Engine, world: World
) -> None:
    before = row_counts(engine)
    json_body = padded(tiny_document(id="past-the-upload-limit"), UPLOAD + 1)
    headers = {**world.header("coord_a"), "Content-Type": "application/json"}
    as_json = client.post("/terms", content=json_body, headers=headers)
    as_csv = client.post(
        f"/terms/{new_term(engine, world)}/csv",
        files={"students": ("students.csv", b"id,name,profession\n" + b" " * UPLOAD, "text/csv")},
        headers=world.header("coord_a"),
    )
    for response in (as_json, as_csv):
        assert error_of(response, 413)["details"][0]["message"] == (
            "at most 65,536 bytes are accepted here"
        )
    counts = row_counts(engine)
    assert counts["term"] == before["term"] + 1  # only new_term's own
    assert counts["student"] == before["student"] + 12


def test_a_page_upload_past_the_limit_is_a_413_page(client: TestClient) -> None:
    response = client.post("/app/terms", content=b"x" * (UPLOAD + 1))
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert "larger than 64 KiB" in response.text or "larger than" in response.text


def test_the_middleware_counts_streamed_chunks() -> None:
    """No Content-Length: the bytes are counted as they come, and the app never runs."""
    called: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    chunks = [b"x" * 1000] * 10
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/auth/token", "headers": []}
    middleware = BodyLimitMiddleware(app, limits=BodyLimits(body_bytes=4096, upload_bytes=8192))
    run_in_fresh_loop(middleware(scope, receive, send))
    assert not called
    assert sent[0]["status"] == 413
    assert len(messages) == 6  # stopped reading at the fifth chunk, past 4,096 bytes


# ---- rows per import ---------------------------------------------------------------------


def test_rows_at_the_limit_import_and_one_more_is_refused(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = world.header("coord_a")
    at_limit = tiny_document(id="twelve-students")
    assert len(at_limit["students"]) == 12
    assert client.post("/terms", json=at_limit, headers=headers).status_code == 201
    over = tiny_document(id="thirteen-students")
    over["students"].append(dict(over["students"][0], id="T13"))
    before = row_counts(engine)
    error = error_of(client.post("/terms", json=over, headers=headers), 422)
    assert error["details"] == [
        {"path": "students", "message": "at most 12 rows per import, found 13"}
    ]
    assert row_counts(engine) == before


def test_csv_rows_at_the_limit_import_and_one_more_is_refused(
    client: TestClient, engine: Engine, world: World
) -> None:
    term_id = new_term(engine, world)
    rows = "".join(f"T{i:02d},Student {i},NURS\n" for i in range(1, 13))
    files = {"students": ("students.csv", "id,name,profession\n" + rows, "text/csv")}
    headers = world.header("coord_a")
    assert client.post(f"/terms/{term_id}/csv", files=files, headers=headers).status_code == 200
    files = {
        "students": ("students.csv", "id,name,profession\n" + rows + "T13,X,NURS\n", "text/csv")
    }
    before = row_counts(engine)
    error = error_of(client.post(f"/terms/{term_id}/csv", files=files, headers=headers), 422)
    assert {"path": "students.csv", "message": "at most 12 rows per import, found more"} in (
        error["details"]
    )
    assert row_counts(engine) == before


# ---- pages of lists ----------------------------------------------------------------------

LISTS = [
    ("coord_a", "/terms"),
    ("coord_a", "/terms/{term}/students"),
    ("coord_a", "/terms/{term}/slots"),
    ("coord_a", "/terms/{term}/solve-runs"),
    ("coord_a", "/terms/{term}/versions"),
    ("coord_a", "/terms/{term}/outbox"),
    ("student_a", "/me/messages"),
    ("partner_a", "/partner/messages"),
    ("partner_a", "/partner/slots"),
]


@pytest.mark.parametrize(("user", "path"), LISTS)
def test_every_list_takes_the_largest_page_and_refuses_a_larger_one(
    client: TestClient, engine: Engine, world: World, user: str, path: str
) -> None:
    url = path.format(term=world.terms["a"].id)
    at_limit = client.get(url, params={"limit": 5}, headers=world.header(user))
    assert at_limit.status_code == 200, at_limit.text
    assert len(at_limit.json()) <= 5
    before = row_counts(engine)
    error = error_of(client.get(url, params={"limit": 6}, headers=world.header(user)), 422)
    assert error["details"] == [
        {
            "path": "query.limit",
            "message": "at most 5 rows per page; ask for the next page with `offset`",
        }
    ]
    assert row_counts(engine) == before  # not even an audit row


def test_pages_of_students_cover_the_list_once(client: TestClient, world: World) -> None:
    url, headers = f"/terms/{world.terms['a'].id}/students", world.header("coord_a")
    default = client.get(url, headers=headers).json()
    pages = [
        client.get(url, params={"limit": 5, "offset": o}, headers=headers).json()
        for o in (0, 5, 10)
    ]
    ids = [s["id"] for page in pages for s in page]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert ids == sorted(ids) and len(set(ids)) == 12
    assert [s["id"] for s in default] == ids[:3]  # page_size_default


def test_only_the_students_on_the_page_are_audited_as_read(
    client: TestClient, engine: Engine, world: World
) -> None:
    def reads() -> int:
        with new_session(engine) as session:
            query = select(AuditRow).where(col(AuditRow.action) == "student.read")
            return len(session.exec(query).all())

    before = reads()
    url = f"/terms/{world.terms['a'].id}/students"
    client.get(url, params={"limit": 2}, headers=world.header("coord_a"))
    assert reads() == before + 2


# ---- active solve runs -------------------------------------------------------------------


def start(client: TestClient, world: World, term_id: int, school: str = "a", **body: Any) -> Any:
    return client.post(
        f"/terms/{term_id}/solve-runs", json=body, headers=world.header(f"coord_{school}")
    )


def test_a_school_may_run_up_to_its_cap(client: TestClient, engine: Engine, world: World) -> None:
    end_active_runs(engine)
    first, second, third = (new_term(engine, world) for _ in range(3))
    assert start(client, world, first).status_code == 202
    assert start(client, world, second).status_code == 202
    before = row_counts(engine)
    refused = start(client, world, third)
    error = error_of(refused, 429)
    assert error["code"] == "too_many_runs"
    assert "already has 2 solve run(s) queued or running" in error["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert row_counts(engine) == before


def test_the_service_runs_up_to_its_cap(client: TestClient, engine: Engine, world: World) -> None:
    end_active_runs(engine)
    a1, a2 = new_term(engine, world), new_term(engine, world)
    b1, b2 = new_term(engine, world, "b"), new_term(engine, world, "b")
    for term_id, school in ((a1, "a"), (a2, "a"), (b1, "b")):
        assert start(client, world, term_id, school).status_code == 202
    before = row_counts(engine)
    error = error_of(start(client, world, b2, "b"), 429)
    assert error["code"] == "service_busy"
    assert "maximum of 3 solve runs" in error["message"]
    assert row_counts(engine) == before


def test_time_limit_at_the_maximum_is_accepted_and_past_it_refused(
    client: TestClient, engine: Engine, world: World
) -> None:
    end_active_runs(engine)
    term_id = new_term(engine, world)
    before = row_counts(engine)
    error = error_of(start(client, world, term_id, time_limit_s=600.5), 422)
    assert error["message"] == "time_limit_s may be at most 600"
    assert row_counts(engine) == before
    assert start(client, world, term_id, time_limit_s=600).status_code == 202


# ---- a run's memory and deadline (real worker processes) ---------------------------------


def finished_run(client: TestClient, world: World, term_id: int, run_id: int) -> dict[str, Any]:
    url = f"/terms/{term_id}/solve-runs/{run_id}"

    def done() -> dict[str, Any] | None:
        run: dict[str, Any] = client.get(url, headers=world.header("coord_a")).json()
        return run if run["status"] in ("succeeded", "failed", "cancelled") else None

    result: dict[str, Any] = wait_for(done, timeout=120)
    return result


def published(client: TestClient, world: World) -> list[Any]:
    url = f"/terms/{world.terms['a'].id}/versions"
    versions = client.get(url, headers=world.header("coord_a")).json()
    return [(v["id"], v["state"]) for v in versions]


def test_a_run_past_its_memory_ceiling_fails_and_the_published_schedule_stays(
    database_url: str, engine: Engine, world: World
) -> None:
    end_active_runs(engine)
    for client in make_client(database_url, run_memory_limit_mb=64):
        term_id = world.terms["a"].id or 0
        versions = published(client, world)
        schedule = client.get(
            f"/terms/{term_id}/versions/{world.versions['a']}/schedule",
            headers=world.header("coord_a"),
        ).json()
        run = start(client, world, term_id, workers=1).json()
        run = finished_run(client, world, term_id, run["id"])
        assert run["status"] == "failed"
        assert "the solve ran out of memory: a run may use at most 64 MB" in run["error"]
        assert published(client, world) == versions
        again = client.get(
            f"/terms/{term_id}/versions/{world.versions['a']}/schedule",
            headers=world.header("coord_a"),
        ).json()
        assert again == schedule


def test_a_run_past_its_deadline_is_stopped(
    database_url: str, engine: Engine, world: World
) -> None:
    """A deadline of 2 ms (a 1 ms limit plus a 1 ms margin) fires before the worker has even
    read the demo term's 300 students (its preparation alone takes tens of milliseconds), so
    the run is stopped whatever the machine's speed or load."""
    end_active_runs(engine)
    with new_session(engine) as session:
        demo = load_scenario_text(DEMO.read_text()).scenario
        assert demo is not None
        term = terms.create_term(session, actor=world.users["coord_a"], scenario=demo)
        session.commit()
        term_id = term.id or 0
    for client in make_client(database_url, run_deadline_margin_s=0.001):
        run = start(client, world, term_id, time_limit_s=0.001, workers=1).json()
        run = finished_run(client, world, term_id, run["id"])
        assert run["status"] == "failed"
        assert run["error"] == "stopped: the solve ran past its deadline of 0.002 s"


# ---- failed sign-ins ---------------------------------------------------------------------


def login(client: TestClient, email: str, password: str) -> Any:
    return client.post("/auth/token", data={"username": email, "password": password})


def tokens(engine: Engine) -> int:
    with new_session(engine) as session:
        return len(session.exec(select(TokenRow)).all())


def test_the_account_limit_allows_n_failures_then_refuses(
    client: TestClient, engine: Engine, world: World
) -> None:
    email = world.users["student_a"].email
    for _ in range(3):
        assert error_of(login(client, email, "wrong"), 401)["code"] == "invalid_credentials"
    before = tokens(engine)
    refused = login(client, email, PASSWORD)  # even the right password
    error = error_of(refused, 429)
    assert error["code"] == "login_throttled"
    assert "too many failed sign-ins for this account" in error["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60 + 1
    assert tokens(engine) == before
    # Another account from the same address is not locked by it.
    other = login(client, world.users["student_a2"].email, PASSWORD)
    assert other.status_code == 200


def test_a_success_clears_the_accounts_failures(client: TestClient, world: World) -> None:
    email = world.users["partner_a2"].email
    for _ in range(2):
        assert login(client, email, "wrong").status_code == 401
    assert login(client, email, PASSWORD).status_code == 200
    for _ in range(2):
        assert login(client, email, "wrong").status_code == 401  # 2 of 3, not 4


def test_the_limit_holds_across_server_processes(
    database_url: str, engine: Engine, world: World
) -> None:
    """Two app instances on one database: failures seen by one are counted by the other."""
    email = world.users["coord_b"].email
    overrides = {"login_max_failures_per_account": 2, "login_max_failures_per_address": 100}
    for first in make_client(database_url, **overrides):
        for second in make_client(database_url, **overrides):
            assert login(first, email, "wrong").status_code == 401
            assert login(second, email, "wrong").status_code == 401
            assert login(first, email, PASSWORD).status_code == 429
            assert login(second, email, PASSWORD).status_code == 429


def test_the_address_limit_covers_every_account(
    database_url: str, engine: Engine, world: World
) -> None:
    overrides = {"login_max_failures_per_account": 10, "login_max_failures_per_address": 2}
    for client in make_client(database_url, **overrides):
        client.post("/auth/token", data={"username": "x@example.test", "password": "-"})
        client.post("/auth/token", data={"username": "y@example.test", "password": "-"})
        refused = login(client, world.users["partner_b"].email, PASSWORD)
        assert "your network address" in error_of(refused, 429)["message"]


@pytest.mark.parametrize(("trusted", "third"), [("", 429), ("127.0.0.1", 401)])
def test_forwarded_addresses_count_only_from_trusted_proxies(
    database_url: str, world: World, trusted: str, third: int
) -> None:
    """`ipe serve`'s uvicorn options: by default a local client sending X-Forwarded-For
    is still one address (the third failure hits the address limit of 2); only with
    `IPE_TRUSTED_PROXIES` naming it does each forwarded address count on its own."""
    import uvicorn

    from api import create_app
    from scheduler.cli_demo import proxy_options
    from scheduler.settings import Settings

    settings = Settings(
        database_url=database_url,
        login_max_failures_per_account=100,
        login_max_failures_per_address=2,
    )
    sock = listening_socket()
    port = port_of(sock)
    proxy_headers, forwarded_allow_ips = proxy_options(trusted)
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=60, interval=0.05)
        statuses = []
        for i in range(3):
            response = httpx.post(
                f"http://127.0.0.1:{port}/auth/token",
                data={"username": f"proxy-{trusted}-{i}@example.test", "password": "-"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                timeout=60,
            )
            statuses.append(response.status_code)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
    assert statuses == [401, 401, third]


def test_the_lock_ends_with_the_window(engine: Engine) -> None:
    limits = login_throttle.LoginLimits(per_account=1, per_address=100, window_s=60)
    moment = utcnow()
    key = login_throttle.account_key("Window@Example.test ")
    login_throttle.record_failure(
        engine, account=key, address="10.9.9.9", limits=limits, now=moment
    )
    with new_session(engine) as session:
        with pytest.raises(login_throttle.TooManyRequests) as refused:
            login_throttle.check(
                session, account=key, address="10.9.9.9", limits=limits, now=moment
            )
        assert refused.value.retry_after_s == 61
        later = moment + timedelta(seconds=61)
        login_throttle.check(session, account=key, address="10.9.9.9", limits=limits, now=later)


def test_the_sign_in_page_is_throttled_too(database_url: str, world: World) -> None:
    overrides = {"login_max_failures_per_account": 1, "login_max_failures_per_address": 100}
    for client in make_client(database_url, **overrides):
        email = world.users["student_b"].email
        first = client.post("/app/login", data={"email": email, "password": "wrong"})
        assert first.status_code == 401
        refused = client.post("/app/login", data={"email": email, "password": PASSWORD})
        assert refused.status_code == 429
        assert "Too many failed sign-ins for this account" in refused.text
        assert int(refused.headers["Retry-After"]) > 0
