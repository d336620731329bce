"""Cookie sign-in for pages, and CSRF protection for their forms.

Session: signing in on `/app/login` runs the service's own password login (argon2) and
puts the expiring login token it issues into a cookie: HttpOnly (no script reads it),
SameSite=Lax (not sent on cross-site posts), Secure over HTTPS, scoped to `/app`, living
as long as the token. Each page request authenticates that token exactly as the API
authenticates a bearer token, so expiry and sign-out (revocation) work the same way. The
JSON API never reads the cookie: it takes bearer tokens only, so it needs no CSRF defence.

CSRF: every form post must pass two checks. (1) Same origin: when the browser sends
`Origin` (or, failing that, `Referer`), its host must be this server's `Host`. (2) A token
in the form: an HMAC of the session token, so it is per session, needs no storage, and
cannot be forged without the HttpOnly cookie. The login form has no session yet and relies
on the origin check and SameSite.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from api.deps import SessionDep
from scheduler.db.tables import TokenRow, UserRow
from scheduler.domain.schedule import ErrorItem
from scheduler.services import auth
from scheduler.services.errors import Forbidden, Invalid, Unauthorized

COOKIE = "ipe_session"
COOKIE_PATH = "/app"
CSRF_FIELD = "csrf_token"


class WebSession:
    """The signed-in user of a page request, and the CSRF token for its forms."""

    def __init__(self, user: UserRow, token: TokenRow, secret: str) -> None:
        self.user = user
        self.token = token
        self.csrf = csrf_token(secret)


def csrf_token(session_token: str) -> str:
    """The form token of a session: HMAC-SHA256 of a fixed label under the session token."""
    return hmac.new(session_token.encode(), b"ipe-csrf", hashlib.sha256).hexdigest()


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")


def get_web_session(request: Request, session: SessionDep) -> WebSession:
    """The cookie's login token, authenticated like a bearer token; 401 sends to sign-in."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise Unauthorized("sign in first", code="login_required")
    user, token = auth.authenticate(session, token=secret)
    if token.kind != auth.LOGIN:
        raise Unauthorized("sign in first", code="login_required")
    return WebSession(user, token, secret)


WebSessionDep = Annotated[WebSession, Depends(get_web_session)]


def page_role(role: str) -> Callable[[WebSession], WebSession]:
    """A dependency letting only `role` see a page (403 page for every other role)."""

    def gate(web: WebSessionDep) -> WebSession:
        if web.user.role != role:
            raise Forbidden(f"this page is for {role}s", code="wrong_role")
        return web

    return gate


CoordinatorPage = Annotated[WebSession, Depends(page_role("coordinator"))]
StudentPage = Annotated[WebSession, Depends(page_role("student"))]
PartnerPage = Annotated[WebSession, Depends(page_role("partner"))]


def require_same_origin(request: Request) -> None:
    """Refuse a post whose Origin (or Referer) names another host than this server."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    if source == "null" or urlsplit(source).netloc != request.headers.get("host", ""):
        raise Forbidden("the form was sent from another site", code="cross_origin")


async def checked_form(request: Request, web: WebSessionDep) -> FormData:
    """The posted form, once it passed the origin check and carries this session's token."""
    require_same_origin(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, web.csrf):
        raise Forbidden("the form is stale or was not sent from this site", code="csrf_failed")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def field(form: FormData, name: str) -> str:
    """A text field of a form, stripped ("" when missing or a file); NUL is refused (422)."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if "\x00" in value:
        raise Invalid(
            "the form has problems",
            details=[ErrorItem(path=name, message="may not contain a NUL character")],
        )
    return value.strip()


WHOLE = re.compile(r"[0-9]{1,10}")
DECIMAL = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,6})?")
"""ASCII digits only, and few of them: `str.isdigit` and `int` accept '²' or '٣' (and
`int` fails past 4,300 digits), `float` accepts '1_0', 'inf' and fullwidth digits."""


def whole_number(form: FormData, name: str, *, low: int, high: int) -> int | None:
    """A whole-number field between `low` and `high` (None when empty); else 422 naming it."""
    text = field(form, name)
    if not text:
        return None
    if WHOLE.fullmatch(text) and low <= int(text) <= high:
        return int(text)
    message = f"must be a whole number from {low} to {high}"
    raise Invalid(f"{name} {message}", details=[ErrorItem(path=name, message=message)])


def fields(form: FormData, *names: str) -> dict[str, str]:
    """Several text fields at once (see `field`), by name: what a form shows again."""
    return {name: field(form, name) for name in names}


def count_text(
    text: str, name: str, *, problem: str, message: str = "must be a whole number"
) -> int:
    """A whole number typed in a field (ASCII digits, see `WHOLE`); else `Invalid` with
    `problem` and the field named."""
    if WHOLE.fullmatch(text):
        return int(text)
    raise Invalid(problem, details=[ErrorItem(path=name, message=message)])


def optional_count(text: str) -> int | None:
    """A whole number typed in a field, or None when it is not one."""
    return int(text) if WHOLE.fullmatch(text) else None


def time_limit(form: FormData) -> float | None:
    """A time limit in seconds (`time_limit_s`): empty means the default; anything else must
    be above 0 (its upper bound is the service's, checked by the use case)."""
    try:
        value = decimal_number(form, "time_limit_s", low=0, high=10**9)
    except Invalid:
        value = -1.0
    if value is not None and not value > 0:
        raise Invalid("the time limit must be a number of seconds above 0", code="bad_limit")
    return value


def decimal_number(form: FormData, name: str, *, low: float, high: float) -> float | None:
    """A decimal field (digits, an optional point) from `low` to `high`; None when empty."""
    text = field(form, name)
    if not text:
        return None
    if DECIMAL.fullmatch(text) and low <= float(text) <= high:
        return float(text)
    message = f"must be a number from {low:g} to {high:g}"
    raise Invalid(f"{name} {message}", details=[ErrorItem(path=name, message=message)])
