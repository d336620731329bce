"""Credential import: a CSV or JSON file of students' credentials into a term, all or
nothing.

CSV (`credentials.csv`): header `student,code` and optionally `status,issued,expires`, one
credential a line. JSON (`credentials.json`): `{"credentials": [{student, code, status?,
issued?, expires?}]}` (or the bare list). Every student named gets exactly the credentials
the file lists for them; students not named keep theirs. Each problem comes back at once,
as `credentials.csv:LINE:COLUMN` (line 1 is the header) or
`credentials.json:LINE:COLUMN:PATH` (where the item starts, and the field), like the term
imports (`scheduler.services.csv_import`). Credentials live in the term's
scenario document only (no entity rows), so a scheduled term takes renewals too; the
compliance report then shows placements they no longer cover. Nothing here commits.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlmodel import Session

from scheduler.db import audit
from scheduler.db.tables import TermRow, UserRow
from scheduler.domain.credential_model import Credential
from scheduler.domain.loading import parse_json
from scheduler.domain.scenario import Scenario
from scheduler.domain.scenario_types import Identifier
from scheduler.domain.schedule import ErrorItem
from scheduler.services import import_limits, term_rows
from scheduler.services.errors import Invalid
from scheduler.services.import_limits import ImportLimits
from scheduler.services.terms import get_term
from scheduler.services.views import View

REQUIRED = ("student", "code")
OPTIONAL = ("status", "issued", "expires")
DEFAULT_LIMITS = ImportLimits()


class CredentialRow(BaseModel):
    """One line of the file: whose credential, and the credential."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    student: Identifier


class CredentialImportView(View):
    """What an import changed."""

    students: int
    credentials: int


Located = tuple[dict[str, Any], str]
"""A row's fields and where it came from (`credentials.csv:7` or `credentials.json:...`)."""


