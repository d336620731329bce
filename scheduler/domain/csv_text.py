"""CSV text that spreadsheet programs open as data, never as formulas.

Every CSV the system writes (schedule exports, a partner's slot list, the equity report)
goes through `csv_text`. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is run as a formula by Excel, LibreOffice and Google Sheets when the file is
opened (CSV injection: `=HYPERLINK(...)`, `@SUM(...)`, `-2+3+cmd|...`), so such a cell gets
a leading apostrophe, which those programs read as "this is text". Plain numbers ("-3",
"+1.5", "2e-3") are left alone: they are data, and the apostrophe would turn them into text.
The check reads the cell as NFKC-normalised Unicode without leading whitespace, so
" =1+1" and fullwidth "＝1+1" get the apostrophe too.

Imports decide what is accepted; this is the last line on the way out, for whatever got in
by another road (user names, a partner's decline reason, a group label) or older data.
Imports only the standard library.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
"""A plain decimal number: its leading sign is not a formula."""


def safe_cell(value: object) -> object:
    """The value as a spreadsheet should see it: numbers as they are, formulas as text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    probe = unicodedata.normalize("NFKC", text).lstrip()
    if (text.startswith(FORMULA_STARTS) or probe.startswith(FORMULA_STARTS)) and (
        NUMBER.match(probe) is None or text.startswith(("\t", "\r"))
    ):
        return "'" + text
    return text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A header and rows as CSV text ("\\n" line ends), every cell made safe to open."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
