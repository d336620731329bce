"""Preference pages: the coordinator's window for a term (open, who submitted, remind,
close) and the student's ranking form (`/app/me/preferences`)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep
from api.params import Id
from api.web.rendering import render_outcome
from api.web.routes.people_pages import deliver
from api.web.security import (
    CheckedForm,
    CoordinatorPage,
    StudentPage,
    WebSession,
    count_text,
    field,
    fields,
)
from scheduler.domain.schedule import ErrorItem
from scheduler.services import preferences, terms
from scheduler.services.errors import Conflict, Invalid, NotFound, ServiceError

router = APIRouter(prefix="/app", include_in_schema=False)
DONE = {
    "open": "The preference window is saved.",
    "remind": "Reminders sent.",
    "close": "The window is closed: the rankings are in the term.",
    "saved": "Your preferences are saved. You can change them until the window closes.",
}
PROBLEM = "the preference window has problems"


@router.get("/terms/{term_id}/preferences", response_class=HTMLResponse)
def window_page(
    term_id: Id, request: Request, session: SessionDep, web: CoordinatorPage, done: str = ""
) -> Response:
    """The term's preference window and who has submitted."""
    return _coordinator_page(request, session, web, term_id, done=DONE.get(done, ""))


@router.post("/terms/{term_id}/preferences", response_class=HTMLResponse)
def open_window(
    term_id: Id, request: Request, session: SessionDep, web: CoordinatorPage, form: CheckedForm
) -> Response:
    """Open the window or change it."""
    values = fields(form, "opens_on", "closes_on", "professions", "ranks")
    try:
        opens_on = _day(values["opens_on"], "opens_on")
        closes_on = _day(values["closes_on"], "closes_on")
        ranks = count_text(values["ranks"], "ranks", problem=PROBLEM)
        preferences.open_window(
            session,
            actor=web.user,
            term_id=term_id,
            opens_on=opens_on,
            closes_on=closes_on,
            professions=[p.strip() for p in values["professions"].split(";") if p.strip()],
            ranks=ranks,
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _coordinator_page(request, session, web, term_id, error=error, values=values)
    return RedirectResponse(f"/app/terms/{term_id}/preferences?done=open", status_code=303)


@router.post("/terms/{term_id}/preferences/remind", response_class=HTMLResponse)
def remind(
    term_id: Id,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Remind students who have not submitted."""
    try:
        preferences.remind(session, actor=web.user, term_id=term_id)
    except Conflict as error:
        session.rollback()
        return _coordinator_page(request, session, web, term_id, error=error)
    deliver(request, session, settings)
    return RedirectResponse(f"/app/terms/{term_id}/preferences?done=remind", status_code=303)


@router.post("/terms/{term_id}/preferences/close", response_class=HTMLResponse)
def close(
    term_id: Id, request: Request, session: SessionDep, web: CoordinatorPage, form: CheckedForm
) -> Response:
    """Close the window; the rankings go into the term."""
    try:
        preferences.close_window(session, actor=web.user, term_id=term_id)
    except (Invalid, Conflict) as error:
        session.rollback()
        return _coordinator_page(request, session, web, term_id, error=error)
    return RedirectResponse(f"/app/terms/{term_id}/preferences?done=close", status_code=303)


@router.get("/me/preferences", response_class=HTMLResponse)
def my_page(request: Request, session: SessionDep, web: StudentPage, done: str = "") -> Response:
    """Rank the sites you may go to; name the IPE sessions you cannot make."""
    return _student_page(request, session, web, done=DONE.get(done, ""))


@router.post("/me/preferences/{term_id}", response_class=HTMLResponse)
def submit(
    term_id: Id, request: Request, session: SessionDep, web: StudentPage, form: CheckedForm
) -> Response:
    """Save your ranking."""
    ranked = [field(form, f"rank-{i}") for i in range(1, preferences.MAX_RANKS + 1)]
    busy = [v for v in form.getlist("unavailable") if isinstance(v, str)]
    try:
        preferences.submit(
            session,
            actor=web.user,
            term_id=term_id,
            sites=[s for s in ranked if s],
            unavailable_sessions=busy,
        )
    except (Invalid, Conflict, NotFound) as error:
        session.rollback()
        return _student_page(request, session, web, error=error, error_term=term_id)
    return RedirectResponse("/app/me/preferences?done=saved", status_code=303)


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            PROBLEM, details=[ErrorItem(path=name, message="must be a date (YYYY-MM-DD)")]
        ) from None


def _coordinator_page(
    request: Request,
    session: Session,
    web: WebSession,
    term_id: int,
    *,
    done: str = "",
    error: ServiceError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    term = terms.term_summary(session, actor=web.user, term_id=term_id)
    try:
        window = preferences.get_window(session, actor=web.user, term_id=term_id)
        answers = preferences.submissions(session, actor=web.user, term_id=term_id)
    except NotFound:
        window, answers = None, []
    if values is None and window is not None:
        values = {
            "opens_on": str(window.opens_on),
            "closes_on": str(window.closes_on),
            "professions": ";".join(window.professions),
            "ranks": str(window.ranks),
        }
    context = {
        "term": term,
        "window": window,
        "answers": answers,
        "submitted": sum(1 for a in answers if a.submitted_at),
        "values": values or {"ranks": "3"},
    }
    return render_outcome(
        request, "coord_preferences.html", context, web=web, done=done, error=error
    )


def _student_page(
    request: Request,
    session: Session,
    web: WebSession,
    *,
    done: str = "",
    error: ServiceError | None = None,
    error_term: int | None = None,
) -> Response:
    context = {
        "windows": preferences.my_preferences(session, actor=web.user),
        "error_term": error_term,
    }
    return render_outcome(request, "my_preferences.html", context, web=web, done=done, error=error)
