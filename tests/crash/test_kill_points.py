"""kill -9 at named points of an import, a CSV import, a solve run, a publish and a delete.

Each test starts a real server (or arms its solve worker) with one kill point
(`crash_hooks`): just after a write, at the COMMIT, or right after the COMMIT. The process
dies by SIGKILL there; then the database is opened directly and every invariant is checked
(`harness.check_database`), and the outcome must be the whole change or none of it:
committed exactly when the kill came after the COMMIT. Every module's database
accumulates the tests' data, so each check also proves that what earlier servers
acknowledged survived the later crashes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crash_support import (
    Coordinator,
    add_term,
    count_rows,
    synthetic,
    term_id_of,
    tiny,
    tiny_term_with_versions,
    unique_code,
    version_state,
)
from harness import Ledger, ServerProcess, Zygote, check_database, run_statuses, server
from service_support import scenario_of, wait_for
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, SlotRow
from scheduler.services.outbox import deliver_outbox


def assert_consistent(database_url: str, ledger: Ledger, log: Path) -> None:
    problems = check_database(database_url, ledger)
    assert problems == [], f"{problems} (server log: {log})"


def post_and_die(srv: ServerProcess, method: str, path: str, **kwargs: object) -> None:
    """Send a request the server must not survive: no answer, and death by SIGKILL."""
    response = srv.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response is None, f"the server answered {response.status_code}: {response.text}"
    assert srv.died_of_sigkill(), f"the server did not die of SIGKILL (exit {srv.exit})"


def ids(points: list[tuple[str, bool]]) -> list[str]:
    return [point for point, _ in points]


# ---- import of a scenario (POST /terms) ------------------------------------------------

IMPORT_POINTS = [
    ("after_execute:insert into term (", False),
    ("after_execute:insert into student", False),
    ("after_execute:insert into slot", False),
    ("after_execute:insert into audit", False),
    ("commit:insert into term (", False),
    ("committed:insert into term (", True),
]


@pytest.mark.parametrize(("point", "committed"), IMPORT_POINTS, ids=ids(IMPORT_POINTS))
def test_import_is_all_or_nothing(
    point: str,
    committed: bool,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    code = unique_code("imp")
    with server(zygote, database_url, log, crash_at=point) as srv:
        headers = coordinator.headers | {"Content-Type": "application/json"}
        post_and_die(srv, "POST", "/terms", content=json.dumps(tiny(code)), headers=headers)
    assert_consistent(database_url, ledger, log)
    assert (term_id_of(engine, code) is not None) is committed


# ---- CSV replacing a term's slots (POST /terms/{id}/csv) -------------------------------

CSV_POINTS = [
    ("after_execute:delete from slot", False),
    ("after_execute:insert into slot", False),
    ("commit:delete from slot", False),
    ("committed:delete from slot", True),
]


def slots_csv_without_the_last(document: dict[str, object]) -> bytes:
    slots = document["slots"]
    assert isinstance(slots, list)
    lines = ["id,site,period,profession,capacity,language,status"]
    lines += [
        f"{s['id']},{s['site']},{s['period']},{s['profession']},{s['capacity']},"
        f"{s.get('language', '')},{s.get('status', '')}"
        for s in slots[:-1]
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(("point", "committed"), CSV_POINTS, ids=ids(CSV_POINTS))
def test_csv_import_is_all_or_nothing(
    point: str,
    committed: bool,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    document = tiny(unique_code("csv"))
    term_id = add_term(engine, coordinator, scenario_of(document))
    slots = len(document["slots"])
    upload = {"slots": ("slots.csv", slots_csv_without_the_last(document), "text/csv")}
    with server(zygote, database_url, log, crash_at=point) as srv:
        post_and_die(
            srv, "POST", f"/terms/{term_id}/csv", files=upload, headers=coordinator.headers
        )
    assert_consistent(database_url, ledger, log)
    assert count_rows(engine, SlotRow, term_id) == (slots - 1 if committed else slots)


# ---- publishing a version (POST .../versions/{v}/publish) ------------------------------

PUBLISH_POINTS = [
    ("after_execute:update schedule_version", False),
    ("after_execute:insert into outbox_message", False),
    ("after_execute:insert into audit", False),
    ("commit:insert into outbox_message", False),
    ("committed:insert into outbox_message", True),
]


@pytest.mark.parametrize(("point", "committed"), PUBLISH_POINTS, ids=ids(PUBLISH_POINTS))
def test_first_publish_and_its_messages_are_one_change(
    point: str,
    committed: bool,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    term_id, (draft,) = tiny_term_with_versions(engine, coordinator, published=0)
    path = f"/terms/{term_id}/versions/{draft}/publish"
    with server(zygote, database_url, log, crash_at=point) as srv:
        post_and_die(srv, "POST", path, headers=coordinator.headers)
    assert_consistent(database_url, ledger, log)
    assert version_state(engine, draft) == ("published" if committed else "draft")
    assert bool(messages_of(engine, draft)) is committed
    # A restarted server publishes it (again): one published version, one set of messages.
    with server(zygote, database_url, log) as srv:
        response = srv.request("POST", path, headers=coordinator.headers)
        assert response is not None and response.status_code == 200, response
    ledger.published.add(draft)
    assert_consistent(database_url, ledger, log)


SUPERSEDE_POINTS = [
    ("after_execute:update schedule_version#1", False),
    ("commit:update schedule_version", False),
    ("committed:update schedule_version", True),
]


@pytest.mark.parametrize(("point", "committed"), SUPERSEDE_POINTS, ids=ids(SUPERSEDE_POINTS))
def test_publish_over_a_published_version_keeps_one_published(
    point: str,
    committed: bool,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    term_id, (old, new) = tiny_term_with_versions(engine, coordinator, published=1)
    with server(zygote, database_url, log, crash_at=point) as srv:
        post_and_die(
            srv, "POST", f"/terms/{term_id}/versions/{new}/publish", headers=coordinator.headers
        )
    assert_consistent(database_url, ledger, log)
    states = (version_state(engine, old), version_state(engine, new))
    assert states == (("superseded", "published") if committed else ("published", "draft"))


def test_delivery_claims_survive_a_kill_after_the_first(
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    """The delivery thread dies after its first claim: that message is delivered (in the
    app), the others stay pending for the next pass; the publish itself stands."""
    term_id, (draft,) = tiny_term_with_versions(engine, coordinator, published=0)
    path = f"/terms/{term_id}/versions/{draft}/publish"
    delivered = messages_of(engine).count("in_app")
    with server(zygote, database_url, log, crash_at="committed:update outbox_message") as srv:
        response = srv.request("POST", path, headers=coordinator.headers)
        assert srv.died_of_sigkill()
    if response is not None:
        assert response.status_code == 200
        ledger.published.add(draft)
    assert_consistent(database_url, ledger, log)
    assert version_state(engine, draft) == "published"
    # One claim committed (of the oldest due message: maybe an earlier test's).
    assert messages_of(engine).count("in_app") == delivered + 1
    assert set(messages_of(engine, draft)) <= {"in_app", "pending"}
    # The retry (`ipe outbox deliver`, cron) delivers the rest, each once.
    with new_session(engine) as session:
        deliver_outbox(session=session, smtp_settings=None)
    assert set(messages_of(engine, draft)) == {"in_app"}
    assert_consistent(database_url, ledger, log)


def messages_of(engine: Engine, version_id: int | None = None) -> list[str]:
    """The states of a version's messages (of every message without a version)."""
    with new_session(engine) as session:
        query = select(OutboxMessageRow.state)
        if version_id is not None:
            query = query.where(col(OutboxMessageRow.version_id) == version_id)
        return list(session.exec(query).all())


