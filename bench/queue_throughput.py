"""Throughput of solve runs on the Redis queue: runs per minute with 1 and 2 `ipe worker`s.

Each configuration gets the same batch: `--runs` runs of the generated 2,000-student term
(`generate_term(students=2000, seed=1)`, one copy per run, since a term has one active run
at a time), each with a short time limit and one CP-SAT search worker, so a run's length
is about fixed and what changes is how many run at once. Runs per minute = runs / (last
finish - first submit). Everything goes through the product path: the service queues the
run, `ipe worker` subprocesses claim, solve, validate and save it in PostgreSQL.

    python -m bench.queue_throughput                 # 4 runs x 20 s, with 1 then 2 workers
    python -m bench.queue_throughput --runs 2 --time-limit 10 --budget 300

Needs Redis and PostgreSQL (`--redis-url`, `--database-url`; defaults: this machine's).
The database gets a schema of its own, dropped afterwards; the queue has a name of its
own, whose Redis keys are deleted afterwards. Results: bench/results/queue_throughput.*.
A time budget bounds the whole benchmark: a configuration that overruns it is reported
as unfinished, and its workers are stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue, Worker
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from scheduler.db.engine import make_engine, new_session
from scheduler.db.migrate import upgrade
from scheduler.db.tables import SolveRunRow, UserRow
from scheduler.services import auth, solve_runs, terms
from scheduler.services.queue import RedisJobRunner
from scheduler.settings import QueueConfig
from scheduler.synthetic import generate_term

RESULTS = Path(__file__).parent / "results"
IPE = Path(sys.executable).with_name("ipe")
FINISHED = ("succeeded", "failed", "cancelled")


def main() -> None:
    args = _arguments()
    deadline = time.monotonic() + args.budget
    rows = []
    with _schema(args.database_url) as url, _queue_keys(args.redis_url) as queue_name:
        engine = make_engine(url)
        coordinator, term_ids = _load_terms(engine, args.students, args.runs)
        runner = RedisJobRunner(QueueConfig(url=args.redis_url, name=queue_name), url)
        for workers in args.workers:
            if time.monotonic() > deadline:
                print(f"{workers} worker(s): skipped, the time budget is spent", flush=True)
                continue
            with _workers(workers, args.redis_url, queue_name, url):
                rows.append(
                    _measure(engine, runner, coordinator, term_ids, workers, args, deadline)
                )
            print(_line(rows[-1]), flush=True)
        runner.shutdown()
        engine.dispose()
    _write(rows, args)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=4, help="runs per configuration")
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--budget", type=float, default=900.0, help="seconds for everything")
    parser.add_argument(
        "--redis-url", default=os.environ.get("IPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "IPE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    return parser.parse_args()


@contextmanager
def _schema(base_url: str) -> Iterator[str]:
    """A migrated schema of the benchmark's own on the server, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        engine = make_engine(rendered)
        upgrade(engine)
        engine.dispose()
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def _queue_keys(redis_url: str) -> Iterator[str]:
    """A queue name of the benchmark's own; its keys (and only those) are deleted after."""
    name = f"ipe-bench-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        client = Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"*{name}*", count=500))
        if keys:
            client.delete(*keys)
        for registry in ("rq:workers", "rq:queues"):
            members = [m for m in client.smembers(registry) if name.encode() in m]
            if members:
                client.srem(registry, *members)
        client.close()


def _load_terms(engine: Engine, students: int, count: int) -> tuple[UserRow, list[int]]:
    """One coordinator and `count` copies of the generated term (one active run each)."""
    scenario = generate_term(students=students, seed=1)
    with new_session(engine) as session:
        school = auth.get_or_create_school(session, name="Bench school")
        coordinator = auth.save_user(
            session,
            school=school,
            email="bench@example.test",
            name="Bench",
            role="coordinator",
            password=None,
        )
        term_ids = []
        for index in range(count):
            term = scenario.term.model_copy(update={"id": f"bench-{index}"})
            copy = scenario.model_copy(update={"term": term})
            row = terms.create_term(session, actor=coordinator, scenario=copy)
            term_ids.append(row.id or 0)
        session.commit()
    return coordinator, term_ids


