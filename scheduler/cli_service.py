"""`ipe db ...`, `ipe serve`, `ipe worker` and `ipe demo`: the service side of the command line.

Kept apart from `scheduler.cli` (the scenario commands) and registered into its app by
`register`. Only typer is imported here: the database, the web server and the services
are imported when a service command runs (`scheduler.cli_demo`), so `ipe validate` and
friends work without the `service` extra. Settings enter here, at the edge:
`--database`/`--database-url`, else `IPE_DATABASE_URL`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEMO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "demo.json"

db_app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)

DatabaseOpt = Annotated[
    Path | None, typer.Option("--database", help="SQLite file (default: IPE_DATABASE_URL).")
]
UrlOpt = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://…")
]
HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option(help="Port to listen on.")]


def database_url(database: Path | None, url: str | None) -> str:
    """`--database-url`, else `--database` as a SQLite file, else the settings' URL."""
    from scheduler.settings import Settings, sqlite_url

    if url:
        return url
    if database is not None:
        return sqlite_url(str(database))
    return Settings().database_url


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None, database_url_: UrlOpt = None) -> None:
    """Create or migrate the database to the newest schema."""
    from scheduler import cli_demo

    cli_demo.upgrade_and_report(database_url(database, database_url_))


@db_app.command("current")
def db_current(database: DatabaseOpt = None, database_url_: UrlOpt = None) -> None:
    """Print the schema revision the database is at."""
    from scheduler import cli_demo

    cli_demo.report_revision(database_url(database, database_url_))


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the change is.")],
    database: DatabaseOpt = None,
    database_url_: UrlOpt = None,
) -> None:
    """Write a new migration for table changes (autogenerate against an upgraded database)."""
    from scheduler import cli_demo

    cli_demo.write_revision(database_url(database, database_url_), message)


def serve(
    database: DatabaseOpt = None,
    database_url_: UrlOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    migrate: Annotated[bool, typer.Option(help="Upgrade the schema first.")] = True,
) -> None:
    """Serve the web API (docs at /docs) until interrupted."""
    from scheduler import cli_demo

    url = database_url(database, database_url_)
    if migrate:
        cli_demo.upgrade_and_report(url)
    cli_demo.serve(url, host, port)


def demo(
    database: Annotated[Path, typer.Option(help="SQLite file to use.")] = Path("ipe.sqlite"),
    database_url_: UrlOpt = None,
    scenario: Annotated[Path, typer.Option(help="Scenario to load.")] = DEMO_FIXTURE,
    time_limit: Annotated[float, typer.Option(min=1, help="Seconds for the solve.")] = 20.0,
    workers: Annotated[int, typer.Option(min=1, help="CP-SAT search workers.")] = 2,
    resolve: Annotated[bool, typer.Option(help="Solve again even if published.")] = False,
    serve_app: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after.")] = True,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
) -> None:
    """Load the demo term with demo logins, solve and publish it, then serve the app."""
    from scheduler import cli_demo
    from scheduler.services.outbox import smtp_settings
    from scheduler.settings import Settings

    url = database_url(database, database_url_)
    cli_demo.run_demo(
        url,
        scenario,
        time_limit=time_limit,
        workers=workers,
        resolve=resolve,
        smtp=smtp_settings(Settings()),
    )
    if serve_app:
        cli_demo.serve(url, host, port)


def worker(
    queue_url: Annotated[
        str | None, typer.Option(help="Redis URL, redis://host:6379/0 (default: IPE_QUEUE_URL).")
    ] = None,
    queue_name: Annotated[
        str | None, typer.Option(help="Queue to serve (default: IPE_QUEUE_NAME or ipe-runs).")
    ] = None,
    database: DatabaseOpt = None,
    database_url_: UrlOpt = None,
    burst: Annotated[bool, typer.Option("--burst", help="Stop once the queue is empty.")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name (default: queue-host-pid).")] = None,
) -> None:
    """Run solve jobs from the Redis queue until stopped; start as many as you like."""
    from scheduler import cli_worker

    cli_worker.run(
        queue_url=queue_url,
        queue_name=queue_name,
        database_url=database_url(database, database_url_),
        burst=burst,
        name=name,
    )


school_app = typer.Typer(help="Your school: first-run set-up.", no_args_is_help=True)


@school_app.command("create")
def school_create(
    name: Annotated[str, typer.Option("--name", help="The school's name.")],
    email: Annotated[str, typer.Option("--email", help="The first coordinator's email.")],
    coordinator: Annotated[str, typer.Option("--coordinator", help="Their full name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="IPE_COORDINATOR_PASSWORD",
            help="Their password (asked for when not given; 12+ characters, not a common one).",
        ),
    ],
    database: DatabaseOpt = None,
    database_url_: UrlOpt = None,
) -> None:
    """Create the school and its first coordinator (who invites everyone else in the app)."""
    from scheduler import cli_school

    cli_school.create_school(
        database_url(database, database_url_),
        school=name,
        email=email,
        name=coordinator,
        password=password,
    )


def register(app: typer.Typer) -> None:
    """Add the service commands to the `ipe` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(school_app, name="school")
    app.command()(serve)
    app.command()(worker)
    app.command()(demo)
