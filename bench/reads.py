"""Schedule reads under load, measured with wrk: the published views at cache speed.

1. Setup (this process): migrate a fresh database, load the generated term (`ipe
   generate`'s `scheduler.synthetic.generate_term`), record its schedule and publish it
   through `versions.publish_version`, which builds every student's and site's view (the
   publish time is measured, views included); accounts and login and feed tokens for a
   sample of students and partner sites; the ETag of each of their stored views.
2. uvicorn serves `api.app:create_app` (`--workers N`, httptools and uvloop when
   installed), as the README's running-at-scale section says.
3. wrk (a compiled load generator, so the clients take little of the server's CPU) runs
   each case for `--seconds`: `/me/schedule` and the student feed, with and without
   `If-None-Match`, at 100 and 1,000 connections; the partner feed (each read writes its
   disclosure rows) at 100. A Lua script picks a random sampled person per request.

The summary goes to `bench/results/reads-<name>.md` and `.summary.json` (committed;
`--name`, default the date), the raw wrk output to `bench/results/reads/`. `--clients`
and `--endpoints` pick a subset of the cases (a before/after comparison on a shared
machine wants short runs, back to back). The load average is recorded before each case:
on a shared machine the figures are lower bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.load import LOOPBACK, PG_ADMIN_URL, _free_port, _stop_server, _wait_ready

STUDENT_ACCOUNTS = 500
PARTNER_ACCOUNTS = 100
RESULTS = Path("bench/results/reads")
SUMMARIES = Path("bench/results")
TARGETS = {"rps_100": 1500, "p95_100_ms": 100, "rps_304": 3000, "p99_1000_ms": 1000}


def _create_pg_database() -> tuple[str, str]:
    """A fresh database of its own (`ipe_reads_<pid>`: not `bench.load`'s prefix, whose
    leftovers other runs may drop)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL)
    name = f"ipe_reads_{os.getpid()}"
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


def setup(url: str, *, students: int, seed: int, time_limit: float) -> dict[str, Any]:
    """The published term, accounts, tokens and ETags; times of each step."""
    from sqlmodel import select

    from scheduler.db.engine import make_engine, new_session
    from scheduler.db.migrate import upgrade
    from scheduler.db.tables import PublishedViewRow
    from scheduler.domain.loading import load_schedule_text
    from scheduler.services import auth, published_views, terms, versions
    from scheduler.synthetic import generate_term

    timings: dict[str, float] = {}
    engine = make_engine(url)
    upgrade(engine)
    scenario = generate_term(students=students, seed=seed)
    cached = RESULTS / f"schedule-{students}-{seed}.json"
    schedule = load_schedule_text(cached.read_text())[0] if cached.exists() else None
    if schedule is None:
        from solver import SolveOptions, solve

        began = time.monotonic()
        schedule = solve(scenario, options=SolveOptions(time_limit_s=time_limit))
        timings["solve_s"] = round(time.monotonic() - began, 1)
        RESULTS.mkdir(parents=True, exist_ok=True)
        cached.write_text(schedule.model_dump_json(exclude_none=True))
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
        version = versions.record_schedule(session, term=term, scenario=scenario, schedule=schedule)
        session.commit()
        views_spent = {"wall": 0.0, "cpu": 0.0}
        build = published_views.rebuild_for_term

        def timed_build(session: Any, *, term: Any) -> None:  # the views' share of it
            wall, cpu = time.monotonic(), time.process_time()
            build(session, term=term)
            views_spent["wall"] += time.monotonic() - wall
            views_spent["cpu"] += time.process_time() - cpu

        published_views.rebuild_for_term = timed_build  # type: ignore[assignment]
        began, cpu = time.monotonic(), time.process_time()
        try:
            versions.publish_version(
                session,
                actor=coordinator,
                term_id=term.id or 0,
                version_id=version.id or 0,
                delivery=None,
            )
            session.commit()
        finally:
            published_views.rebuild_for_term = build  # type: ignore[assignment]
        timings["publish_with_views_s"] = round(time.monotonic() - began, 2)
        timings["publish_cpu_s"] = round(time.process_time() - cpu, 2)
        timings["views_s"] = round(views_spent["wall"], 2)
        timings["views_cpu_s"] = round(views_spent["cpu"], 2)
        rng = random.Random(seed)
        picked = rng.sample(scenario.students, min(STUDENT_ACCOUNTS, len(scenario.students)))
        site_of = {slot.id: slot.site for slot in scenario.slots}
        hosting = sorted({site_of[p.slot] for p in schedule.placements})
        sites = rng.sample(hosting, min(PARTNER_ACCOUNTS, len(hosting)))
        ttl = timedelta(hours=6)
        people: dict[str, list[dict[str, str]]] = {"student": [], "partner": []}
        views = {
            (v.owner_kind, v.owner_ref, v.kind): v.etag
            for v in session.exec(select(PublishedViewRow)).all()
        }
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
            login = auth.issue_token(session, user=user, kind=auth.LOGIN, ttl=ttl).token
            feed = auth.issue_token(session, user=user, kind=auth.CALENDAR_FEED, ttl=ttl).token
            people["student"].append(
                {
                    "token": login,
                    "feed": feed,
                    "schedule_etag": views[("student", student.id, "schedule")],
                    "feed_etag": views[("student", student.id, "feed")],
                }
            )
        for site in sites:
            user = auth.save_user(
                session,
                school=school,
                email=f"partner-{site.lower()}@partners.bench.example.org",
                name=f"{site} placements",
                role="partner",
                password=None,
                site_ref=site,
            )
            feed = auth.issue_token(session, user=user, kind=auth.CALENDAR_FEED, ttl=ttl).token
            people["partner"].append({"feed": feed, "feed_etag": views[("site", site, "feed")]})
        session.commit()
        timings["views"] = len(views)
    engine.dispose()
    return {"timings": timings, "people": people, "placements": len(schedule.placements)}


