"""Templates and the one function that renders a page, with the headers every page gets.

Jinja2 autoescapes everything (names and reasons come from users). Each page is sent with
the page headers of `api.security_headers` (a Content-Security-Policy that allows only this
server's own scripts, styles and forms: no inline script, no CDN, no framing), here as well
as by the middleware so that error pages built outside it carry them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from api.security_headers import PAGE_HEADERS
from api.web.security import CSRF_FIELD, WebSession
from scheduler.domain.scenario import WeeklyWindow
from scheduler.services.errors import ServiceError

TEMPLATES = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)

NAV = {
    "coordinator": [
        ("Terms", "/app/terms"),
        ("People", "/app/people"),
        ("Access record", "/app/access"),
    ],
    "student": [
        ("My schedule", "/app/me"),
        ("Preferences", "/app/me/preferences"),
        ("Credentials", "/app/me/compliance"),
    ],
    "partner": [
        ("Our slots", "/app/partner"),
        ("Seat requests", "/app/partner/requests"),
        ("Compliance", "/app/partner/compliance"),
    ],
}
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri"}
DAY_NAMES |= {"sat": "Sat", "sun": "Sun"}


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    web: WebSession | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A page from `template`, with the signed-in user, nav and CSRF token in context."""
    values = {
        "user": web.user if web else None,
        "csrf": web.csrf if web else "",
        "csrf_field": CSRF_FIELD,
        "nav": NAV.get(web.user.role, []) if web else [],
        "nav_current": _current(request.url.path, NAV.get(web.user.role, []) if web else []),
        "path": request.url.path,
        **context,
    }
    response = templates.TemplateResponse(request, template, values, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def render_outcome(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    web: WebSession,
    done: str = "",
    error: ServiceError | None = None,
) -> HTMLResponse:
    """A page that shows how a form went: `done` (a notice), or `error` with its problems
    by field (`errors`, for the inputs) and its status."""
    values = {
        **context,
        "error": error,
        "errors": {d.path: d.message for d in error.details} if error else {},
        "done": done,
    }
    return render(request, template, values, web=web, status=error_status(error))


def error_status(error: ServiceError | None) -> int:
    """The status of a page that shows `error` next to its form (200 without one)."""
    return error.status if error is not None else 200


def polled_json(body: Mapping[str, Any]) -> JSONResponse:
    """The answer to a page's progress poll: never cached, so each poll sees the newest."""
    return JSONResponse(dict(body), headers={"Cache-Control": "no-store"})


def _current(path: str, nav: list[tuple[str, str]]) -> str:
    """The nav link of this page: the longest one the path starts with (/app/me/preferences
    is Preferences, not also My schedule)."""
    matching = [href for _, href in nav if path == href or path.startswith(href + "/")]
    return max(matching, key=len, default="")


def day(value: date | datetime) -> str:
    """ "Thu 28 Jan 2027"."""
    return value.strftime("%a %d %b %Y")


def clock(value: datetime) -> str:
    return value.strftime("%H:%M")


def moment(value: datetime | None) -> str:
    """A stored UTC moment as "2027-01-28 13:05 UTC"."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def weekly(windows: list[WeeklyWindow]) -> str:
    """ "Tue 07:30–15:30, Thu 07:30–12:00"."""
    return ", ".join(f"{DAY_NAMES[w.day]} {w.start}–{w.end}" for w in windows)


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


templates.env.filters.update(day=day, clock=clock, moment=moment, weekly=weekly, number=number)
