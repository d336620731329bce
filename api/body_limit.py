"""Request body limits: 413 in the one error shape for a body over its limit.

Why a limit: without one, a client can make a process buffer any amount of memory (every
handler reads its body whole). Why two: an ordinary JSON request is small
(`max_body_bytes`, 1 MiB), a term import (scenario JSON or CSV files, `max_upload_bytes`,
20 MiB) is not. Why as ASGI middleware: the limit must hold before any handler or form
parser touches the body, and for chunked bodies too, which carry no Content-Length, so
bytes are counted as they arrive. A declared Content-Length over the limit is refused
before a byte is read. The body is read whole (up to the limit) before the app runs, so a
handler never sees half a body and a refused request changes nothing. Then the app runs
watched for its client leaving (api/client_watch.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.client_watch import run_watched
from api.errors import ErrorDetail, error_response

UPLOAD_PATHS = re.compile(r"^(/app)?/terms(/\d+/csv)?/?$")
"""POST to these paths imports a term: JSON at `/terms`, CSV files at `/terms/{id}/csv`,
and the same under the pages' `/app`."""


@dataclass(frozen=True)
class BodyLimits:
    """The largest body, in bytes, of an ordinary request and of a term import."""

    body_bytes: int
    upload_bytes: int

    def for_request(self, method: str, path: str) -> int:
        if method == "POST" and UPLOAD_PATHS.match(path):
            return self.upload_bytes
        return self.body_bytes


class BodyTooLarge(Exception):
    """The body went over its limit while it was being read."""


class BodyLimitMiddleware:
    """Reads each request body up to its limit, then hands the app the whole body."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope["method"], scope["path"])
        declared = _content_length(scope)
        try:
            if declared is not None and declared > limit:
                raise BodyTooLarge
            body = await _read_body(receive, limit)
        except BodyTooLarge:
            await _too_large(scope, receive, send, limit)
            return
        if body is None:
            return  # the client went away before sending its whole body
        await run_watched(self.app, scope, receive, send, body)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or BodyTooLarge as soon as the bytes so far pass `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _mebibytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    message = f"the request body is larger than {_mebibytes(limit)}"
    response: Response
    if scope["path"] == "/app" or scope["path"].startswith("/app/"):
        page = (
            "<!doctype html><title>Too large</title><h1>Too large</h1>"
            f"<p>The file is larger than {_mebibytes(limit)}. "
            '<a href="/app/terms">Back to the terms</a></p>'
        )
        response = HTMLResponse(page, status_code=413, headers={"Connection": "close"})
    else:
        detail = ErrorDetail(path="body", message=f"at most {limit:,} bytes are accepted here")
        response = error_response(
            413, "too_large", message, [detail], headers={"Connection": "close"}
        )
    await response(scope, receive, send)
