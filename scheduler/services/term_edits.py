"""Editing a term item by item: add, change or remove a student, site, slot, session, room,
facilitator or weekly capacity.

Every edit rebuilds the whole scenario with the one item changed and checks it exactly as
an import is checked (`scheduler.domain.loading`), so an edit can never leave a term that
would not import; any problem comes back as `Invalid` with paths naming the item's fields
(`email`, `location.lat`, `capacity`), and nothing is written. The rows are then brought in
line in place (`entity_sync`), so versions and runs keep pointing at the same rows; removing
what a stored schedule uses is refused. Each edit is audited; one made while a version is
published is also recorded (`TermEditRow`) for the repair page to offer.

Form input arrives as text cells, shaped like the CSV columns of the same list
(`csv_import.SPECS`), so a form and a CSV file mean the same thing. Weekly capacities have
no id: their ref is their position in the list (1, 2, ...).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.tables import TermRow, UserRow
from scheduler.db.term_setup_tables import TermEditRow
from scheduler.domain.loading import Loaded, load_scenario_data
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem
from scheduler.services import csv_import, entity_sync, import_limits, term_rows
from scheduler.services.errors import Conflict, Invalid, NotFound
from scheduler.services.terms import get_term
from scheduler.services.views import View

Kind = Literal[
    "students", "sites", "slots", "sessions", "rooms", "facilitators", "weekly_capacities"
]
KINDS: tuple[Kind, ...] = (
    "students",
    "sites",
    "slots",
    "sessions",
    "rooms",
    "facilitators",
    "weekly_capacities",
)
POSITIONAL: tuple[Kind, ...] = ("weekly_capacities",)
"""Kinds whose items have no id: the ref is the 1-based position."""
Item = dict[str, Any]


def _room(cells: dict[str, str], problem: Callable[[str, str], None]) -> Item:
    item: Item = {}
    for key in ("id", "name", "accessible"):
        csv_import._put(item, key, cells.get(key, ""))
    return item


def _facilitator(cells: dict[str, str], problem: Callable[[str, str], None]) -> Item:
    item: Item = {}
    for key in ("id", "name", "profession", "max_sessions"):
        csv_import._put(item, key, cells.get(key, ""))
    for key in ("unavailable",):
        csv_import._put(item, key, csv_import._intervals(cells.get(key, ""), problem, key))
    weekly = csv_import._weekly(cells.get("weekly_unavailable", ""), problem, "weekly_unavailable")
    csv_import._put(item, "weekly_unavailable", weekly)
    return item


def _weekly_capacity(cells: dict[str, str], problem: Callable[[str, str], None]) -> Item:
    item: Item = {}
    for key in ("site", "unit", "profession", "cohort", "first_week", "last_week", "capacity"):
        csv_import._put(item, key, cells.get(key, ""))
    csv_import._put(item, "weeks", csv_import._split(cells.get("weeks", "")))
    return item


JSON_FIELDS: tuple[str, ...] = ("plan", "history", "scores")
"""Form fields written as JSON text (a student's plan, history and scores: nested data no
CSV cell holds): shown as a text area; a problem inside one is reported on the field,
naming where inside (`required[0]: ...`, `history[0].end: ...`); empty removes it."""


def _student(cells: dict[str, str], problem: Callable[[str, str], None]) -> Item:
    item = csv_import.SPECS["students"].shape(cells, problem)
    for name in JSON_FIELDS:
        text = cells.get(name, "")
        if not text:
            continue
        try:
            item[name] = json.loads(text)
        except json.JSONDecodeError as error:
            problem(name, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}")
    return item


@dataclass(frozen=True)
class Form:
    """The fields of one kind's form (its CSV columns) and how cells become an item."""

    fields: tuple[str, ...]
    required: tuple[str, ...]
    shape: Callable[[dict[str, str], Callable[[str, str], None]], Item]


def _csv_form(name: str) -> Form:
    spec = csv_import.SPECS[name]
    return Form(spec.required + spec.optional, spec.required, spec.shape)


_STUDENT_CSV = _csv_form("students")

FORMS: dict[Kind, Form] = {
    "students": Form(_STUDENT_CSV.fields + JSON_FIELDS, _STUDENT_CSV.required, _student),
    "sites": _csv_form("sites"),
    "slots": _csv_form("slots"),
    "sessions": _csv_form("sessions"),
    "rooms": Form(("id", "name", "accessible"), ("id", "name"), _room),
    "facilitators": Form(
        ("id", "name", "profession", "max_sessions", "unavailable", "weekly_unavailable"),
        ("id", "name", "profession"),
        _facilitator,
    ),
    "weekly_capacities": Form(
        ("site", "unit", "capacity", "first_week", "last_week", "weeks", "profession", "cohort"),
        ("site", "capacity"),
        _weekly_capacity,
    ),
}


