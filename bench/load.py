"""The API under load: a published term, a running server, many concurrent readers.

1. `setup` (its own process): migrate a fresh database, load the generated term through
   `scheduler.services` (school, coordinator, term, the product's schedule recorded and
   published: both re-validated as in production), create accounts for a sample of
   students and for the partner sites that host placements, and hand out login tokens.
2. uvicorn serves `api.app:create_app` on 127.0.0.1 and a free port (one process, as
   `ipe serve` does).
3. `drive` (its own process, a fresh server per run): `clients` concurrent asyncio + httpx
   clients, each reading
   in a loop, with no pause (closed loop) or with `think_s` between its requests, until
   `duration_s` has passed or `max_requests` were sent; loopback only, bounded in time
   and count. 80 % of requests are a student's `GET /me/schedule`, 20 % a partner's
   `GET /partner/slots` (their slots with the students placed: the roster).

SQLite is a file in a temporary folder; PostgreSQL is a database created for the run
(`ipe_bench_<pid>`) on the server of `IPE_BENCH_PG_URL` and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.isolate import rss_mb, run_isolated

PG_ADMIN_URL = os.environ.get(
    "IPE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STUDENT_SHARE = 0.8
STUDENT_ACCOUNTS = 500
PARTNER_ACCOUNTS = 100
LOOPBACK = "127.0.0.1"
KEEP_ALIVE_S = 75
"""The server keeps an idle connection this long (uvicorn's default is 5 s). On these
overloaded cores a client could come back to a pooled connection just as the server
closed it ("Server disconnected without sending a response", 1-2 per 100-client run);
in production a proxy in front of the API keeps connections shorter than this anyway."""
CLIENT_TIMEOUT_S = 45.0
"""Longer than the server's connection-pool timeout (30 s), so a pool timeout comes back
as the server's 500, not as a client time-out."""


# --- 1. the database -------------------------------------------------------------------------


def setup(
    *,
    report: Callable[..., None],
    url: str,
    students: int,
    seed: int,
    schedule_path: str | None,
    time_limit: float,
) -> dict[str, Any]:
    """Load, record and publish the term; accounts and tokens for the readers."""
    from scheduler.db.engine import make_engine, new_session
    from scheduler.db.migrate import upgrade
    from scheduler.domain.loading import load_schedule_text
    from scheduler.services import auth, terms, versions
    from scheduler.synthetic import generate_term

    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.monotonic() - clock, 2)
        clock = time.monotonic()

    report("migrating")
    engine = make_engine(url)
    upgrade(engine)
    lap("migrate_s")
    scenario = generate_term(students=students, seed=seed)
    schedule = None
    if schedule_path and Path(schedule_path).exists():
        schedule, _ = load_schedule_text(Path(schedule_path).read_text())
    if schedule is None:
        report("solving (no schedule from the solve benchmark)")
        from solver import SolveOptions, solve

        schedule = solve(scenario, options=SolveOptions(time_limit_s=time_limit))
        if schedule_path:  # the next setup on this term loads it instead of solving again
            Path(schedule_path).write_text(schedule.model_dump_json(exclude_none=True))
    lap("schedule_s")
    report("loading the term")
    with new_session(engine) as session:
        school = auth.get_or_create_school(session, name="Benchmark School")
        coordinator = auth.save_user(
            session,
            school=school,
            email="coordinator@bench.example.edu",
            name="Benchmark Coordinator",
            role="coordinator",
            password=None,
        )
        term = terms.create_term(session, actor=coordinator, scenario=scenario)
        session.commit()
        lap("import_s")
        report("recording and publishing the schedule")
        version = versions.record_schedule(session, term=term, scenario=scenario, schedule=schedule)
        session.commit()
        lap("record_s")
        versions.publish_version(
            session,
            actor=coordinator,
            term_id=term.id or 0,
            version_id=version.id or 0,
            delivery=None,
        )
        session.commit()
        lap("publish_s")
        report("accounts and tokens")
        rng = random.Random(seed)
        picked = rng.sample(scenario.students, min(STUDENT_ACCOUNTS, len(scenario.students)))
        site_of = {slot.id: slot.site for slot in scenario.slots}
        hosting = sorted({site_of[p.slot] for p in schedule.placements})
        partner_sites = rng.sample(hosting, min(PARTNER_ACCOUNTS, len(hosting)))
        ttl = timedelta(hours=6)
        tokens: dict[str, list[str]] = {"student": [], "partner": []}
        for student in picked:
            user = auth.save_user(
                session,
                school=school,
                email=f"{student.id.lower()}@students.bench.example.edu",
                name=student.name,
                role="student",
                password=None,
                student_ref=student.id,
            )
            tokens["student"].append(
                auth.issue_token(session, user=user, kind="login", ttl=ttl).token
            )
        for site_id in partner_sites:
            user = auth.save_user(
                session,
                school=school,
                email=f"partner-{site_id.lower()}@partners.bench.example.org",
                name=f"{site_id} placements",
                role="partner",
                password=None,
                site_ref=site_id,
            )
            tokens["partner"].append(
                auth.issue_token(session, user=user, kind="login", ttl=ttl).token
            )
        session.commit()
        lap("accounts_s")
    engine.dispose()
    return {
        "students": students,
        "placements": len(schedule.placements),
        "schedule_status": schedule.status,
        "timings": timings,
        "tokens": tokens,
    }


