"""Student pages: "My schedule" (sessions with teammates, placements, what changed) and the
calendar feed address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import SessionDep
from api.web.rendering import render
from api.web.routes.feeds import feed_url
from api.web.security import CheckedForm, StudentPage, WebSession
from scheduler.services import feeds, my_schedule

router = APIRouter(prefix="/app/me", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def my_page(request: Request, session: SessionDep, web: StudentPage) -> Response:
    """Your published sessions and placements, and what changed since the last version."""
    return _page(request, session, web, new_feed="")


@router.post("/feed", response_class=HTMLResponse)
def new_feed(
    request: Request, session: SessionDep, web: StudentPage, form: CheckedForm
) -> Response:
    """Make (or replace) your calendar feed address; it is shown once, on this page."""
    token = feeds.rotate_feed(session, actor=web.user)
    return _page(request, session, web, new_feed=feed_url(request, token))


def _page(request: Request, session: Session, web: WebSession, *, new_feed: str) -> Response:
    context = {
        "terms": my_schedule.my_terms(session, actor=web.user),
        "feed": feeds.feed_status(session, actor=web.user),
        "new_feed": new_feed,
        "feed_action": "/app/me/feed",
    }
    return render(request, "my_schedule.html", context, web=web)
