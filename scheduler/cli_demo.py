"""What `ipe demo`, `ipe serve` and `ipe db` do: migrate, load the demo, solve as a job,
publish, summarise, serve.

Imported only when such a command runs (see `scheduler.cli_service`). Solving goes through
`scheduler.services` and a job runner exactly as in the web app; the web app itself is
started by uvicorn from its factory string, so nothing here imports `api`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler import cli_render as render
from scheduler.db import repositories
from scheduler.db.engine import make_engine, new_session
from scheduler.db.migrate import current_revision, new_revision, upgrade
from scheduler.db.tables import UserRow
from scheduler.domain.scenario import Scenario
from scheduler.services import demo as demo_service
from scheduler.services import outbox, solve_runs, term_rows, versions
from scheduler.services.errors import ServiceError
from scheduler.services.jobs import ProcessJobRunner
from scheduler.services.reports import coverage
from scheduler.services.solving import SolveProgress, load_scenario_file
from scheduler.services.views import RunView
from scheduler.settings import Settings

FINISHED = ("succeeded", "failed", "cancelled")


def migrated(url: str) -> Engine:
    """An engine for `url` whose schema is at the newest revision."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def upgrade_and_report(url: str) -> None:
    engine = migrated(url)
    render.say(f"database {render.escape(_shown(url))} at revision {current_revision(engine)}")
    engine.dispose()


def report_revision(url: str) -> None:
    engine = make_engine(url)
    render.say(f"database at revision {current_revision(engine) or '(empty)'}")
    engine.dispose()


def write_revision(url: str, message: str) -> None:
    new_revision(migrated(url), message)


def serve(url: str, host: str, port: int) -> None:
    """Run the web app with uvicorn until interrupted."""
    import uvicorn

    # The app factory reads its settings from the environment: hand the URL over there.
    os.environ["IPE_DATABASE_URL"] = url
    render.say(f"serving on [bold]http://{host}:{port}/app/[/] (API docs at /docs); Ctrl-C stops")
    proxy_headers, forwarded_allow_ips = proxy_options(Settings().trusted_proxies)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def proxy_options(trusted: str) -> tuple[bool, str | None]:
    """uvicorn's `proxy_headers` and `forwarded_allow_ips`: off unless proxies are named.

    uvicorn's own default believes X-Forwarded-For from 127.0.0.1, so any local client
    could pick the address the per-address login limit counts."""
    trusted = trusted.strip()
    return (True, trusted) if trusted else (False, None)


def run_demo(
    url: str,
    scenario: Path,
    *,
    time_limit: float,
    workers: int,
    resolve: bool,
    smtp: outbox.SmtpSettings | None = None,
) -> None:
    """Migrate, load the demo term and accounts, solve and publish if needed (its messages
    delivered before the summary, by `smtp` or in the app), summarise."""
    engine = migrated(url)
    render.say(f"database: {render.escape(_shown(url))} (schema {current_revision(engine)})")
    problem = _scenario_or_exit(scenario)
    with new_session(engine) as session:
        setup = demo_service.prepare_demo(session, scenario=problem)
        session.commit()
        coordinator = _coordinator(session)
    term_id = setup.term.id or 0
    state = "reused" if setup.reused else "loaded"
    render.say(f"demo term {state}: {render.escape(setup.term.name)} (id {term_id})")
    if resolve or not _has_published(engine, coordinator, term_id):
        delivery = outbox.Delivery(engine=engine, smtp=smtp, background=False)
        _solve_and_publish(engine, url, coordinator, term_id, time_limit, workers, delivery)
    _summary(engine, coordinator, term_id)
    _logins(setup.logins)
    engine.dispose()


def _shown(url: str) -> str:
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


def _scenario_or_exit(path: Path) -> Scenario:
    loaded = load_scenario_file(path)
    if loaded.scenario is None or loaded.errors:
        render.errors(str(path), loaded.errors)
        raise typer.Exit(2)
    return loaded.scenario


def _coordinator(session: Session) -> UserRow:
    user = repositories.user_by_email(session, demo_service.COORDINATOR_EMAIL)
    assert user is not None, "prepare_demo created the coordinator"
    return user


def _has_published(engine: Engine, coordinator: UserRow, term_id: int) -> bool:
    with new_session(engine) as session:
        return any(
            v.state == "published"
            for v in versions.list_versions(session, actor=coordinator, term_id=term_id)
        )


