"""Sign-in and sign-out for pages, and `/app/` sending each role to its own start page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep, client_address, login_limits, login_ttl
from api.web.rendering import NAV, render
from api.web.security import (
    CheckedForm,
    WebSessionDep,
    clear_session_cookie,
    field,
    require_same_origin,
    set_session_cookie,
)
from scheduler.services import auth, login_throttle
from scheduler.services.errors import TooManyRequests, Unauthorized

router = APIRouter(prefix="/app", include_in_schema=False)


async def login_form(request: Request) -> FormData:
    """The sign-in form, after the same-origin check (there is no session to bind yet)."""
    require_same_origin(request)
    return await request.form()


@router.get("", response_class=RedirectResponse)
@router.get("/", response_class=RedirectResponse)
def home(web: WebSessionDep) -> RedirectResponse:
    """Each role's start page."""
    return RedirectResponse(NAV[web.user.role][0][1], status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[FormData, Depends(login_form)],
) -> Response:
    """Check the password; on success set the session cookie and go where the user was."""
    email, target = field(form, "email"), safe_next(field(form, "next"))
    password = form.get("password")
    try:
        issued = login_throttle.login(
            session,
            engine=request.app.state.engine,
            email=email,
            password=password if isinstance(password, str) else "",
            address=client_address(request),
            ttl=login_ttl(settings),
            limits=login_limits(settings),
        )
    except Unauthorized:
        context = {"next": target, "email": email, "error": "Wrong email or password."}
        return render(request, "login.html", context, status=401)
    except TooManyRequests as error:
        context = {"next": target, "email": email, "error": error.message.capitalize() + "."}
        page = render(request, "login.html", context, status=429)
        page.headers["Retry-After"] = str(error.retry_after_s)
        return page
    response = RedirectResponse(target or NAV[issued.user.role][0][1], status_code=303)
    ttl_s = int(login_ttl(settings).total_seconds())
    set_session_cookie(request, response, issued.token, ttl_s)
    return response


@router.post("/logout")
def logout(session: SessionDep, web: WebSessionDep, form: CheckedForm) -> Response:
    """Revoke the session's token and forget the cookie."""
    auth.logout(session, actor=web.user, token=web.token)
    response = RedirectResponse("/app/login", status_code=303)
    clear_session_cookie(response)
    return response


def safe_next(target: str) -> str:
    """Only a path of this app: never another site (no open redirect)."""
    if target.startswith("/app/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""