def _create_pg_database() -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL)
    name = f"ipe_bench_{os.getpid()}"
    plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(
        plain.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- 2. the server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _start_server(url: str, port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IPE_DATABASE_URL": url}
    command = [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", LOOPBACK, "--port", str(port), "--log-level", "warning", "--no-access-log",
        "--workers", str(workers), "--timeout-keep-alive", str(KEEP_ALIVE_S),
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=Path.cwd()
    )


def _wait_ready(port: int, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://{LOOPBACK}:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer /healthz within {timeout_s:.0f} s")


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# --- 3. the clients --------------------------------------------------------------------------


def drive(
    *,
    report: Callable[..., None],
    base_url: str,
    tokens: dict[str, list[str]],
    clients: int,
    duration_s: float,
    max_requests: int,
    think_s: float,
    seed: int,
) -> dict[str, Any]:
    """Run the clients; latencies per kind of read."""
    report("load", clients=clients, duration_s=duration_s)
    return asyncio.run(_drive(base_url, tokens, clients, duration_s, max_requests, think_s, seed))


async def _drive(
    base_url: str,
    tokens: dict[str, list[str]],
    clients: int,
    duration_s: float,
    max_requests: int,
    think_s: float,
    seed: int,
) -> dict[str, Any]:
    import httpx

    rng = random.Random(seed)
    samples: dict[str, list[float]] = {"student_schedule": [], "partner_roster": []}
    failures: dict[str, int] = {}
    failure_notes: list[str] = []  # the first few transport errors, with when they came
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=CLIENT_TIMEOUT_S
    ) as client:
        started = time.monotonic()
        deadline = started + duration_s

        async def one_client() -> None:
            nonlocal sent
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                if rng.random() < STUDENT_SHARE or not tokens["partner"]:
                    kind, path, token = (
                        "student_schedule",
                        "/me/schedule",
                        rng.choice(tokens["student"]),
                    )
                else:
                    kind, path, token = (
                        "partner_roster",
                        "/partner/slots",
                        rng.choice(tokens["partner"]),
                    )
                begun = time.perf_counter()
                try:
                    response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
                    status = str(response.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                    if len(failure_notes) < 5:
                        at = time.monotonic() - started
                        failure_notes.append(f"{at:.1f} s: {kind} {status}: {error!r}")
                elapsed = time.perf_counter() - begun
                if status == "200":
                    samples[kind].append(elapsed)
                else:
                    failures[f"{kind} {status}"] = failures.get(f"{kind} {status}", 0) + 1
                if think_s:
                    await asyncio.sleep(think_s)

        await asyncio.gather(*(one_client() for _ in range(clients)))
        wall = time.monotonic() - started
    ok = sum(len(v) for v in samples.values())
    return {
        "clients": clients,
        "think_s": think_s,
        "duration_s": round(wall, 2),
        "requests": sent,
        "answered_200": ok,
        "failures": failures,
        "failure_notes": failure_notes,
        "throughput_rps": round(ok / wall, 1) if wall else None,
        "latency_ms": {kind: _percentiles(values) for kind, values in samples.items()},
        "all_ms": _percentiles([v for values in samples.values() for v in values]),
    }


def _percentiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "n": len(ordered),
        "p50": round(1000 * statistics.median(ordered), 1),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(1000 * ordered[-1], 1),
    }


# --- the whole test --------------------------------------------------------------------------


def load_test(
    database: str,
    *,
    students: int,
    seed: int,
    schedule_path: str | None,
    time_limit: float,
    runs: tuple[tuple[int, float], ...],
    duration_s: float,
    max_requests: int,
    say: Callable[[str], None] = print,
    server_workers: int = 1,
) -> dict[str, Any]:
    """Set up `database` ("sqlite" or "postgresql"), then for each (clients, think) run a
    fresh server (`server_workers` uvicorn processes) and the clients; tear everything down."""
    out: dict[str, Any] = {
        "database": database,
        "students": students,
        "server_workers": server_workers,
        "runs": [],
    }
    folder = Path(tempfile.mkdtemp(prefix="ipe-bench-"))
    pg_name = None
    try:
        if database == "sqlite":
            url = f"sqlite:///{folder / 'bench.sqlite'}"
        else:
            try:
                url, pg_name = _create_pg_database()
            except Exception as error:  # noqa: BLE001 - no server: say so, go on
                return {**out, "ok": False, "stopped": f"no PostgreSQL: {error}"}
        ready = run_isolated(
            "bench.load:setup",
            {
                "url": url,
                "students": students,
                "seed": seed,
                "schedule_path": schedule_path,
                "time_limit": time_limit,
            },
            timeout_s=600 + 2 * time_limit,
            on_stage=lambda s: say(f"    {database}: {s['stage']}"),
        )
        if not ready.get("ok"):
            return {**out, "ok": False, "setup": ready}
        tokens = ready.pop("tokens")
        out["setup"] = ready
        for clients, think in runs:
            say(f"    {database}: {clients} clients, think {think:g} s, {duration_s:g} s")
            out["runs"].append(
                _one_run(
                    url,
                    folder,
                    tokens,
                    clients,
                    think,
                    duration_s,
                    max_requests,
                    seed,
                    server_workers,
                )  # fmt: skip
            )
        out["ok"] = all(r.get("ok") for r in out["runs"])
        return out
    finally:
        if pg_name is not None:
            try:
                _drop_pg_database(pg_name)
                out["dropped"] = pg_name
            except Exception as error:  # noqa: BLE001
                out["drop_error"] = str(error)
        shutil.rmtree(folder, ignore_errors=True)


def _one_run(
    url: str,
    folder: Path,
    tokens: dict[str, list[str]],
    clients: int,
    think: float,
    duration_s: float,
    max_requests: int,
    seed: int,
    server_workers: int,
) -> dict[str, Any]:
    """A fresh server, the clients, the server's peak memory and its logged errors."""
    port = _free_port()
    log = folder / f"server-{clients}-{think:g}.log"
    server = _start_server(url, port, log, server_workers)
    peak = [0.0]
    loads: list[float] = []
    try:
        _wait_ready(port, server)
        run = _with_server_rss(
            server.pid,
            peak,
            loads,
            lambda: run_isolated(
                "bench.load:drive",
                {
                    "base_url": f"http://{LOOPBACK}:{port}",
                    "tokens": tokens,
                    "clients": clients,
                    "duration_s": duration_s,
                    "max_requests": max_requests,
                    "think_s": think,
                    "seed": seed,
                },
                timeout_s=duration_s + 2 * CLIENT_TIMEOUT_S + 60,
            ),
        )
    finally:
        _stop_server(server)
    run["server_peak_rss_mb"] = round(peak[0], 1)
    if loads:  # other jobs share the cores: how busy they were while this run went on
        run["load_average_1min"] = {
            "mean": round(statistics.fmean(loads), 2),
            "max": round(max(loads), 2),
        }
    errors = _logged_errors(log)
    if errors:
        run["server_errors"] = errors
    return run


def _logged_errors(log: Path) -> dict[str, int]:
    """Distinct exception lines of the server log, counted (the causes of 500s)."""
    counts: dict[str, int] = {}
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return counts
    for line in lines:
        if line and not line.startswith((" ", "Traceback", "ERROR:", "unhandled", "During")):
            key = line[:160]
            counts[key] = counts.get(key, 0) + 1
    return counts


def _with_server_rss(
    pid: int, peak: list[float], loads: list[float], body: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run `body` while sampling the server's resident memory and the machine's 1-minute
    load average in a thread."""
    import threading

    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            loads.append(os.getloadavg()[0])
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        return body()
    finally:
        done.set()
        sampler.join(timeout=2)


# --- on its own: repeated runs and their medians -----------------------------------------------


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeated runs of one (clients, think) setting; errors are summed."""

    def median(values: list[Any]) -> float | None:
        present = [v for v in values if v is not None]
        return round(statistics.median(present), 1) if present else None

    def latencies(run: dict[str, Any], kind: str) -> dict[str, Any]:
        found = run.get("all_ms") if kind == "all" else run.get("latency_ms", {}).get(kind)
        return found or {}

    out: dict[str, Any] = {
        "repeats": len(runs),
        "throughput_rps": median([r.get("throughput_rps") for r in runs]),
        "errors": sum(sum(r.get("failures", {}).values()) for r in runs),
        "stopped": [r["stopped"] for r in runs if r.get("stopped")],
        "load_average_1min": median([r.get("load_average_1min", {}).get("mean") for r in runs]),
    }
    for kind in ("student_schedule", "partner_roster", "all"):
        for q in ("p50", "p95", "p99"):
            out[f"{kind}_{q}_ms"] = median([latencies(r, kind).get(q) for r in runs])
    return out


def main() -> None:
    """`python -m bench.load`: the load test alone, each setting repeated, medians printed."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--runs", nargs="+", default=["100:0", "20:0"], help="CLIENTS:THINK_S")
    parser.add_argument("--seconds", type=float, default=30.0, help="per run")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each setting")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--server-workers", type=int, default=1, help="uvicorn processes (ipe serve: 1)"
    )
    parser.add_argument(
        "--schedule", help="the term's schedule: loaded when it exists, else solved and saved"
    )
    parser.add_argument("--name", default="load", help="bench/results/<name>.json")
    args = parser.parse_args()
    settings = [(int(c), float(t or 0)) for c, _, t in (r.partition(":") for r in args.runs)]
    order = tuple(s for _ in range(args.repeat) for s in settings)  # interleaved: noise spreads
    report: dict[str, Any] = {"load_average_at_start": os.getloadavg(), "databases": []}
    for database in args.databases:
        print(f"{database}: {args.students:,} students, runs {args.runs} x {args.repeat}")
        result = load_test(
            database,
            students=args.students,
            seed=args.seed,
            schedule_path=args.schedule,
            time_limit=60.0,
            runs=order,
            duration_s=args.seconds,
            max_requests=args.max_requests,
            server_workers=args.server_workers,
        )
        result["medians"] = {
            f"{c}:{t:g}": summarise(
                [r for r in result["runs"] if (r.get("clients"), r.get("think_s")) == (c, t)]
            )
            for c, t in settings
        }
        report["databases"].append(result)
        print(json.dumps(result["medians"], indent=1))
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"{args.name}.json").write_text(json.dumps(report, indent=1, default=str))
    print(f"written: {results / f'{args.name}.json'}")


if __name__ == "__main__":
    main()
