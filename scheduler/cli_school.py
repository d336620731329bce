"""What `ipe school create` does: the first-run step of a real school (not the demo).

Migrates the database, creates the school and its first coordinator with the password
typed at the prompt (or `IPE_COORDINATOR_PASSWORD`, for scripts), and prints where to sign
in. Everyone else is invited from the app. Imported only when the command runs.
"""

from __future__ import annotations

import typer

from scheduler import cli_render as render
from scheduler.cli_demo import migrated
from scheduler.db.engine import new_session
from scheduler.services import people
from scheduler.services.errors import ServiceError

EXIT_BAD_INPUT = 2


def create_school(url: str, *, school: str, email: str, name: str, password: str) -> None:
    """Create the school and coordinator; every problem printed and exit 2 on bad input."""
    engine = migrated(url)
    try:
        with new_session(engine) as session:
            user = people.create_school(
                session, school_name=school, email=email, name=name, password=password
            )
            session.commit()
            render.say(
                f"[green]created[/] school {render.escape(school.strip())!s} with coordinator"
                f" {render.escape(user.email)}"
            )
    except ServiceError as error:
        render.say(f"[bold red]not created:[/] {render.escape(error.message)}")
        for item in error.details:
            render.say(f"  [cyan]{render.escape(item.path)}[/]  {render.escape(item.message)}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        engine.dispose()
    render.say(
        "next: `ipe serve`, sign in at http://127.0.0.1:8000/app/login, import a term"
        " and invite its students and partners on the People page"
    )
