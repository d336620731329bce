"""Security headers on every response: the API's, the pages', the feeds' and the docs'.

A small ASGI middleware adds, unless the route already set the header itself:
- `Content-Security-Policy`: pages may load only this server's own scripts, styles and
  images (vendored under `/app/static/`, no inline script); API answers may load nothing;
  the interactive docs (`/docs`) may load this server's vendored Swagger UI and nothing
  from elsewhere (inline styles only: Swagger UI sets style attributes).
  Nothing may be framed (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older
  browsers).
- `X-Content-Type-Options: nosniff`.
- `Referrer-Policy: no-referrer`, so a secret address (a calendar feed's token) never
  leaves in a `Referer`. Pages use `same-origin` instead: under `no-referrer` browsers send
  `Origin: null` with form posts, which the pages' CSRF origin check rightly refuses; no
  page address holds a secret, and nothing is sent to other sites.
- `Cache-Control: no-store`: answers are personal or signed-in; routes that chose their
  own (calendar feeds and `GET /me/schedule`: `private, no-cache` with an ETag,
  `api/caching.py`) keep it, and the vendored static files are left cacheable.
- `Strict-Transport-Security` only on requests that came over HTTPS (`IPE_HSTS_MAX_AGE_S`,
  0 to never send it): over plain HTTP the header means nothing and would be misleading.

Responses built by Starlette's outermost error middleware (an unexpected exception) skip
user middleware; error pages still get the page headers from `api.web.rendering.render`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
PAGE_HEADERS = {
    **COMMON,
    "Content-Security-Policy": PAGE_CSP,
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATIC_PREFIX = "/app/static/"


def is_page(path: str) -> bool:
    return path == "/" or path == "/app" or path.startswith("/app/")


def is_docs(path: str) -> bool:
    return path == "/docs"


def headers_for(path: str, *, https: bool, hsts_max_age_s: int) -> dict[str, str]:
    """The security headers a response to `path` gets (before the route's own win)."""
    if is_page(path):
        headers = dict(PAGE_HEADERS)
    else:
        csp = DOCS_CSP if is_docs(path) else API_CSP
        headers = {**COMMON, "Content-Security-Policy": csp, "Referrer-Policy": "no-referrer"}
        headers["Cache-Control"] = "no-store"
    if path.startswith(STATIC_PREFIX):
        del headers["Cache-Control"]
    if https and hsts_max_age_s > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_max_age_s}"
    return headers


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets `headers_for` its path, unless already set."""

    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int) -> None:
        self.app = app
        self.hsts_max_age_s = hsts_max_age_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(
            scope["path"], https=scope["scheme"] == "https", hsts_max_age_s=self.hsts_max_age_s
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
