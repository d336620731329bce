"""CSV files of a term (students, sites, slots, sessions) read into scenario lists.

Each file replaces one list of the term's scenario; the merged document is then checked as
a whole by `scheduler.domain.loading`, so CSV input meets exactly the rules JSON input
does. Cells stay text here (pydantic converts numbers and booleans and names the cell that
will not convert); only lists (`a;b`), intervals (`start/end;...`), weekly windows
(`tue 08:00-12:00;...`), coordinates and a site's units (`ID:NAME[:TAGS[:MIN_FILL]];...`)
are shaped. Every problem is reported with the path `FILE.csv:LINE:COLUMN` (line 1 is the
header).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scheduler.domain.schedule import ErrorItem
from scheduler.services import import_limits
from scheduler.services.cancellation import checkpoint
from scheduler.services.import_limits import ImportLimits

Row = dict[str, Any]
DEFAULT_LIMITS = ImportLimits()


@dataclass(frozen=True)
class FileSpec:
    """The columns of one CSV file and how a row becomes a scenario item."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    shape: Callable[[dict[str, str], Callable[[str, str], None]], Row]
    prefixes: tuple[str, ...] = ()


@dataclass
class Parsed:
    """Scenario lists read from the files, the line each item came from, and problems."""

    lists: dict[str, list[Row]] = field(default_factory=dict)
    lines: dict[str, list[int]] = field(default_factory=dict)
    errors: list[ErrorItem] = field(default_factory=list)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _put(item: Row, key: str, value: Any) -> None:
    if value not in ("", None, []):
        item[key] = value


def _intervals(value: str, problem: Callable[[str, str], None], column: str) -> list[Row]:
    items = []
    for part in _split(value):
        start, slash, end = part.partition("/")
        if not slash:
            problem(column, f"expected START/END, found {part!r}")
            continue
        items.append({"start": start.strip(), "end": end.strip()})
    return items


WEEKLY = re.compile(r"^(\w+)\s+(\S+)\s*-\s*(\S+)$")


def _weekly(value: str, problem: Callable[[str, str], None], column: str) -> list[Row]:
    items = []
    for part in _split(value):
        match = WEEKLY.match(part)
        if match is None:
            problem(column, f"expected 'DAY HH:MM-HH:MM', found {part!r}")
            continue
        day, start, end = match.groups()
        items.append({"day": day, "start": start, "end": end})
    return items


def _attribute(value: str) -> str | bool | int | float:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        return number if math.isfinite(number) else value  # "nan" and "inf" stay text
    return value


def _student(cells: dict[str, str], problem: Callable[[str, str], None]) -> Row:
    item: Row = {}
    for key in ("id", "name", "email", "profession", "cohort", "travel_mode", "directory_opt_out"):
        _put(item, key, cells.get(key, ""))
    for key in ("languages", "needs", "site_preferences", "qualifications"):
        _put(item, key, _split(cells.get(key, "")))
    _put(item, "score_weight", cells.get("score_weight", ""))
    _put(item, "unavailable", _intervals(cells.get("unavailable", ""), problem, "unavailable"))
    weekly = _weekly(cells.get("weekly_unavailable", ""), problem, "weekly_unavailable")
    _put(item, "weekly_unavailable", weekly)
    if cells.get("home_lat") or cells.get("home_lon"):
        item["home"] = {"lat": cells.get("home_lat", ""), "lon": cells.get("home_lon", "")}
    attributes = {
        key.removeprefix("attr:"): _attribute(value)
        for key, value in cells.items()
        if key.startswith("attr:") and value.strip()
    }
    _put(item, "attributes", attributes)
    return item


def _site(cells: dict[str, str], problem: Callable[[str, str], None]) -> Row:
    item: Row = {"location": {"lat": cells.get("lat", ""), "lon": cells.get("lon", "")}}
    for key in ("id", "name", "transit_accessible", "accessible", "address"):
        _put(item, key, cells.get(key, ""))
    for key in ("tags", "languages", "required_credentials"):
        _put(item, key, _split(cells.get(key, "")))
    _put(item, "units", _units(cells.get("units", ""), problem))
    return item


