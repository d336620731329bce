"""What an id or a piece of text in a scenario may look like.

Why: ids and names are typed (or pasted) by coordinators, and they leave the system again
in CSV exports that people open in spreadsheet programs, in URL paths
(`/terms/{id}/students/{student_id}`), in e-mails and in calendar files.
- A value that starts with `=`, `+`, `-` or `@` is run as a formula by a spreadsheet
  program (CSV injection: `=HYPERLINK(...)`, `@SUM(...)`). A number such as "-3" is not a
  formula and is accepted. The check looks at the value as NFKC-normalised Unicode
  without leading whitespace, so neither " =1+1" nor fullwidth "＝1+1" slips through.
- Control characters break CSV, e-mail and iCalendar lines; an unpaired surrogate cannot
  be stored as UTF-8.
- An id with `/` or `\\` cannot be addressed in a URL path; invisible formatting
  characters (right-to-left overrides, zero-width spaces) make two different ids look the
  same.
- Lengths are bounded so that one field cannot carry megabytes.
Such values are refused at import, naming the field, rather than escaped on every way
out: no real id or name starts with `=`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ID_LENGTH = 100
MAX_TEXT_LENGTH = 500
FORMULA_PREFIXES = ("=", "+", "-", "@")
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
"""A plain decimal number: a leading sign there is not a formula."""


def check_identifier(value: str) -> str:
    """An id: text rules, plus no path separators, no edge spaces, nothing invisible."""
    check_text(value)
    if "/" in value or "\\" in value:
        raise ValueError("an id may not contain '/' or '\\'")
    if value in (".", ".."):
        raise ValueError(f"{value!r} is not a usable id")
    if value != value.strip():
        raise ValueError("an id may not start or end with a space")
    for index, char in enumerate(value):
        if unicodedata.category(char) == "Cf":
            raise ValueError(
                f"invisible formatting character U+{ord(char):04X} at position {index + 1}"
            )
    return value


def check_text(value: str) -> str:
    """Any text: no control characters, no spreadsheet formula."""
    for index, char in enumerate(value):
        kind = unicodedata.category(char)
        if kind == "Cc":
            raise ValueError(f"control character U+{ord(char):04X} at position {index + 1}")
        if kind == "Cs":
            raise ValueError(f"unpaired surrogate U+{ord(char):04X} at position {index + 1}")
    probe = as_spreadsheets_read(value)
    if probe.startswith(FORMULA_PREFIXES) and not _is_number(probe):
        start = (
            repr(probe[0]) if value.startswith(probe[0]) else f"{value[0]!r} (read as {probe[0]!r})"
        )
        raise ValueError(
            f"starts with {start}, which spreadsheet programs run as a formula"
            " (CSV injection); remove it"
        )
    return value


def as_spreadsheets_read(value: str) -> str:
    """The start of a value as a spreadsheet program may take it: Unicode compatibility
    forms folded (NFKC: fullwidth '＝' is '=') and leading whitespace dropped (" =1+1")."""
    return unicodedata.normalize("NFKC", value).lstrip()


def _is_number(value: str) -> bool:
    return NUMBER.match(value) is not None
