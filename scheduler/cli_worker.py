"""What `ipe worker` does: read the settings, check the schema, serve the Redis queue.

Imported only when the command runs (see `scheduler.cli_service`), so the scenario
commands work without the `service` extra. Settings enter here, at the edge: flags first,
then `IPE_QUEUE_URL`, `IPE_QUEUE_NAME`, `IPE_DATABASE_URL` and the pool settings.
"""

from __future__ import annotations

import typer

from scheduler import cli_render as render
from scheduler.db.engine import make_engine
from scheduler.db.migrate import current_revision, head_revision
from scheduler.services.queue import database_label
from scheduler.settings import Settings


def run(
    *,
    queue_url: str | None,
    queue_name: str | None,
    database_url: str,
    burst: bool,
    name: str | None,
) -> None:
    """Serve the queue until stopped; exits non-zero without a queue URL or a current schema."""
    from scheduler.worker import run_worker

    settings = Settings()
    config = settings.queue(url=queue_url, name=queue_name)
    if config is None:
        render.say("no queue: pass --queue-url or set IPE_QUEUE_URL (redis://host:6379/0)")
        raise typer.Exit(2)
    _require_current_schema(database_url)
    render.say(
        f"worker on queue {render.escape(config.name)} for database "
        f"{render.escape(database_label(database_url))}"
    )
    run_worker(
        queue=config,
        database_url=database_url,
        stale_after_s=settings.run_stale_after_s,
        pool=settings.pool,
        burst=burst,
        name=name,
    )


def _require_current_schema(database_url: str) -> None:
    """A worker on a schema older than its code would fail every job: refuse to start."""
    engine = make_engine(database_url)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    if current != head:
        render.say(f"the database is at revision {current}, not {head}: run `ipe db upgrade`")
        raise typer.Exit(2)
