"""Types of request values shared by the API routers and the pages.

Values are checked against what the database can hold before any query runs, so that bad
input answers 422 naming the field instead of failing inside the driver with a 500: a
number past a PostgreSQL `integer` (or SQLite's 64-bit limit), or text with a NUL
character (PostgreSQL text cannot hold one). Imports only FastAPI and pydantic.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

ID_MAX = 2**31 - 1
"""The largest value of a PostgreSQL `integer` column: every id, version and seed fits."""

Id = Annotated[int, Path(ge=1, le=ID_MAX, description="A database id (1 to 2^31-1).")]
"""A path segment naming a row by its id."""


def no_nul(value: str) -> str:
    """Refuse text with a NUL character, which PostgreSQL cannot store or compare."""
    if "\x00" in value:
        raise ValueError("may not contain a NUL character (U+0000)")
    return value


Text = Annotated[str, AfterValidator(no_nul)]
"""Text from a request: any characters but NUL."""

Ref = Annotated[str, Path(min_length=1, max_length=100), AfterValidator(no_nul)]
"""A path segment naming something by the id a coordinator gave it (a student's id)."""