# ---- deleting a term (DELETE /terms/{id}) ----------------------------------------------

DELETE_POINTS = [
    ("after_execute:delete from term", False),
    ("commit:delete from term", False),
    ("committed:delete from term", True),
]


@pytest.mark.parametrize(("point", "committed"), DELETE_POINTS, ids=ids(DELETE_POINTS))
def test_delete_is_all_or_nothing(
    point: str,
    committed: bool,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    term_id, _versions = tiny_term_with_versions(engine, coordinator, published=1)
    with server(zygote, database_url, log, crash_at=point) as srv:
        post_and_die(srv, "DELETE", f"/terms/{term_id}", headers=coordinator.headers)
    assert_consistent(database_url, ledger, log)
    assert (count_rows(engine, SlotRow, term_id) == 0) is committed


# ---- solve runs: the server and the worker ---------------------------------------------


def start_run(srv: ServerProcess, coordinator: Coordinator, term_id: int, limit: float) -> int:
    response = srv.request(
        "POST",
        f"/terms/{term_id}/solve-runs",
        json={"time_limit_s": limit, "workers": 1},
        headers=coordinator.headers,
    )
    assert response is not None and response.status_code == 202, response
    run_id: int = response.json()["id"]
    return run_id


def final_status(srv: ServerProcess, coordinator: Coordinator, term_id: int, run_id: int) -> str:
    """Poll the run through the API (each read reaps a dead worker) until it is over."""

    def over() -> str | None:
        response = srv.request(
            "GET", f"/terms/{term_id}/solve-runs/{run_id}", headers=coordinator.headers
        )
        assert response is not None and response.status_code == 200, response
        status: str = response.json()["status"]
        return status if status in ("succeeded", "failed", "cancelled") else None

    result: str = wait_for(over, timeout=60, interval=0.1)
    return result


WORKER_POINTS = [
    ("commit:update solve_run set status", "failed"),  # the claim, not yet committed
    ("committed:update solve_run set status", "failed"),  # claimed: running, pid recorded
    ("after_execute:insert into schedule_version", "failed"),
    ("after_execute:insert into assignment", "failed"),
    ("after_execute:insert into audit#2", "failed"),  # run.succeeded, after the status update
    ("commit:insert into assignment", "failed"),
    ("committed:insert into assignment", "succeeded"),
]


@pytest.mark.parametrize(("point", "outcome"), WORKER_POINTS, ids=[p for p, _ in WORKER_POINTS])
def test_a_killed_worker_leaves_a_failed_run_and_no_partial_version(
    point: str,
    outcome: str,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    term_id = add_term(engine, coordinator, scenario_of(tiny(unique_code("run"))))
    with server(zygote, database_url, log, worker_crash_at=point) as srv:
        run_id = start_run(srv, coordinator, term_id, limit=5)
        ledger.runs.add(run_id)
        assert final_status(srv, coordinator, term_id, run_id) == outcome
    assert_consistent(database_url, ledger, log)


def test_a_worker_killed_while_solving_is_failed_and_the_term_can_run_again(
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    """Killed mid-solve (at a progress write): failed; a new run of the term then succeeds.
    The term is large enough that its solve outlasts the first progress write (a small
    one can be proven optimal before it)."""
    term_id = add_term(engine, coordinator, synthetic(unique_code("mid"), students=300))
    point = "after_execute:update solve_run set heartbeat_at"
    with server(zygote, database_url, log, worker_crash_at=point) as srv:
        run_id = start_run(srv, coordinator, term_id, limit=2)
        ledger.runs.add(run_id)
        assert final_status(srv, coordinator, term_id, run_id) == "failed"
    assert_consistent(database_url, ledger, log)


SERVER_RUN_POINTS = [
    ("after_execute:insert into solve_run", False),
    ("commit:insert into solve_run", False),
    ("committed:insert into solve_run", True),
]


@pytest.mark.parametrize(("point", "committed"), SERVER_RUN_POINTS, ids=ids(SERVER_RUN_POINTS))
def test_a_run_queued_by_a_killed_server_is_finished_after_restart(
    point: str,
    committed: bool,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    """The server dies as it queues a run: no run, or (committed) a run that the restarted
    server takes up at once: it neither stays queued nor blocks the term."""
    term_id = add_term(engine, coordinator, scenario_of(tiny(unique_code("queue"))))
    before = set(run_statuses(database_url))
    with server(zygote, database_url, log, crash_at=point) as srv:
        post_and_die(
            srv,
            "POST",
            f"/terms/{term_id}/solve-runs",
            json={"time_limit_s": 5, "workers": 1},
            headers=coordinator.headers,
        )
    new = set(run_statuses(database_url)) - before
    assert len(new) == (1 if committed else 0)
    assert_consistent(database_url, ledger, log)
    if committed:
        with server(zygote, database_url, log) as srv:
            (run_id,) = new
            assert final_status(srv, coordinator, term_id, run_id) == "succeeded"
        assert_consistent(database_url, ledger, log)


CANCEL_POINTS = [
    ("commit:update solve_run set status", "succeeded"),  # the cancel is lost with the server
    ("committed:update solve_run set status", "cancelled"),
]


@pytest.mark.parametrize(("point", "outcome"), CANCEL_POINTS, ids=[p for p, _ in CANCEL_POINTS])
def test_a_cancel_and_its_killed_server(
    point: str,
    outcome: str,
    zygote: Zygote,
    database_url: str,
    engine: Engine,
    coordinator: Coordinator,
    ledger: Ledger,
    log: Path,
) -> None:
    """The server dies as it records a cancel, before stopping the worker: the worker
    outlives it and, if the cancel was committed, closes its run as cancelled (no version)."""
    term_id = add_term(engine, coordinator, synthetic(unique_code("cancel")))
    with server(zygote, database_url, log, crash_at=point) as srv:
        run_id = start_run(srv, coordinator, term_id, limit=1.5)
        ledger.runs.add(run_id)
        path = f"/terms/{term_id}/solve-runs/{run_id}"
        post_and_die(srv, "DELETE", path, headers=coordinator.headers)
    with server(zygote, database_url, log) as srv:
        assert final_status(srv, coordinator, term_id, run_id) == outcome
    assert_consistent(database_url, ledger, log)
