"""`ipe outbox deliver`: send (or mark for the app) every due outbox message.

Publishing starts a delivery pass itself; this command is the retry for passes that died
(a claim whose lease ran out goes out once here) and the one to run from cron. Settings
enter here: `--database`/`--database-url`, else `IPE_DATABASE_URL`; SMTP from `IPE_SMTP_*`.
"""

from __future__ import annotations

import typer

from scheduler.cli import app
from scheduler.cli_service import DatabaseOpt, UrlOpt, database_url

outbox_app = typer.Typer(help="Messages to people a publish affects.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("deliver")
def deliver(database: DatabaseOpt = None, database_url_: UrlOpt = None) -> None:
    """Deliver due messages once each (SMTP when configured, else shown in the app)."""
    from scheduler.db.engine import make_engine, new_session
    from scheduler.services.outbox import deliver_outbox, smtp_settings
    from scheduler.settings import Settings

    engine = make_engine(database_url(database, database_url_))
    try:
        with new_session(engine) as session:
            report = deliver_outbox(session=session, smtp_settings=smtp_settings(Settings()))
    finally:
        engine.dispose()
    typer.echo(
        f"sent {len(report.sent)}, in app {len(report.in_app)}, "
        f"failed {len(report.failed)}, skipped {len(report.skipped)}"
    )
