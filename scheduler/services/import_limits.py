"""How much one import may hold: rows per list, and entries per list inside one row.

Why: a term is solved as one model that grows with every student, slot and session, and
every page and export walks its lists. A document far beyond any real school's would make
the import, the pages and above all the solver run out of memory or time, so it is refused
up front with a 422 that names the list and both numbers. Counting runs on the decoded
document before it is validated, so refusing an oversized import costs one pass over it.
Lists inside one row (a student's busy times, a site's tags, an attribute map) are bounded
too: a single row repeating one entry a million times is the JSON form of a zip bomb.
A CSV file's header may name at most `columns` columns (the known ones are about 20, plus
`attr:` columns) and no cell may be longer than `cell_chars`: either is refused as soon as
it is read, before any row is shaped, so an upload of 100,000 columns costs one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.domain.schedule import ErrorItem

MAX_REPORTED = 200
"""More problems than this are summed up in one line: the first ones tell what is wrong,
and a refusal of a huge document should not itself be a huge answer."""

OWN_LIMIT = ("students", "sites", "slots")
"""Top-level lists with a limit of their own; sessions (inside activities) have one too."""


@dataclass(frozen=True)
class ImportLimits:
    """The most rows of each kind, of any other list, and of any list inside one row;
    for CSV files also the most columns and the longest cell (in characters)."""

    students: int = 50_000
    sites: int = 5_000
    slots: int = 100_000
    sessions: int = 20_000
    items: int = 10_000
    nested: int = 1_000
    columns: int = 200
    cell_chars: int = 65_536

    def rows(self, name: str) -> int:
        """The row limit of a top-level list (or of `sessions`)."""
        return int(getattr(self, name)) if name in (*OWN_LIMIT, "sessions") else self.items


def count_problems(document: Any, limits: ImportLimits) -> list[ErrorItem]:
    """Every list of the document over its limit (none for anything but a JSON object)."""
    if not isinstance(document, dict):
        return []
    problems: list[ErrorItem] = []
    sessions = 0
    for name, value in document.items():
        if name == "policy" and isinstance(value, dict):
            _nested_lists(_without(value, "previous"), "policy", limits, problems)
            continue
        if not isinstance(value, list):
            continue
        _too_many(name, name, len(value), limits.rows(name), "rows", problems)
        for index, item in enumerate(value):
            path = f"{name}[{index}]"
            if name == "activities" and isinstance(item, dict):
                listed = item.get("sessions")
                sessions += len(listed) if isinstance(listed, list) else 0
                item = _without(item, "sessions")
            _nested_lists(item, path, limits, problems)
    _too_many("activities", "sessions", sessions, limits.sessions, "sessions in all", problems)
    return problems


def row_problem(path: str, limit: int, count: int | None = None) -> ErrorItem:
    """The problem of a list (or CSV file) with more rows than it may hold."""
    found = f"{count:,}" if count is not None else "more"
    return ErrorItem(path=path, message=f"at most {limit:,} rows per import, found {found}")


def _too_many(
    path: str, name: str, count: int, limit: int, what: str, problems: list[ErrorItem]
) -> None:
    if count > limit:
        if what == "rows":
            problems.append(row_problem(path, limit, count))
        else:
            message = f"at most {limit:,} {what} activities per import, found {count:,}"
            problems.append(ErrorItem(path=path, message=message))


def _nested_lists(item: Any, path: str, limits: ImportLimits, problems: list[ErrorItem]) -> None:
    """Lists and maps anywhere inside one row: at most `limits.nested` entries each.

    Iterative, so a deeply nested row cannot exhaust the call stack here."""
    pending: list[tuple[Any, str]] = [(item, path)]
    while pending:
        value, where = pending.pop()
        if isinstance(value, list):
            entries = [(v, f"{where}[{i}]") for i, v in enumerate(value)]
        elif isinstance(value, dict):
            entries = [(v, f"{where}.{k}") for k, v in value.items()]
        else:
            continue
        if len(entries) > limits.nested:
            problems.append(
                ErrorItem(
                    path=where,
                    message=f"at most {limits.nested:,} entries here, found {len(entries):,}",
                )
            )
            continue
        pending.extend(entries)


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def summed_up(problems: list[ErrorItem]) -> list[ErrorItem]:
    """At most `MAX_REPORTED` problems, and one more line saying how many were left out."""
    if len(problems) <= MAX_REPORTED:
        return problems
    rest = len(problems) - MAX_REPORTED
    more = ErrorItem(path="$", message=f"and {rest:,} more problems not listed")
    return [*problems[:MAX_REPORTED], more]
