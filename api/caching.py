"""HTTP caching of stored views: ETag, Last-Modified and 304 answers.

A published view is private (one person's schedule, or a secret feed address), so it is
`Cache-Control: private, no-cache`: a browser or calendar app may keep it but asks again
each time, and gets a 304 without a body while the view has not changed. Shared caches
keep nothing. `If-None-Match` wins over `If-Modified-Since` (RFC 9110, 13.2.2).
"""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

from scheduler.services.published_views import StoredView

CACHE_CONTROL = "private, no-cache"


def stored_response(
    request: Request,
    view: StoredView,
    *,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """The view's bytes with their validators, or 304 when the client's copy is current."""
    modified = view.built_at.replace(microsecond=0)
    validators = {
        "ETag": view.etag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        **(headers or {}),
    }
    if not_modified(request, view.etag, modified):
        return Response(status_code=304, headers=validators)
    return Response(view.body, media_type=media_type, headers=validators)


def not_modified(request: Request, etag: str, modified: object) -> bool:
    """Whether the request's conditions say the client already holds this version."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if moment.tzinfo is None:
        return False
    return bool(modified <= moment)  # type: ignore[operator]


def _matches(header: str, etag: str) -> bool:
    """Weak comparison, as `If-None-Match` asks: `W/` prefixes are ignored."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))