CASES = [
    # (name, path kind, conditional, clients)
    ("schedule", False, 100),
    ("schedule", True, 100),
    ("feed", False, 100),
    ("feed", True, 100),
    ("schedule", False, 1000),
    ("schedule", True, 1000),
    ("feed", False, 1000),
    ("feed", True, 1000),
    ("partner_feed", False, 100),
    ("partner_feed", True, 100),
]


def _lua(kind: str, conditional: bool, people: dict[str, list[dict[str, str]]]) -> str:
    """A wrk script: each request a random sampled person, their path and headers."""
    rows = []
    for person in people["partner" if kind == "partner_feed" else "student"]:
        if kind == "schedule":
            path, etag = "/me/schedule", person["schedule_etag"]
            auth = "Bearer " + person["token"]
        else:
            path, etag, auth = f"/feeds/{person['feed']}.ics", person["feed_etag"], ""
        rows.append("{" + ", ".join(json.dumps(x) for x in (path, auth, etag)) + "}")
    return (
        "local people = {" + ",\n".join(rows) + "}\n"
        f"local conditional = {'true' if conditional else 'false'}\n"
        """
request = function()
  local p = people[math.random(#people)]
  local headers = {}
  if p[2] ~= "" then headers["Authorization"] = p[2] end
  if conditional then headers["If-None-Match"] = p[3] end
  return wrk.format("GET", p[1], headers)
end

local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d,'
    .. ' "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d,'
    .. ' "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""
    )


def _start(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IPE_DATABASE_URL": url}
    command = [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", LOOPBACK, "--port", str(port), "--log-level", "warning", "--no-access-log",
        "--workers", str(workers), "--timeout-keep-alive", "75", "--backlog", "4096",
    ]  # fmt: skip
    for module, flag in (("httptools", ["--http", "httptools"]), ("uvloop", ["--loop", "uvloop"])):
        if _installed(module):
            command += flag
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for each in pids + [int(c) for c in children]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_case(
    base: str,
    kind: str,
    conditional: bool,
    clients: int,
    seconds: int,
    script: Path,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """One wrk run; with the server's CPU seconds per request, which the other work on a
    shared machine does not change much (the requests per second it does)."""
    wrk = shutil.which("wrk")
    assert wrk, "wrk is not installed (apt-get install -y wrk)"
    load = os.getloadavg()[0]
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    command = [wrk, "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s"]
    command += ["-s", str(script), base]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        return {"error": done.stdout[-500:] + done.stderr[-500:], "load_1min": load}
    raw = json.loads(line.removeprefix("WRKJSON "))
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else None
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "endpoint": kind,
        "if_none_match": conditional,
        "clients": clients,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds_run, 1),
        "errors": errors,
        "error_kinds": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "load_1min": round(load, 2),
        "server_cpu_ms_per_request": round(1000 * cpu / raw["requests"], 3)
        if cpu is not None and raw["requests"]
        else None,
    }


def bench_database(
    database: str,
    *,
    students: int,
    seed: int,
    seconds: int,
    workers: int,
    time_limit: float,
    cases: list[tuple[str, bool, int]] = CASES,
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="ipe-reads-"))
    pg_name = None
    if database == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    else:
        url, pg_name = _create_pg_database()
    server = None
    try:
        print(f"[{database}] setting up the {students}-student term", flush=True)
        prepared = setup(url, students=students, seed=seed, time_limit=time_limit)
        print(f"[{database}] {prepared['timings']}", flush=True)
        port = _free_port()
        server = _start(url, port, workers, RESULTS / f"server-{database}.log")
        _wait_ready(port, server)
        base = f"http://{LOOPBACK}:{port}"
        results = []
        for kind, conditional, clients in cases:
            script = folder / f"{kind}-{conditional}.lua"
            script.write_text(_lua(kind, conditional, prepared["people"]))
            result = run_case(base, kind, conditional, clients, seconds, script, server.pid)
            print(f"[{database}] {result}", flush=True)
            results.append(result)
        return {"database": database, "setup": prepared["timings"], "cases": results}
    finally:
        if server is not None:
            _stop_server(server)
        if pg_name:
            _drop_pg_database(pg_name)
        shutil.rmtree(folder, ignore_errors=True)


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# Schedule reads under load ({summary['date']})",
        "",
        f"{summary['students']}-student generated term (seed {summary['seed']}), published; "
        f"uvicorn `--workers {summary['workers']}` ({summary['server']}); wrk 2 threads, "
        f"{summary['seconds']} s per case, on the same {summary['cores']}-core machine. "
        f"Load average before the run: {summary['load_before']}; after: "
        f"{summary['load_after']}. The cores are shared with other engineers' work, so "
        "these figures are lower bounds. Server CPU per request (all uvicorn processes, "
        "from /proc) varies much less with the machine's load: 2 cores / that figure is "
        "what the server could answer with both cores to itself (wrk not counted).",
        "",
    ]
    for db in summary["databases"]:
        lines += [
            f"## {db['database']}",
            "",
            f"Setup: {db['setup']}",
            "",
            "| endpoint | If-None-Match | clients | req/s | p50 ms | p95 ms | p99 ms | errors "
            "| load (1 min) | server CPU ms / request |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c in db["cases"]:
            if "error" in c:
                lines.append(f"| failed: {c['error'][:80]!r} |")
                continue
            lines.append(
                f"| {c['endpoint']} | {'yes' if c['if_none_match'] else 'no'} | {c['clients']} "
                f"| {c['rps']:,.0f} | {c['p50_ms']} | {c['p95_ms']} | {c['p99_ms']} "
                f"| {c['errors']} | {c['load_1min']} | {c.get('server_cpu_ms_per_request')} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=30.0, help="solve, when not cached")
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--endpoints", nargs="+", default=["schedule", "feed", "partner_feed"])
    parser.add_argument("--name", default=f"{datetime.now(UTC):%Y-%m-%d}")
    args = parser.parse_args()
    cases = [c for c in CASES if c[0] in args.endpoints and c[2] in args.clients]
    RESULTS.mkdir(parents=True, exist_ok=True)
    SUMMARIES.mkdir(parents=True, exist_ok=True)
    before = [round(x, 2) for x in os.getloadavg()]
    databases = [
        bench_database(
            db,
            students=args.students,
            seed=args.seed,
            seconds=args.seconds,
            workers=args.workers,
            time_limit=args.time_limit,
            cases=cases,
        )
        for db in args.databases
    ]
    server = "uvicorn " + ", ".join(m for m in ("httptools", "uvloop") if _installed(m))
    summary = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "students": args.students,
        "seed": args.seed,
        "seconds": args.seconds,
        "workers": args.workers,
        "server": server,
        "cores": os.cpu_count(),
        "load_before": before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "targets": TARGETS,
        "databases": databases,
    }
    stem = SUMMARIES / f"reads-{args.name}"
    Path(f"{stem}.summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    Path(f"{stem}.md").write_text(markdown(summary) + "\n")
    print(markdown(summary))


if __name__ == "__main__":
    main()
