"""One error shape for every failure: `{"error": {"code", "message", "details": [...]}}`.

Service errors, request validation errors, Starlette's own 404/405 and unexpected
exceptions all leave through these handlers, so clients parse a single shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from scheduler.domain.schedule import ErrorItem
from scheduler.services.errors import ServiceError, TooManyRequests

log = logging.getLogger("ipe.api")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}

UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
"""What the database driver raises while the database cannot be reached (down, restarting,
out of connections, SQLite locked past its busy timeout): a 503, not a 500."""
RETRY_AFTER_UNAVAILABLE_S = 5


class ErrorDetail(BaseModel):
    """One problem: where (a JSON path, `FILE.csv:LINE:COLUMN`, or a parameter) and what."""

    path: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorBody


DESCRIPTIONS = {
    400: "The request body could not be read (not UTF-8, or broken multipart data).",
    401: "Not signed in, or the token expired or was revoked.",
    403: "Signed in, but this endpoint is for another role.",
    404: "No such resource, or it belongs to someone else.",
    409: "Conflicts with the current state (a concurrent change, an active run, ...).",
    413: "The upload is too large.",
    422: "Invalid input; `details` lists every problem with its path.",
    429: "A limit was reached (sign-in attempts, active solve runs); see `Retry-After`.",
    503: "The database (or the job queue) cannot be reached just now; see `Retry-After`.",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses, all with the one error shape."""
    return {s: {"model": ErrorResponse, "description": DESCRIPTIONS[s]} for s in statuses}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorItem] | list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            code=code,
            message=message,
            details=[ErrorDetail(path=d.path, message=d.message) for d in details or []],
        )
    )
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def _bearer(status: int) -> dict[str, str] | None:
    return {"WWW-Authenticate": "Bearer"} if status == 401 else None


def service_headers(error: ServiceError) -> dict[str, str] | None:
    """`WWW-Authenticate` for a 401, `Retry-After` for a 429."""
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.retry_after_s)}
    return _bearer(error.status)


async def service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    return error_response(
        error.status, error.code, error.message, error.details, headers=service_headers(error)
    )


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        ErrorDetail(path=".".join(str(part) for part in item["loc"]), message=item["msg"])
        for item in error.errors()
    ]
    return error_response(422, "invalid_request", "the request is not valid", details)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = CODES.get(error.status_code, f"http_{error.status_code}")
    message = str(error.detail) if error.detail else code.replace("_", " ")
    headers = dict(error.headers or {}) or _bearer(error.status_code)
    return error_response(error.status_code, code, message, headers=headers)


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    return error_response(
        503,
        "database_unavailable",
        "the database cannot be reached just now; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
    )


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal_error", "something went wrong on our side")


def install(app: FastAPI) -> None:
    """Register every handler on the app, and document the shape they answer with."""
    one_error_shape(app)
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)
    app.add_exception_handler(Exception, unexpected_error)


def one_error_shape(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers do: every 422 has the error shape.

    FastAPI documents its own `HTTPValidationError` for request validation; our handler
    answers with `ErrorResponse` instead, so the schema is rewritten to match. Every
    operation that takes a body may also answer 400: FastAPI and Starlette refuse a body
    they cannot decode before any route code runs.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        for operation in _operations(schema):
            answer = operation.get("responses", {}).get("422")
            if answer and "HTTPValidationError" in str(answer):
                operation["responses"]["422"] = _error_answer(422)
            if "requestBody" in operation:
                operation["responses"].setdefault("400", _error_answer(400))
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error_answer(status: int) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    return {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": ref}}}


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema.get("paths", {}).values() for op in path.values()]
