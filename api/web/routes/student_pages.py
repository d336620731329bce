"""Student pages: "My schedule" (sessions with teammates, placements, what changed), the
calendar feed address, the directory opt-out and who outside the school saw the record."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep
from api.web.rendering import render
from api.web.routes.feeds import feed_url
from api.web.security import CheckedForm, StudentPage, WebSession, field
from scheduler.services import directory, disclosures, feeds, my_schedule

router = APIRouter(prefix="/app/me", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def my_page(request: Request, session: SessionDep, web: StudentPage, done: str = "") -> Response:
    """Your published sessions and placements, and what changed since the last version."""
    return _page(request, session, web, new_feed="", done=DONE.get(done, ""))


DONE = {
    "opted_out": "Done: other students now see you as “A student (directory opt-out)”.",
    "opted_in": "Done: other students in your team see your name again.",
}


@router.post("/directory")
def set_directory(session: SessionDep, web: StudentPage, form: CheckedForm) -> Response:
    """Opt out of directory information (your name hidden from other students), or back in."""
    opt_out = field(form, "directory_opt_out") == "yes"
    directory.set_my_directory(session, actor=web.user, opt_out=opt_out)
    done = "opted_out" if opt_out else "opted_in"
    return RedirectResponse(f"/app/me?done={done}#privacy-title", status_code=303)


@router.post("/feed", response_class=HTMLResponse)
def new_feed(
    request: Request, session: SessionDep, web: StudentPage, form: CheckedForm
) -> Response:
    """Make (or replace) your calendar feed address; it is shown once, on this page."""
    token = feeds.rotate_feed(session, actor=web.user)
    return _page(request, session, web, new_feed=feed_url(request, token))


def _page(
    request: Request, session: Session, web: WebSession, *, new_feed: str, done: str = ""
) -> Response:
    context = {
        "terms": my_schedule.my_terms(session, actor=web.user),
        "feed": feeds.feed_status(session, actor=web.user),
        "new_feed": new_feed,
        "feed_action": "/app/me/feed",
        "directory": directory.my_directory(session, actor=web.user),
        "disclosures": disclosures.my_disclosures(session, actor=web.user),
        "done": done,
    }
    return render(request, "my_schedule.html", context, web=web)
