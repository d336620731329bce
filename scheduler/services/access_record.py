"""The access record: a coordinator reads the audit trail of their school.

Every change and every read of a student record by someone else is an audit row
(`scheduler.db.audit`); this is where they are read back, filtered by person (an actor's
email, or the student whose record it was), term, action and date, on a page or as CSV
(through `csv_text`, so no cell runs as a spreadsheet formula). The scope is one query in
`repositories.school_audit`: a school's terms and its users' own actions, nothing of
another school. Reading the record is itself recorded (`audit.read`), with the filter.
The student-facing disclosure log (`scheduler.services.disclosures`) is separate and
unchanged.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from scheduler.db import audit, repositories
from scheduler.db.paging import Page
from scheduler.db.repositories import AuditFilter
from scheduler.db.tables import UserRow
from scheduler.domain.csv_text import csv_text
from scheduler.domain.schedule import ErrorItem
from scheduler.services.errors import Invalid
from scheduler.services.views import View

MAX_ROWS = 5_000
"""Rows one page or one CSV shows at most (newest first); narrow the filter for more."""
CSV_HEADER = ("at", "actor", "action", "entity", "entity_id", "term_id", "detail")


class AuditLine(View):
    """One audit row as the coordinator reads it."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    term_id: int | None
    detail: dict[str, Any]


class AccessRecord(View):
    """The rows a filter found (at most `MAX_ROWS`), and whether there were more."""

    lines: list[AuditLine]
    truncated: bool
    actions: list[str]


def audit_filter(
    *,
    person: str = "",
    term_id: int | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> AuditFilter:
    """A filter from the form's fields: `since` and `until` are whole days (UTC), both
    included; `until` before `since` is refused naming the field."""
    if since is not None and until is not None and until < since:
        raise Invalid(
            "the end date is before the start date",
            code="bad_dates",
            details=[ErrorItem(path="query.until", message="must not be before `since`")],
        )
    return AuditFilter(
        person=person.strip()[:200],
        term_id=term_id,
        action=action.strip()[:100],
        since=datetime.combine(since, time()) if since else None,
        before=datetime.combine(until + timedelta(days=1), time()) if until else None,
    )


def access_record(
    session: Session, *, actor: UserRow, wanted: AuditFilter, via: str
) -> AccessRecord:
    """The school's audit rows the filter selects, newest first; an audited read."""
    rows = repositories.school_audit(session, actor, wanted, page=Page(limit=MAX_ROWS + 1))
    _record_read(session, actor, wanted, via)
    return AccessRecord(
        lines=[_line(row) for row in rows[:MAX_ROWS]],
        truncated=len(rows) > MAX_ROWS,
        actions=repositories.school_audit_actions(session, actor),
    )


def access_record_csv(session: Session, *, actor: UserRow, wanted: AuditFilter) -> str:
    """The same rows as CSV, every cell made safe to open in a spreadsheet."""
    record = access_record(session, actor=actor, wanted=wanted, via="csv")
    rows = [
        (
            line.at.isoformat(timespec="seconds"),
            line.actor,
            line.action,
            line.entity,
            line.entity_id,
            line.term_id if line.term_id is not None else "",
            json.dumps(line.detail, sort_keys=True, ensure_ascii=False),
        )
        for line in record.lines
    ]
    return csv_text(CSV_HEADER, rows)


def _line(row: Any) -> AuditLine:
    return AuditLine(
        id=row.id or 0,
        at=row.at,
        actor=row.actor_email,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        term_id=row.term_id,
        detail=row.detail or {},
    )


def _record_read(session: Session, actor: UserRow, wanted: AuditFilter, via: str) -> None:
    audit.record(
        session,
        actor=actor,
        action="audit.read",
        entity="audit_log",
        term_id=wanted.term_id,
        detail={
            "via": via,
            "person": wanted.person,
            "action": wanted.action,
            "since": wanted.since.isoformat() if wanted.since else None,
            "before": wanted.before.isoformat() if wanted.before else None,
        },
    )
