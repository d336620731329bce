"""Server-rendered pages for the three audiences, and calendar feeds.

Owns HTML only: Jinja2 templates (`templates/`), vendored static files (`static/`: a style
sheet and a few lines of JavaScript for the solve progress chart; no CDN, no framework),
cookie sign-in with CSRF checks (`security`), and HTML error pages (`errors`). Every route
is a few lines that call one use case in `scheduler.services`, exactly like the JSON API.
Must never import `solver` or ortools.

Pages live under `/app` (coordinators `/app/terms`, students `/app/me`, partners
`/app/partner`); feeds under `/feeds/{token}.ics`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import errors
from api.web.routes import (
    access_pages,
    auth_pages,
    coordinator_pages,
    feeds,
    partner_pages,
    student_pages,
)

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages, the feeds, the static files and the HTML error pages to `app`.

    Call after `api.errors.install`: the page error handlers answer for `/app` paths and
    hand every other path back to the JSON handlers.
    """
    for module in (
        auth_pages,
        coordinator_pages,
        access_pages,
        student_pages,
        partner_pages,
        feeds,
    ):
        app.include_router(module.router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