def _units(value: str, problem: Callable[[str, str], None]) -> list[Row]:
    """`ID:NAME[:TAGS[:MIN_FILL]];...` (tags `a,b`) as a site's units. The id is before
    the first colon; with four parts the last two are tags and min_fill, so a name may hold
    a colon only in the four-part form."""
    units = []
    for part in _split(value):
        pieces = part.split(":")
        if len(pieces) > 4:
            pieces = [pieces[0], ":".join(pieces[1:-2]), pieces[-2], pieces[-1]]
        pieces = [piece.strip() for piece in pieces] + [""] * (4 - len(pieces))
        if not pieces[0] or not pieces[1]:
            problem("units", f"expected 'ID:NAME[:TAGS[:MIN_FILL]]', found {part!r}")
            continue
        unit: Row = {"id": pieces[0], "name": pieces[1]}
        _put(unit, "tags", [tag.strip() for tag in pieces[2].split(",") if tag.strip()])
        _put(unit, "min_fill", pieces[3])
        units.append(unit)
    return units


def unit_cell(units: list[Row]) -> str:
    """A site's units as the text `_units` reads (the inverse, for the edit form)."""
    parts = []
    for unit in units:
        pieces = [unit["id"], unit["name"], ",".join(unit.get("tags", []))]
        if unit.get("min_fill") is not None:
            pieces.append(str(unit["min_fill"]))
        while pieces[-1] == "" and len(pieces) > 2:
            pieces.pop()
        if ":" in unit["name"] and len(pieces) < 4:
            pieces += [""] * (4 - len(pieces))
        parts.append(":".join(pieces))
    return ";".join(parts)


def _slot(cells: dict[str, str], problem: Callable[[str, str], None]) -> Row:
    item: Row = {}
    for key in ("id", "site", "period", "profession", "capacity", "language", "status"):
        _put(item, key, cells.get(key, ""))
    for key in ("unit", "discipline"):
        _put(item, key, cells.get(key, ""))
    for key in ("required_credentials", "requires"):
        _put(item, key, _split(cells.get(key, "")))
    return item


def _session(cells: dict[str, str], problem: Callable[[str, str], None]) -> Row:
    item: Row = {}
    for key in ("activity", "id", "start", "end", "room", "max_teams"):
        _put(item, key, cells.get(key, ""))
    return item


SPECS: dict[str, FileSpec] = {
    "students": FileSpec(
        required=("id", "name", "profession"),
        optional=(
            "email",
            "cohort",
            "travel_mode",
            "home_lat",
            "home_lon",
            "languages",
            "needs",
            "site_preferences",
            "unavailable",
            "weekly_unavailable",
            "directory_opt_out",
            "qualifications",
            "score_weight",
        ),
        shape=_student,
        prefixes=("attr:",),
    ),
    "sites": FileSpec(
        required=("id", "name", "lat", "lon"),
        optional=(
            "transit_accessible",
            "accessible",
            "tags",
            "languages",
            "address",
            "required_credentials",
            "units",
        ),
        shape=_site,
    ),
    "slots": FileSpec(
        required=("id", "site", "period", "profession", "capacity"),
        optional=("language", "status", "required_credentials", "unit", "discipline", "requires"),
        shape=_slot,
    ),
    "sessions": FileSpec(
        required=("activity", "id", "start", "end", "room", "max_teams"),
        optional=(),
        shape=_session,
    ),
}

COLUMN_OF_FIELD = {"home.lat": "home_lat", "home.lon": "home_lon", "location.lat": "lat"}
COLUMN_OF_FIELD["location.lon"] = "lon"


