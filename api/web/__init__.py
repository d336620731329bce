"""Server-rendered pages for the three audiences, and calendar feeds.

Owns HTML only: Jinja2 templates (`templates/`), vendored static files (`static/`: a style
sheet and a few lines of JavaScript that poll a run's progress; charts are SVG drawn on the
server, `charts`; no CDN, no framework),
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
    compliance_pages,
    coordinator_pages,
    feeds,
    partner_pages,
    people_pages,
    preference_pages,
    slot_request_pages,
    student_pages,
    term_items_pages,
    whatif_pages,
)

STATIC = Path(__file__).resolve().parent / "static"


def install_feeds(app: FastAPI) -> None:
    """Add the calendar feeds (first, so they are matched before every other route)."""
    app.include_router(feeds.router)


def install(app: FastAPI) -> None:
    """Add the pages, the static files and the HTML error pages to `app` (the feeds:
    `install_feeds`).

    Call after `api.errors.install`: the page error handlers answer for `/app` paths and
    hand every other path back to the JSON handlers.
    """
    for module in (auth_pages, coordinator_pages, access_pages, student_pages, partner_pages):
        app.include_router(module.router)
    app.include_router(people_pages.router)
    app.include_router(term_items_pages.router)
    app.include_router(preference_pages.router)
    app.include_router(slot_request_pages.router)
    for router in compliance_pages.routers:
        app.include_router(router)
    app.include_router(whatif_pages.router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