def import_credentials(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    filename: str,
    data: bytes,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> CredentialImportView:
    """Replace the credentials of every student the file names (all or nothing)."""
    term = get_term(session, actor=actor, term_id=term_id)
    rows, errors = read_file(filename, data, limits)
    scenario = term_rows.stored_scenario(term)
    held, row_errors = _credentials(rows, {s.id for s in scenario.students})
    errors += row_errors
    if errors:
        raise Invalid("the credentials file has problems", details=import_limits.summed_up(errors))
    _store(session, term, scenario, held)
    count = sum(len(v) for v in held.values())
    audit.record(
        session,
        actor=actor,
        action="term.import_credentials",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
        detail={"file": filename, "students": len(held), "credentials": count},
    )
    return CredentialImportView(students=len(held), credentials=count)


def read_file(
    filename: str, data: bytes, limits: ImportLimits
) -> tuple[list[Located], list[ErrorItem]]:
    """The file's rows with their places, by its extension."""
    name = filename.rsplit("/", 1)[-1] or "credentials"
    if name.endswith(".csv"):
        return _read_csv(name, data, limits)
    if name.endswith(".json"):
        return _read_json(name, data, limits)
    return [], [ErrorItem(path=name, message="expected a .csv or .json file")]


def _read_csv(
    source: str, data: bytes, limits: ImportLimits
) -> tuple[list[Located], list[ErrorItem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [
            ErrorItem(path=source, message=f"not UTF-8 text: {error.reason} at byte {error.start}")
        ]
    if "\x00" in text:
        return [], [ErrorItem(path=source, message="contains NUL characters: not UTF-8 text")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [cell.strip() for cell in next(reader, [])]
        errors = _header_problems(source, header)
        if errors:
            return [], errors
        rows: list[Located] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(rows) >= limits.items:
                return [], [import_limits.row_problem(source, limits.items)]
            if len(row) > len(header):
                message = f"{len(row)} cells but the header names {len(header)} columns"
                errors.append(ErrorItem(path=f"{source}:{line}", message=message))
                continue
            cells = {k: v.strip() for k, v in zip(header, row, strict=False) if v.strip()}
            rows.append((cells, f"{source}:{line}"))
    except csv.Error as error:
        return [], [
            ErrorItem(
                path=f"{source}:{reader.line_num}", message=f"not a readable CSV file: {error}"
            )
        ]
    return rows, errors


def _header_problems(source: str, header: list[str]) -> list[ErrorItem]:
    if not any(header):
        return [ErrorItem(path=source, message="empty file: no header line")]
    known = set(REQUIRED) | set(OPTIONAL)
    errors = [
        ErrorItem(path=f"{source}:1:{column}", message=f"unknown column {column!r}")
        for column in header
        if column not in known
    ]
    errors += [
        ErrorItem(path=f"{source}:1", message=f"required column {column!r} is missing")
        for column in REQUIRED
        if column not in header
    ]
    errors += [
        ErrorItem(path=f"{source}:1:{column}", message=f"column {column!r} appears twice")
        for column in sorted({c for c in header if header.count(c) > 1})
    ]
    return errors


def _read_json(
    source: str, data: bytes, limits: ImportLimits
) -> tuple[list[Located], list[ErrorItem]]:
    try:
        document, errors = parse_json(data)
    except (RecursionError, ValueError) as error:
        return [], [ErrorItem(path=source, message=f"not a usable JSON document: {error}")]
    if errors:
        return [], [e.model_copy(update={"path": f"{source}:{e.path}"}) for e in errors]
    items, prefix = document, "$"
    if isinstance(document, dict) and set(document) == {"credentials"}:
        items, prefix = document["credentials"], "credentials"
    if not isinstance(items, list):
        message = 'expected {"credentials": [...]} or a list of credentials'
        return [], [ErrorItem(path=f"{source}:$", message=message)]
    if len(items) > limits.items:
        return [], [import_limits.row_problem(f"{source}:{prefix}", limits.items, len(items))]
    rows: list[Located] = []
    places = item_places(data.decode("utf-8-sig"), prefix == "credentials")
    for index, item in enumerate(items):
        where = f"{source}:{prefix}[{index}]"
        if len(places) == len(items):
            line, column = places[index]
            where = f"{source}:{line}:{column}:{prefix}[{index}]"
        if not isinstance(item, dict):
            return [], [ErrorItem(path=where, message="expected an object")]
        rows.append((item, where))
    return rows, []


LIST_START = re.compile(r'^\s*\{\s*"credentials"\s*:\s*\[|^\s*\[')


def item_places(text: str, wrapped: bool) -> list[tuple[int, int]]:
    """(line, column) where each item of the credentials list starts, both from 1; empty
    when the list cannot be found where expected (the caller then names paths only)."""
    match = LIST_START.match(text)
    if match is None or match.group(0).lstrip().startswith("{") != wrapped:
        return []
    decoder = json.JSONDecoder()
    places: list[tuple[int, int]] = []
    at = match.end()
    while True:
        at = _skip(text, at)
        if at >= len(text) or text[at] == "]":
            return places
        line = text.count("\n", 0, at) + 1
        places.append((line, at - text.rfind("\n", 0, at)))
        try:
            _, at = decoder.raw_decode(text, at)
        except ValueError:
            return []


def _skip(text: str, at: int) -> int:
    """Past whitespace and one comma."""
    while at < len(text) and text[at] in " \t\r\n,":
        at += 1
    return at


def _credentials(
    rows: list[Located], known: set[str]
) -> tuple[dict[str, list[Credential]], list[ErrorItem]]:
    """Each named student's new credentials, and every problem with its place."""
    held: dict[str, list[Credential]] = {}
    errors: list[ErrorItem] = []
    for fields, where in rows:
        student = fields.get("student")
        credential = {k: v for k, v in fields.items() if k != "student"}
        problems = _row_problems(student, credential, known)
        for column, message in problems:
            errors.append(ErrorItem(path=_place(where, column), message=message))
        if not problems:
            held.setdefault(str(student), []).append(Credential.model_validate(credential))
    return held, errors


def _place(where: str, column: str) -> str:
    """`FILE.csv:LINE:COLUMN`, or `FILE.json:LINE:COLUMN:PATH.FIELD` (the item's start)."""
    if where.split(":", 1)[0].endswith(".csv"):
        return f"{where}:{column}"
    return f"{where}.{column}"


def _row_problems(
    student: Any, credential: dict[str, Any], known: set[str]
) -> list[tuple[str, str]]:
    """(column, message) of every problem of one row."""
    problems: list[tuple[str, str]] = []
    try:
        CredentialRow.model_validate({"student": student})
    except ValidationError as error:
        problems += [("student", e["msg"]) for e in error.errors()]
    else:
        if student not in known:
            problems.append(("student", f"unknown student {student!r} in this term"))
    try:
        Credential.model_validate(credential)
    except ValidationError as error:
        for item in error.errors():
            column = str(item["loc"][0]) if item["loc"] else "expires"
            problems.append((column, item["msg"]))
    return problems


def _store(
    session: Session, term: TermRow, scenario: Scenario, held: dict[str, list[Credential]]
) -> None:
    students = [
        s.model_copy(update={"credentials": held[s.id]}) if s.id in held else s
        for s in scenario.students
    ]
    changed = Scenario.model_validate(
        scenario.model_copy(update={"students": students}).model_dump()
    )
    term.scenario_json = term_rows.stored_text(changed)
    session.add(term)
