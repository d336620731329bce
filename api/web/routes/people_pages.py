"""People pages: coordinators invite, resend and deactivate (`/app/people`); an invited
person opens the link, chooses a password and is signed in (`/app/invitations/{token}`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep, delivery, login_ttl
from api.params import Id
from api.web.rendering import NAV, render
from api.web.routes.auth_pages import login_form
from api.web.security import CheckedForm, CoordinatorPage, WebSession, field, set_session_cookie
from scheduler.domain.schedule import ErrorItem
from scheduler.services import outbox, people, terms
from scheduler.services.errors import Conflict, Invalid, NotFound, ServiceError

router = APIRouter(prefix="/app", include_in_schema=False)
DONE = {"deactivated": "The account is deactivated."}
Token = Annotated[str, Path(min_length=10, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request, session: SessionDep, web: CoordinatorPage, done: str = ""
) -> Response:
    """Everyone of the school, forms to invite, resend and deactivate."""
    return _page(request, session, web, done=DONE.get(done, ""))


@router.post("/people", response_class=HTMLResponse)
def invite(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Invite a coordinator, a student or a partner contact of a site."""
    values = {k: field(form, k) for k in ("email", "name", "role", "student_ref", "site_ref")}
    try:
        invitation = people.invite(
            session,
            actor=web.user,
            base_url=str(request.base_url),
            email=values["email"],
            name=values["name"],
            role=values["role"],
            student_ref=values["student_ref"],
            site_ref=values["site_ref"],
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _page(request, session, web, error=error, values=values, status=error.status)
    deliver(request, session, settings)
    return _sent(request, session, web, settings, [invitation])


@router.post("/people/{user_id}/invitation", response_class=HTMLResponse)
def resend(
    user_id: Id,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Send a fresh invitation (earlier links stop working)."""
    try:
        invitation = people.resend(
            session, actor=web.user, user_id=user_id, base_url=str(request.base_url)
        )
    except Conflict as error:
        session.rollback()
        return _page(request, session, web, error=error, status=409)
    deliver(request, session, settings)
    return _sent(request, session, web, settings, [invitation])


@router.post("/people/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate(
    user_id: Id, request: Request, session: SessionDep, web: CoordinatorPage, form: CheckedForm
) -> Response:
    """Deactivate an account."""
    try:
        people.deactivate(session, actor=web.user, user_id=user_id)
    except Conflict as error:
        session.rollback()
        return _page(request, session, web, error=error, status=409)
    return RedirectResponse("/app/people?done=deactivated", status_code=303)


@router.post("/people/students", response_class=HTMLResponse)
def invite_students(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Accounts and invitations for a term's students who have none."""
    term = field(form, "term_id")
    if not term.isdigit():
        error = Invalid("choose a term", details=[])
        return _page(request, session, web, error=error, status=422)
    sent = people.invite_term_students(
        session, actor=web.user, term_id=int(term), base_url=str(request.base_url)
    )
    deliver(request, session, settings)
    return _sent(request, session, web, settings, sent)


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_page(token: Token, request: Request, session: SessionDep) -> Response:
    """The set-password form of an invitation (or why the link no longer works)."""
    try:
        user = people.invitation_owner(session, token=token)
    except NotFound as error:
        return render(request, "invitation.html", {"gone": error.message}, status=404)
    return render(request, "invitation.html", {"person": user, "token": token})


@router.post("/invitations/{token}", response_class=HTMLResponse)
def accept(
    token: Token,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[FormData, Depends(login_form)],
) -> Response:
    """Set the password, use the invitation up, and sign in."""
    password, again = form.get("password"), form.get("password_again")
    password = password if isinstance(password, str) else ""
    try:
        user = people.invitation_owner(session, token=token)
    except NotFound as error:
        return render(request, "invitation.html", {"gone": error.message}, status=404)
    try:
        if password != again:
            raise Invalid(
                "the passwords differ",
                details=[ErrorItem(path="password_again", message="must repeat the password")],
            )
        issued = people.accept(
            session, token=token, password=password, login_ttl=login_ttl(settings)
        )
    except Invalid as error:
        session.rollback()
        context = {"person": user, "token": token, "error": error}
        return render(request, "invitation.html", context, status=422)
    response = RedirectResponse(NAV[issued.user.role][0][1], status_code=303)
    set_session_cookie(request, response, issued.token, int(login_ttl(settings).total_seconds()))
    return response


def deliver(request: Request, session: Session, settings: Any) -> None:
    """Deliver the outbox once this request commits (invitations just written)."""
    outbox.deliver_after_commit(session, delivery=delivery(request, settings))


def _sent(
    request: Request,
    session: Session,
    web: WebSession,
    settings: Any,
    sent: list[people.Invitation],
) -> Response:
    show = outbox.smtp_settings(settings) is None
    views = [people.invitation_view(session, i, show_link=show) for i in sent]
    done = f"{len(views)} invitation(s) sent." if views else "Nobody needed an invitation."
    return _page(request, session, web, done=done, sent=views)


def _page(
    request: Request,
    session: Session,
    web: WebSession,
    *,
    done: str = "",
    error: ServiceError | None = None,
    values: dict[str, str] | None = None,
    sent: list[people.InvitationView] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "people": people.list_people(session, actor=web.user),
        "terms": terms.list_terms(session, actor=web.user),
        "done": done,
        "error": error,
        "errors": {d.path: d.message for d in error.details} if error else {},
        "values": values or {},
        "sent": sent or [],
    }
    return render(request, "people.html", context, web=web, status=status)