FORMLESS_FIELDS: dict[str, tuple[str, ...]] = {"students": ("credentials",)}
"""Fields that no form edits (a student's credentials come with `credential_import`):
editing the item through its form keeps them as they were. Every other field has a form
field, where an empty one removes it."""


@dataclass(frozen=True)
class Edited:
    term: TermRow
    scenario: Scenario
    item: Item | None
    recorded: bool
    """Whether the edit was made while a version was published (and so recorded)."""


# ---- the use cases ---------------------------------------------------------------------


def item_from_form(kind: Kind, cells: Mapping[str, str]) -> Item:
    """A form's cells as a scenario item; cells that cannot be shaped are `Invalid`."""
    problems: list[ErrorItem] = []

    def problem(column: str, message: str) -> None:
        problems.append(ErrorItem(path=column, message=message))

    form = FORMS[kind]
    item = form.shape({k: cells.get(k, "").strip() for k in form.fields}, problem)
    if problems:
        raise Invalid(f"the {_one(kind)} has problems", details=problems)
    return item


def form_cells(kind: Kind, item: Item) -> dict[str, str]:
    """An item as the text of its form's fields (the inverse of `item_from_form`)."""
    cells: dict[str, str] = {"id": str(item["id"])} if kind in POSITIONAL else {}
    for name in FORMS[kind].fields:
        value = item.get(name)
        if name == "units":
            cells[name] = csv_import.unit_cell(value or [])
            continue
        if name in JSON_FIELDS:
            cells[name] = json.dumps(value) if value else ""
            continue
        if name in ("home_lat", "home_lon") and item.get("home"):
            value = item["home"][name.removeprefix("home_")]
        elif name in ("lat", "lon") and item.get("location"):
            value = item["location"][name]
        if value is None:
            cells[name] = ""
        elif isinstance(value, bool):
            cells[name] = "true" if value else "false"
        elif isinstance(value, list):
            cells[name] = ";".join(_cell_part(v) for v in value)
        else:
            cells[name] = str(value)
    return cells


def _cell_part(value: Any) -> str:
    if isinstance(value, dict) and "day" in value:
        return f"{value['day']} {value['start']}-{value['end']}"
    if isinstance(value, dict):
        return f"{value['start']}/{value['end']}"
    return str(value)


def list_items(session: Session, *, actor: UserRow, term_id: int, kind: Kind) -> list[Item]:
    """The term's items of one kind as scenario JSON (sessions carry their `activity`)."""
    term = get_term(session, actor=actor, term_id=term_id)
    document = _document(session, term)
    if kind == "students":
        repositories.term_students(session, actor, term, via="coordinator.edit")
    return _items(document, kind)


def add_item(session: Session, *, actor: UserRow, term_id: int, kind: Kind, item: Item) -> Edited:
    """Add one item; its id must be new in the term."""
    term = get_term(session, actor=actor, term_id=term_id)
    document = _document(session, term)
    ref = str(item.get("id", ""))
    if kind in POSITIONAL:
        ref = str(len(_items(document, kind)) + 1)
    elif any(i.get("id") == ref for i in _items(document, kind)):
        raise Conflict(
            f"{_one(kind)} {ref!r} already exists",
            code="item_exists",
            details=[ErrorItem(path="id", message="is already used in this term")],
        )
    index = _put_item(document, kind, dict(item), None)
    return _save(session, actor, term, document, kind, ref, "add", index, None)


def replace_item(
    session: Session, *, actor: UserRow, term_id: int, kind: Kind, ref: str, item: Item
) -> Edited:
    """Change one item (its id stays: rename by adding a new one and removing the old)."""
    term = get_term(session, actor=actor, term_id=term_id)
    document = _document(session, term)
    before = _find(document, kind, ref)
    if str(item.get("id", ref)) != ref:
        raise Invalid(
            "an item's id cannot change",
            details=[ErrorItem(path="id", message=f"must stay {ref!r}")],
        )
    item = dict(item, id=ref)
    index = _put_item(document, kind, item, ref)
    return _save(session, actor, term, document, kind, ref, "edit", index, before)