def parse_files(files: Mapping[str, bytes], *, limits: ImportLimits = DEFAULT_LIMITS) -> Parsed:
    """Read every given file; unknown names, bad headers and bad cells become errors."""
    parsed = Parsed()
    if not files:
        parsed.errors.append(
            ErrorItem(path="$", message=f"no CSV file given; expected any of {', '.join(SPECS)}")
        )
    for name, data in files.items():
        if name not in SPECS:
            known = ", ".join(f"{n}.csv" for n in SPECS)
            parsed.errors.append(
                ErrorItem(path=f"{name}.csv", message=f"unknown CSV file; expected {known}")
            )
            continue
        text = _text(f"{name}.csv", data, parsed)
        if text is not None:
            _parse_file(name, text, SPECS[name], parsed, limits=limits)
    return parsed


def _text(source: str, data: bytes, parsed: Parsed) -> str | None:
    """The file as text: UTF-8 (a byte-order mark is fine), no NUL characters."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text: {error.reason} at byte {error.start}"
        parsed.errors.append(ErrorItem(path=source, message=message))
        return None
    if "\x00" in text:
        message = "contains NUL characters: not UTF-8 text (a UTF-16 file? save it as UTF-8)"
        parsed.errors.append(ErrorItem(path=source, message=message))
        return None
    return text


def _parse_file(
    name: str, text: str, spec: FileSpec, parsed: Parsed, *, limits: ImportLimits
) -> None:
    """Rows into scenario items. Quotes must pair up (`strict`): a stray quote would
    otherwise swallow the rest of the file into one cell. A file with more rows than its
    limit, more columns than `limits.columns` or a cell longer than `limits.cell_chars` is
    not read further, and keeps no list. Linear in the file's size throughout."""
    source = f"{name}.csv"
    max_rows = limits.rows(name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not _within_caps(source, 1, header, limits, parsed):
            return
        if not _header_ok(source, header, spec, parsed):
            return
        read = _items(reader, source, header, spec, parsed, limits)
        if read is None:
            return
        items, lines = read
    except csv.Error as error:
        message = f"not a readable CSV file: {error}"
        parsed.errors.append(ErrorItem(path=f"{source}:{reader.line_num}", message=message))
        return
    if len(items) > max_rows:
        parsed.errors.append(import_limits.row_problem(source, max_rows))
        return
    parsed.lists[name] = items
    parsed.lines[name] = lines


def _within_caps(
    source: str, line: int, row: list[str], limits: ImportLimits, parsed: Parsed
) -> bool:
    """At most `limits.columns` cells and none longer than `limits.cell_chars`."""
    if len(row) > limits.columns:
        message = f"at most {limits.columns:,} columns per file, found {len(row):,}"
        parsed.errors.append(ErrorItem(path=f"{source}:{line}", message=message))
        return False
    longest = max((len(cell) for cell in row), default=0)
    if longest > limits.cell_chars:
        message = f"at most {limits.cell_chars:,} characters per cell, found {longest:,}"
        parsed.errors.append(ErrorItem(path=f"{source}:{line}", message=message))
        return False
    return True


def _items(
    reader: Any,
    source: str,
    header: list[str],
    spec: FileSpec,
    parsed: Parsed,
    limits: ImportLimits,
) -> tuple[list[Row], list[int]] | None:
    """The file's rows as scenario items (stops one past the row limit), with their lines;
    None once a row is past the caps of `_within_caps`."""
    max_rows = limits.rows(source.removesuffix(".csv"))
    items: list[Row] = []
    lines: list[int] = []
    for row in reader:
        checkpoint()  # a large upload stops once its client has left
        line = reader.line_num
        if not _within_caps(source, line, row, limits, parsed):
            return None
        if not any(cell.strip() for cell in row):
            continue
        if len(items) == max_rows:
            items.append({})
            break
        if len(row) > len(header):
            parsed.errors.append(
                ErrorItem(
                    path=f"{source}:{line}",
                    message=f"{len(row)} cells but the header names {len(header)} columns",
                )
            )
            continue
        cells = {column: value.strip() for column, value in zip(header, row, strict=False)}

        def problem(column: str, message: str, line: int = line) -> None:
            parsed.errors.append(ErrorItem(path=f"{source}:{line}:{column}", message=message))

        items.append(spec.shape(cells, problem))
        lines.append(line)
    return items, lines


def _header_ok(source: str, header: list[str], spec: FileSpec, parsed: Parsed) -> bool:
    """Every required column present, no unknown or repeated one."""
    ok = True
    if not any(header):
        parsed.errors.append(ErrorItem(path=source, message="empty file: no header line"))
        return False
    known = set(spec.required) | set(spec.optional)
    for column in header:
        if column not in known and not column.startswith(spec.prefixes or ("\0",)):
            parsed.errors.append(
                ErrorItem(path=f"{source}:1:{column}", message=f"unknown column {column!r}")
            )
            ok = False
    for column in spec.required:
        if column not in header:
            parsed.errors.append(
                ErrorItem(path=f"{source}:1", message=f"required column {column!r} is missing")
            )
            ok = False
    seen = Counter(header)  # not header.count(column) per column: quadratic in columns
    repeated = {column for column, times in seen.items() if times > 1}
    for column in sorted(repeated):
        parsed.errors.append(
            ErrorItem(path=f"{source}:1:{column}", message=f"column {column!r} appears twice")
        )
        ok = False
    return ok


def merge(document: dict[str, Any], parsed: Parsed) -> tuple[dict[str, Any], list[ErrorItem]]:
    """The scenario document with the parsed lists in place of its own.

    Sessions go under their activities; an activity the CSV does not name keeps none.
    """
    merged = dict(document)
    errors: list[ErrorItem] = []
    for name in ("students", "sites", "slots"):
        if name in parsed.lists:
            merged[name] = parsed.lists[name]
    if "sessions" in parsed.lists:
        merged["activities"], errors = _sessions_into(document, parsed)
    return merged, errors


def _sessions_into(
    document: dict[str, Any], parsed: Parsed
) -> tuple[list[dict[str, Any]], list[ErrorItem]]:
    activities = [dict(activity, sessions=[]) for activity in document.get("activities", [])]
    by_id = {activity.get("id"): activity for activity in activities}
    errors = []
    for item, line in zip(parsed.lists["sessions"], parsed.lines["sessions"], strict=True):
        session = dict(item)
        activity = by_id.get(session.pop("activity", None))
        if activity is None:
            errors.append(
                ErrorItem(
                    path=f"sessions.csv:{line}:activity",
                    message=f"unknown activity {item.get('activity')!r}",
                )
            )
            continue
        activity["sessions"].append(session)
    return activities, errors


def csv_path(path: str, parsed: Parsed, document: dict[str, Any]) -> str:
    """Turn a scenario path into `FILE.csv:LINE:COLUMN` when the item came from a CSV file."""
    match = re.match(r"^(students|sites|slots)\[(\d+)\](?:\.(.*))?$", path)
    if match and match.group(1) in parsed.lines:
        name, index, rest = match.group(1), int(match.group(2)), match.group(3) or ""
        return _cell(f"{name}.csv", parsed.lines[name][index], rest)
    match = re.match(r"^activities\[(\d+)\]\.sessions\[(\d+)\](?:\.(.*))?$", path)
    if match and "sessions" in parsed.lines:
        line = _session_line(document, parsed, int(match.group(1)), int(match.group(2)))
        if line is not None:
            return _cell("sessions.csv", line, match.group(3) or "")
    return path


def _cell(source: str, line: int, rest: str) -> str:
    for field_path, column in COLUMN_OF_FIELD.items():
        if rest == field_path or rest.startswith(field_path + "."):
            rest = column
    return f"{source}:{line}:{rest}" if rest else f"{source}:{line}"


def _session_line(
    document: dict[str, Any], parsed: Parsed, activity_index: int, session_index: int
) -> int | None:
    """The CSV line of the n-th session merged under the a-th activity."""
    activities = document.get("activities", [])
    if activity_index >= len(activities):
        return None
    activity_id = activities[activity_index].get("id")
    seen = 0
    for item, line in zip(parsed.lists["sessions"], parsed.lines["sessions"], strict=True):
        if item.get("activity") == activity_id:
            if seen == session_index:
                return line
            seen += 1
    return None