@contextmanager
def _workers(count: int, redis_url: str, queue_name: str, database_url: str) -> Iterator[None]:
    """`count` `ipe worker` subprocesses, up and registered; stopped afterwards."""
    args = [str(IPE), "worker", "--queue-url", redis_url, "--queue-name", queue_name]
    args += ["--database-url", database_url]
    processes = [
        subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        _wait_registered(redis_url, queue_name, {p.pid for p in processes})
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)  # warm: after the job at hand
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()  # its work horse dies with it
                process.wait()


def _wait_registered(redis_url: str, queue_name: str, pids: set[int]) -> None:
    client = Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=client)
    deadline = time.monotonic() + 60
    while {w.pid for w in Worker.all(queue=queue)} < pids:
        if time.monotonic() > deadline:
            raise SystemExit("workers did not come up within 60 s")
        time.sleep(0.2)
    client.close()


def _measure(
    engine: Engine,
    runner: RedisJobRunner,
    coordinator: UserRow,
    term_ids: list[int],
    workers: int,
    args: argparse.Namespace,
    deadline: float,
) -> dict[str, Any]:
    """Submit one run per term, wait for all (or the budget), and time them."""
    submitted = time.monotonic()
    run_ids = [_submit(engine, runner, coordinator, term_id, args) for term_id in term_ids]
    runs = _wait(engine, run_ids, deadline)
    finished = [run for run in runs if run.status in FINISHED and run.finished_at]
    elapsed = time.monotonic() - submitted if len(finished) < len(runs) else _span(runs)
    succeeded = sum(run.status == "succeeded" for run in runs)
    return {
        "workers": workers,
        "runs": len(runs),
        "succeeded": succeeded,
        "unfinished": len(runs) - len(finished),
        "elapsed_s": round(elapsed, 1),
        "runs_per_minute": round(len(finished) / elapsed * 60, 2),
        "mean_run_s": round(
            sum(_seconds(r.started_at, r.finished_at) for r in finished) / max(len(finished), 1), 1
        ),
    }


def _submit(
    engine: Engine,
    runner: RedisJobRunner,
    coordinator: UserRow,
    term_id: int,
    args: argparse.Namespace,
) -> int:
    limits = solve_runs.RunLimits(max_time_limit_s=max(args.time_limit, 600.0))
    with new_session(engine) as session:
        view = solve_runs.start_solve_run(
            session,
            actor=coordinator,
            term_id=term_id,
            runner=runner,
            limits=limits,
            time_limit_s=args.time_limit,
            workers=1,
        )
        session.commit()
    return view.id


def _wait(engine: Engine, run_ids: list[int], deadline: float) -> list[SolveRunRow]:
    while True:
        with new_session(engine) as session:
            runs = [session.get(SolveRunRow, run_id) for run_id in run_ids]
        present = [run for run in runs if run is not None]
        if all(run.status in FINISHED for run in present) or time.monotonic() > deadline:
            return present
        time.sleep(0.5)


def _span(runs: list[SolveRunRow]) -> float:
    """First submit (the runs' creation) to last finish, from the database's clock."""
    first = min(run.created_at for run in runs)
    last = max(run.finished_at for run in runs if run.finished_at)
    return (last - first).total_seconds()


def _seconds(start: Any, end: Any) -> float:
    return (end - start).total_seconds() if start and end else 0.0


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['workers']} worker(s): {row['runs']} runs in {row['elapsed_s']} s = "
        f"{row['runs_per_minute']} runs/min (mean run {row['mean_run_s']} s, "
        f"{row['succeeded']} succeeded, {row['unfinished']} unfinished)"
    )


def _write(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "students": args.students,
        "seed": 1,
        "time_limit_s": args.time_limit,
        "cpsat_workers_per_run": 1,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    (RESULTS / "queue_throughput.json").write_text(
        json.dumps({"meta": meta, "results": rows}, indent=2) + "\n"
    )
    lines = [
        f"Solve runs on the Redis queue: {args.students} students, {args.time_limit:g} s per "
        f"run, 1 CP-SAT worker per run, {os.cpu_count()} CPUs.",
        "",
        "| ipe workers | runs | elapsed (s) | runs/min | mean run (s) | succeeded |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['workers']} | {r['runs']} | {r['elapsed_s']} | {r['runs_per_minute']} | "
        f"{r['mean_run_s']} | {r['succeeded']} |"
        for r in rows
    ]
    (RESULTS / "queue_throughput.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