def remove_item(session: Session, *, actor: UserRow, term_id: int, kind: Kind, ref: str) -> Edited:
    """Remove one item; refused while a stored schedule version uses it."""
    term = get_term(session, actor=actor, term_id=term_id)
    document = _document(session, term)
    before = _find(document, kind, ref)
    used = entity_sync.used_refs(session, term.id or 0).get(kind, {})
    if ref in used:
        raise Conflict(
            f"{_one(kind)} {ref!r} is used by schedule version {used[ref]}, so it cannot be"
            " removed; change it instead (a slot's status, a student's availability)",
            code="item_in_use",
        )
    _drop_item(document, kind, ref)
    return _save(session, actor, term, document, kind, ref, "remove", None, before)


class TermEditView(View):
    """An edit made while a version was published (for the repair page)."""

    id: int
    version_number: int
    entity: str
    ref: str
    action: str
    at: datetime
    actor_id: int | None


def recorded_edits(session: Session, *, actor: UserRow, term_id: int) -> list[TermEditView]:
    """Edits made while a version was published, newest first."""
    term = get_term(session, actor=actor, term_id=term_id)
    rows = session.exec(
        select(TermEditRow)
        .where(col(TermEditRow.term_id) == term.id)
        .order_by(col(TermEditRow.id).desc())
    ).all()
    return [TermEditView.model_validate(row, from_attributes=True) for row in rows]


# ---- the document ----------------------------------------------------------------------


def _document(session: Session, term: TermRow) -> dict[str, Any]:
    """The term as it stands (current slot statuses, attributes, opt-outs) as JSON data."""
    scenario = term_rows.current_scenario(session, term)
    return scenario.model_dump(mode="json", exclude_none=True)


def _items(document: dict[str, Any], kind: Kind) -> list[Item]:
    if kind == "sessions":
        return [
            dict(s, activity=a["id"])
            for a in document.get("activities", [])
            for s in a.get("sessions", [])
        ]
    if kind in POSITIONAL:
        return [dict(i, id=str(n)) for n, i in enumerate(document.get(kind, []), start=1)]
    return [dict(i) for i in document.get(kind, [])]


def _find(document: dict[str, Any], kind: Kind, ref: str) -> Item:
    for item in _items(document, kind):
        if item.get("id") == ref:
            return item
    raise NotFound(f"{_one(kind)} not found")


def _put_item(document: dict[str, Any], kind: Kind, item: Item, ref: str | None) -> str:
    """Put `item` in place of `ref` (or at the end); the path prefix of where it went."""
    if kind in POSITIONAL:
        items = document.setdefault(kind, [])
        item.pop("id", None)
        if ref is None:
            items.append(item)
            return f"{kind}[{len(items) - 1}]"
        items[int(ref) - 1] = item
        return f"{kind}[{int(ref) - 1}]"
    if kind != "sessions":
        items = document.setdefault(kind, [])
        index = next((i for i, x in enumerate(items) if x.get("id") == ref), None)
        if index is None:
            items.append(item)
            index = len(items) - 1
        else:
            for name in FORMLESS_FIELDS.get(kind, ()):  # no form field: an edit keeps them
                if name in items[index] and name not in item:
                    item[name] = items[index][name]
            items[index] = item
        return f"{kind}[{index}]"
    activity = str(item.pop("activity", "") or "")
    if ref is not None:
        old = _find(document, kind, ref)
        activity = activity or old["activity"]
        _drop_item(document, kind, ref)
    activities = document.get("activities", [])
    found = next((i for i, a in enumerate(activities) if a.get("id") == activity), None)
    if found is None:
        known = ", ".join(a.get("id", "") for a in activities) or "none"
        raise Invalid(
            "the session has problems",
            details=[ErrorItem(path="activity", message=f"must be an activity id ({known})")],
        )
    sessions = activities[found].setdefault("sessions", [])
    sessions.append(item)
    return f"activities[{found}].sessions[{len(sessions) - 1}]"


def _drop_item(document: dict[str, Any], kind: Kind, ref: str) -> None:
    if kind in POSITIONAL:
        del document[kind][int(ref) - 1]
        return
    if kind == "sessions":
        for activity in document.get("activities", []):
            activity["sessions"] = [s for s in activity.get("sessions", []) if s.get("id") != ref]
        return
    document[kind] = [i for i in document.get(kind, []) if i.get("id") != ref]