def _solve_and_publish(
    engine: Engine,
    url: str,
    coordinator: UserRow,
    term_id: int,
    limit: float,
    workers: int,
    delivery: outbox.Delivery,
) -> None:
    """Solve as a job (a worker process, as the web app does), show progress, publish."""
    runner = ProcessJobRunner(url)
    try:
        run = _solve(engine, runner, coordinator, term_id, limit, workers)
    except KeyboardInterrupt:
        runner.shutdown()
        raise
    if run is None:
        return
    if run.status != "succeeded" or run.version_id is None:
        render.say(f"[bold red]run {run.status}:[/] {render.escape(run.error or '')}")
        return
    with new_session(engine) as session:
        try:
            published = versions.publish_version(
                session,
                actor=coordinator,
                term_id=term_id,
                version_id=run.version_id,
                delivery=delivery,
            )
        except ServiceError as error:
            render.say(f"[bold red]not published:[/] {render.escape(error.message)}")
            return
        session.commit()
    render.say(f"published version {published.number} ({published.status})")


def _solve(
    engine: Engine,
    runner: ProcessJobRunner,
    coordinator: UserRow,
    term_id: int,
    limit: float,
    workers: int,
) -> RunView | None:
    """Start a run and watch it to the end; None (with the reason shown) if it cannot start."""
    limits = solve_runs.RunLimits(default_time_limit_s=limit, max_time_limit_s=limit)
    with new_session(engine) as session:
        try:
            started = solve_runs.start_solve_run(
                session,
                actor=coordinator,
                term_id=term_id,
                runner=runner,
                limits=limits,
                workers=workers,
            )
        except ServiceError as error:
            render.say(f"[bold red]not solved:[/] {render.escape(error.message)}")
            return None
        session.commit()
    render.say(f"solving (run {started.id}, time limit {limit:g} s, {workers} workers)…")
    return _watch(engine, runner, coordinator, term_id, started.id)


def _watch(
    engine: Engine, runner: ProcessJobRunner, coordinator: UserRow, term_id: int, run_id: int
) -> RunView:
    """Poll the run (as the web app's clients do) and show its progress until it ends."""
    shown: set[str] = set()
    with render.ProgressDisplay() as display:
        while True:
            run = _poll(engine, runner, coordinator, term_id, run_id)
            progress = run.progress
            if progress.level is not None:
                event = SolveProgress(
                    level=progress.level,
                    value=progress.best or 0.0,
                    bound=progress.bound or 0.0,
                    elapsed_s=progress.elapsed_s or 0.0,
                )
                display.update(event)
                _log_level(event, shown)
            if run.status in FINISHED:
                break
            time.sleep(0.5)
    render.say(f"run {run.id} {run.status} after {progress.elapsed_s or 0:.1f} s of search")
    return run


def _poll(
    engine: Engine, runner: ProcessJobRunner, coordinator: UserRow, term_id: int, run_id: int
) -> RunView:
    with new_session(engine) as session:
        run = solve_runs.get_run(
            session,
            actor=coordinator,
            term_id=term_id,
            run_id=run_id,
            runner=runner,
            stale_after_s=30,
        )
        session.commit()
    return run


def _log_level(event: SolveProgress, shown: set[str]) -> None:
    """Without a terminal the live display is invisible: print each level as it starts."""
    if render.console.is_terminal or event.level in shown:
        return
    shown.add(event.level)
    render.say(
        f"  {event.level}: best {render.number(event.value)}, elapsed {event.elapsed_s:.1f} s"
    )


def _summary(engine: Engine, coordinator: UserRow, term_id: int) -> None:
    """The published schedule: status, coverage and objective levels."""
    with new_session(engine) as session:
        term = repositories.coordinator_term(session, coordinator, term_id)
        version = repositories.published_version(session, term_id)
        if term is None or version is None:
            render.say("[bold red]no published schedule[/]")
            return
        scenario = term_rows.current_scenario(session, term)
        schedule = versions.version_schedule(version)
    render.say(
        f"published schedule: version {version.number}, status [bold]{schedule.status}[/], "
        f"{len(schedule.placements)} placements, {len(schedule.unassigned)} unmet needs"
    )
    render.console.print(render.coverage_table(coverage(scenario, schedule)))
    render.console.print(render.objectives_table(schedule.objectives))


def _logins(logins: list[demo_service.DemoLogin]) -> None:
    """One line per demo account, never wrapped or cut (they are meant to be copied)."""
    render.say(
        "[bold]demo logins[/] (sign in on the pages at /app/; for the API, POST /auth/token"
        " with username + password, or Authorize in /docs):"
    )
    width = max(len(login.email) for login in logins)
    for login in logins:
        render.say(
            f"  {login.role:<12} {login.email:<{width}}  password: [bold]{login.password}[/]"
            f"  {render.escape(login.note)}"
        )
