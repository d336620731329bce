"""Secrets never reach the logs: tokens, passwords and secret addresses are blanked out.

What could leak: a calendar feed's address is its credential (`/feeds/{token}.ics`), and
uvicorn's access log prints every request's path; an `Authorization: Bearer` value, a
session cookie, a `password=` form field or an `access_token` in a JSON body could end up
in an error message. `install()` wraps the log-record factory, so every record of every
logger (uvicorn's, the app's, libraries') is cleaned when it is made, before any handler,
filter or pytest's caplog sees it. Each argument is cleaned on its own, so
formatters that unpack `record.args` (uvicorn's access formatter) keep working.

Tokens have one shape (`secrets.token_urlsafe(32)`: 43 URL-safe characters), so
any such run of characters is blanked too, wherever it appears.

Not covered: the text of a traceback, formatted later by a handler (our own messages
name the method and path, which `scrub` has already cleaned). Imports only the standard
library.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
PATTERNS = [
    (re.compile(r"(/feeds/)[^/\s\"'?#]+?(\.ics)"), rf"\g<1>{REDACTED}\g<2>"),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\g<1>{REDACTED}"),
    (
        re.compile(r"(?i)\b(password|access_token|token|csrf_token|ipe_session)=[^&\s\"';,]+"),
        rf"\g<1>={REDACTED}",
    ),
    (
        re.compile(r"(?i)([\"'](?:password|access_token|token)[\"']\s*:\s*)[\"'][^\"']*[\"']"),
        rf'\g<1>"{REDACTED}"',
    ),
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"), REDACTED),
]


def redact(text: str) -> str:
    """`text` with every secret this module knows the shape of blanked out."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    """A string cleaned; another object replaced by its cleaned text only if that differs
    (a URL object holding a token), so numbers keep working with `%d`."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value
    try:
        text = str(value)
    except Exception:
        return value
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Clean a record's message and string arguments in place."""
    record.msg = _clean(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {key: _clean(value) for key, value in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_clean(value) for value in record.args)
    return record


def install() -> None:
    """Make every log record of this process go through `scrub` (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(previous(*args, **kwargs))

    factory.redacts_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