def _save(
    session: Session,
    actor: UserRow,
    term: TermRow,
    document: dict[str, Any],
    kind: Kind,
    ref: str,
    action: str,
    index: str | None,
    before: Item | None,
) -> Edited:
    scenario = write_document(session, term=term, document=document, what=_one(kind), index=index)
    after = None if action == "remove" else _find(document, kind, ref)
    recorded = record_edit(
        session,
        actor=actor,
        term=term,
        entity=_one(kind),
        ref=ref,
        action=action,
        before=before,
        after=after,
        detail={"kind": kind, "ref": ref},
    )
    return Edited(term=term, scenario=scenario, item=after, recorded=recorded)


def record_edit(
    session: Session,
    *,
    actor: UserRow,
    term: TermRow,
    entity: str,
    ref: str,
    action: str,
    before: Item | None,
    after: Item | None,
    detail: dict[str, Any],
) -> bool:
    """Audit an edit written with `write_document` and, while a version is published,
    record it for the repair page; True when it was recorded."""
    term_id = term.id or 0
    audit.record(
        session,
        actor=actor,
        action=f"term.{action}",
        entity=entity,
        entity_id=ref,
        term_id=term_id,
        detail=detail,
    )
    published = repositories.published_version(session, term_id)
    if published is not None:
        session.add(
            TermEditRow(
                term_id=term_id,
                version_number=published.number,
                entity=entity,
                ref=ref,
                action=action,
                actor_id=actor.id,
                detail={"before": _safe(before), "after": _safe(after)},
            )
        )
    session.flush()
    return published is not None


def find_item(document: dict[str, Any], kind: Kind, ref: str) -> Item | None:
    """One item of a scenario document (sessions with their `activity`), or None."""
    return next((i for i in _items(document, kind) if i.get("id") == ref), None)


def write_document(
    session: Session,
    *,
    term: TermRow,
    document: dict[str, Any],
    what: str = "term",
    index: str | None = None,
) -> Scenario:
    """Check an edited scenario document like an import and, if it passes, make it the
    term's (document and rows, in place); else `Invalid` and nothing written."""
    problems = _nul_problems(document, "") + import_limits.count_problems(
        document, import_limits.ImportLimits()
    )
    loaded = Loaded(None, problems) if problems else load_scenario_data(copy.deepcopy(document))
    if loaded.scenario is None or loaded.errors:
        details = [_field_error(e, index) for e in loaded.errors]
        raise Invalid(f"the {what} has problems", details=details)
    scenario = loaded.scenario
    if scenario.term.id != term.code:
        raise Invalid("the term's id cannot change")
    term.scenario_json = term_rows.stored_text(scenario)
    session.add(term)
    entity_sync.sync_entities(session, term.id or 0, scenario)
    return scenario


def current_document(session: Session, term: TermRow) -> dict[str, Any]:
    """The term as it stands, as JSON data to edit (see `write_document`)."""
    return _document(session, term)


def _nul_problems(value: Any, path: str) -> list[ErrorItem]:
    """Text with a NUL character, which no database text column can hold, by path."""
    if isinstance(value, str):
        return (
            [ErrorItem(path=path or "$", message="may not contain a NUL character")]
            if "\x00" in value
            else []
        )
    if isinstance(value, dict):
        return [
            p for k, v in value.items() for p in _nul_problems(v, f"{path}.{k}" if path else str(k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_problems(v, f"{path}[{i}]")]
    return []


def _safe(item: Item | None) -> Item | None:
    """What the edit record keeps: never a student's demographic attributes."""
    if item is None:
        return None
    return {k: v for k, v in item.items() if k != "attributes"}


def _field_error(error: ErrorItem, index: str | None) -> ErrorItem:
    """A path inside the edited item as the item's own field (`students[3].email` ->
    `email`, `location.lat` -> `lat`); other paths stay as they are."""
    if index is None or not (error.path == index or error.path.startswith(index + ".")):
        return error
    rest = error.path.removeprefix(index).lstrip(".") or "id"
    for field_path, column in csv_import.COLUMN_OF_FIELD.items():
        if rest == field_path or rest.startswith(field_path + "."):
            rest = column
    for name in JSON_FIELDS:
        if rest.startswith(name + "."):  # an object: where inside it (`required[0]`)
            inner = rest.removeprefix(name + ".")
            return ErrorItem(path=name, message=f"{inner}: {error.message}")
        if rest.startswith(name + "["):  # a list: its entry (`history[0].end`)
            return ErrorItem(path=name, message=f"{rest}: {error.message}")
    rest = re.sub(r"\[\d+\].*$", "", rest)
    return error.model_copy(update={"path": rest})


def _one(kind: Kind) -> str:
    names = {"facilitators": "facilitator", "weekly_capacities": "weekly capacity"}
    return names.get(kind, kind.removesuffix("s"))
