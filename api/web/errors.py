"""Errors on pages are pages: sign-in for 401, a short explanation for the rest.

The handlers take over from `api.errors` only for paths under `/app`; every other path is
handed back to the JSON handlers, so API clients keep the one error shape.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import errors as json_errors
from api.web.rendering import render
from api.web.security import clear_session_cookie
from scheduler.services.errors import ServiceError

log = logging.getLogger("ipe.web")
Handler = Callable[[Request, Exception], Awaitable[Response]]
TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Not valid",
    503: "Unavailable",
}


def is_page(request: Request) -> bool:
    return request.url.path == "/app" or request.url.path.startswith("/app/")


def error_page(request: Request, status: int, message: str) -> Response:
    """A 401 sends the browser to sign in (and back here afterwards); others explain."""
    if status == 401:
        target = request.url.path if request.method == "GET" else "/app/"
        response = RedirectResponse(f"/app/login?next={quote(target)}", status_code=303)
        clear_session_cookie(response)
        return response
    title = TITLES.get(status, "Something went wrong")
    page = render(request, "error.html", {"title": title, "message": message}, status=status)
    if status == 503:
        page.headers["Retry-After"] = str(json_errors.RETRY_AFTER_UNAVAILABLE_S)
    return page


def for_pages(fallback: Handler, message: Callable[[Exception], tuple[int, str]]) -> Handler:
    """A handler that renders a page under `/app` and defers to `fallback` elsewhere."""

    async def handler(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await fallback(request, error)
        status, text = message(error)
        return error_page(request, status, text)

    return handler


def _service(error: Exception) -> tuple[int, str]:
    assert isinstance(error, ServiceError)
    return error.status, error.message


def _http(error: Exception) -> tuple[int, str]:
    assert isinstance(error, StarletteHTTPException)
    return error.status_code, "There is no such page." if error.status_code == 404 else ""


def _invalid(error: Exception) -> tuple[int, str]:
    return 422, "The address or form is not valid."


def _unavailable(error: Exception) -> tuple[int, str]:
    log.warning("database unavailable on a page: %s", error)
    return 503, "The service cannot reach its database just now; try again in a moment."


def _unexpected(error: Exception) -> tuple[int, str]:
    log.error("unhandled error on a page", exc_info=error)
    return 500, "Something went wrong on our side."


def install(app: FastAPI) -> None:
    """Register the page-aware handlers in place of the JSON-only ones."""
    app.add_exception_handler(ServiceError, for_pages(json_errors.service_error, _service))
    app.add_exception_handler(
        RequestValidationError, for_pages(json_errors.validation_error, _invalid)
    )
    app.add_exception_handler(StarletteHTTPException, for_pages(json_errors.http_error, _http))
    unavailable = for_pages(json_errors.database_unavailable, _unavailable)
    for kind in json_errors.UNAVAILABLE:
        app.add_exception_handler(kind, unavailable)
    app.add_exception_handler(Exception, for_pages(json_errors.unexpected_error, _unexpected))
