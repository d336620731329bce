"""Errors of the use cases: each carries a stable code, an HTTP-like status and details.

Services raise these instead of `ValueError` or `None`; the web layer renders every one
the same way (`{"error": {"code", "message", "details"}}`) and the CLI prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from scheduler.domain.schedule import ErrorItem

T = TypeVar("T")


class ServiceError(Exception):
    """A use case refused: `status` says what kind of refusal, `code` which one exactly."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, details: Iterable[ErrorItem] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = list(details)


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """The resource does not exist or the acting user may not know that it does."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class TooManyRequests(ServiceError):
    """A limit on how often or how much (sign-in attempts, concurrent solve runs) was hit;
    `retry_after_s` says when trying again may succeed."""

    status = 429
    code = "too_many_requests"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Iterable[ErrorItem] = (),
        retry_after_s: int = 60,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_s = max(1, retry_after_s)


class Invalid(ServiceError):
    """Bad input; `details` lists every problem with its path."""

    status = 422
    code = "invalid"


def found(value: T | None, what: str) -> T:
    """`value`, or NotFound naming `what` (repositories return None for out-of-scope too)."""
    if value is None:
        raise NotFound(f"{what} not found")
    return value
