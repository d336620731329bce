"""Small shared value types of the contract: identifiers, weekdays and clock times."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, NaiveDatetime, StringConstraints, WithJsonSchema

from scheduler.domain.text_rules import (
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    check_identifier,
    check_text,
)

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(check_identifier),
]
"""A non-empty id, unique within its list (`scheduler.domain.text_rules` says what it may hold)."""

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_LENGTH), AfterValidator(check_text)]
"""A name or other text a coordinator typed: no control characters, no spreadsheet formula."""

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CLOCK_TIME_PATTERN = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
"""The regular expression every `ClockTime` must match."""

ClockTime = Annotated[str, StringConstraints(pattern=CLOCK_TIME_PATTERN)]
"""A wall-clock time "HH:MM" (00:00 to 24:00)."""


def clock_minutes(value: str) -> int:
    """Minutes since midnight of an "HH:MM" clock time."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


LOCAL_DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
"""How a `LocalDateTime` is written: ISO 8601 without an offset."""

LocalDateTime = Annotated[
    NaiveDatetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LOCAL_DATE_TIME_PATTERN,
            "description": "Wall-clock time in the term's time zone, without an offset.",
        }
    ),
]
"""A local date-time ("2027-02-04T15:00"). Its JSON Schema is a pattern, not "date-time":
that format (RFC 3339) demands an offset, which the contract forbids."""
