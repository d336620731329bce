"""Disclosures of student records to people outside the school, and who may read them.

A clinical partner is outside the school; it sees a placed student's data under the
"school official with a legitimate educational interest" exception (FERPA, 34 CFR
99.31(a)(1)): it supervises the student's placement. The school must keep with each
student's record who outside saw it, what, when and on which basis (34 CFR 99.32), and
show it to the student. So every partner read of placed students (slot list and slot
pages, the API with a sign-in or a site token, the CSV download, the calendar feed and
change messages) calls `record` in the same transaction as the read; the calendar feed,
read far more often, hands its rows to `disclosure_writer`, which commits them (with other
reads') before the feed is answered.

One row per student, recipient, channel, resource, fields and basis per UTC day: a view
repeated that day adds to `views` and moves `last_at`, so a calendar app polling every
hour leaves one row a day, not twenty-four, and nothing is lost (first, last, count).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from scheduler.db import repositories
from scheduler.db.tables import (
    DisclosureRow,
    PeriodRow,
    SiteRow,
    StudentRow,
    TermRow,
    TokenRow,
    UserRow,
)
from scheduler.db.types import utcnow
from scheduler.domain.privacy import site_needs
from scheduler.services import auth
from scheduler.services.errors import found
from scheduler.services.terms import get_term
from scheduler.services.views import View

BASIS_PLACEMENT = "school_official.clinical_placement"
"""The basis of every partner disclosure: the site supervises the student's placement."""

RESOURCES = {
    "partner.slots": "list of the site's slots and placed students",
    "partner.slot": "one slot and its placed students",
    "partner.page": "the site's slot page",
    "partner.slots_csv": "CSV download of the site's slots and placed students",
    "partner.feed": "the site's calendar feed",
    "partner.message": "message about a schedule change",
    "partner.compliance": "whether placed students meet the site's credentials",
    "partner.compliance_page": "the site's compliance page",
}
"""What a partner looked at, in words (the row keeps the code)."""


@dataclass(frozen=True)
class Channel:
    """How the partner reached the data: signed in, with a site API token, or its feed."""

    kind: str
    token_id: int | None = None
    token_name: str = ""


SIGNED_IN = Channel("partner_user")
CALENDAR_FEED = Channel("partner_feed")


def channel_of(token: TokenRow) -> Channel:
    """A site API token is a recipient of its own; a sign-in is the partner user."""
    if token.kind == auth.PARTNER_API:
        return Channel("partner_token", token.id, token.name)
    return SIGNED_IN


@dataclass(frozen=True)
class Shown:
    """One student shown to a partner with one slot, and the facts that make the basis."""

    student_ref: str
    term: TermRow
    site_ref: str
    site_name: str
    slot_ref: str
    start: date | None
    end: date | None
    version: int | None
    fields: tuple[str, ...]
    purpose: str = "Clinical placement"


def placed(
    student: StudentRow,
    *,
    term: TermRow,
    site: SiteRow,
    slot_ref: str,
    period: PeriodRow,
    version: int | None,
    fields: tuple[str, ...],
) -> Shown:
    """A student placed in one of the partner's slots, as shown with that slot."""
    return Shown(
        student_ref=student.ref,
        term=term,
        site_ref=site.ref,
        site_name=site.name,
        slot_ref=slot_ref,
        start=period.start,
        end=period.end,
        version=version,
        fields=fields,
    )


def placement_fields(student: StudentRow, *, with_needs: bool = True) -> tuple[str, ...]:
    """What a partner's view of a placed student holds (needs only when there are some)."""
    needs = ("needs",) if with_needs and site_needs(student.site_needs) else ()
    return ("name", "profession", "placement_dates", *needs)


def record(
    session: Session,
    *,
    recipient: UserRow,
    channel: Channel,
    resource: str,
    shown: Iterable[Shown],
    export: bool = False,
) -> None:
    """Write (or add a view to) one disclosure row per student shown to `recipient`."""
    now = utcnow()
    rows: dict[str, DisclosureRow] = {}
    for item in shown:
        row = _row(recipient, channel, resource, item, export, now)
        rows.setdefault(row.key, row)
    if not rows:
        return
    existing = repositories.disclosures_by_key(session, rows)
    if existing:
        statement = (
            update(DisclosureRow)
            .where(col(DisclosureRow.id).in_([row.id for row in existing.values()]))
            .values(views=DisclosureRow.views + 1, last_at=now)
            .execution_options(synchronize_session=False)
        )
        session.exec(statement)  # type: ignore[call-overload]
    session.add_all(row for key, row in rows.items() if key not in existing)
    session.flush()


def rows_for(
    recipient: UserRow,
    channel: Channel,
    resource: str,
    shown: Iterable[Shown],
    export: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """The column values of the rows one read writes, each with its day's dedup key.

    Plain dicts, not `DisclosureRow`s: a partner feed read shows tens of students, and
    building a table object costs more than the rest of the read.
    """
    return [row_values(recipient, channel, resource, item, export, now) for item in shown]


def _row(
    actor: UserRow, channel: Channel, resource: str, item: Shown, export: bool, now: datetime
) -> DisclosureRow:
    return DisclosureRow(**row_values(actor, channel, resource, item, export, now))


def row_values(
    actor: UserRow, channel: Channel, resource: str, item: Shown, export: bool, now: datetime
) -> dict[str, Any]:
    """The columns of one disclosure row, with its dedup key."""
    dates = f", {item.start:%d %b %Y} – {item.end:%d %b %Y}" if item.start and item.end else ""
    basis = (
        f"{item.purpose} at {item.site_name} (slot {item.slot_ref}{dates}), "
        f"{_version(item.version)} of {item.term.name}"
    )
    values: dict[str, Any] = {
        "school_id": item.term.school_id,
        "student_ref": item.student_ref,
        "term_id": item.term.id,
        "term_name": item.term.name,
        "recipient_kind": channel.kind,
        "recipient_user_id": actor.id,
        "recipient": f"{actor.name} <{actor.email}>",
        "token_id": channel.token_id,
        "token_name": channel.token_name,
        "site_ref": item.site_ref,
        "site_name": item.site_name,
        "resource": resource,
        "export": export,
        "fields": list(item.fields),
        "basis_code": BASIS_PLACEMENT,
        "basis": basis,
        "version_number": item.version,
        "first_at": now,
        "last_at": now,
        "views": 1,
    }
    values["key"] = _key(values, now.date())
    return values


def _version(number: int | None) -> str:
    return f"schedule version {number}" if number is not None else "the published schedule"


def _key(row: dict[str, Any], day: date) -> str:
    """The dedup key: everything that makes two views the same disclosure, and the day."""
    parts = [row["school_id"], row["student_ref"], row["term_id"], row["recipient_kind"]]
    parts += [row["recipient_user_id"], row["token_id"], row["site_ref"], row["resource"]]
    parts += [row["export"], row["fields"], row["basis_code"], row["basis"], day.isoformat()]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


# ---- who reads them --------------------------------------------------------------------


class DisclosureView(View):
    """One disclosure of a student's record to someone outside the school."""

    student: str
    term: str
    recipient: str
    recipient_kind: str
    token: str | None
    site: str
    resource: str
    resource_text: str
    fields: list[str]
    export: bool
    basis_code: str
    basis: str
    first_at: datetime
    last_at: datetime
    views: int


def my_disclosures(session: Session, *, actor: UserRow) -> list[DisclosureView]:
    """Who outside the school has seen the acting student's record, newest first."""
    return [disclosure_view(row) for row in repositories.own_disclosures(session, actor)]


class DisclosureLog(View):
    """One student's disclosure record with who the student is, for the coordinator's page."""

    student: str
    name: str
    profession: str
    disclosures: list[DisclosureView]


def student_disclosures(
    session: Session, *, actor: UserRow, term_id: int, student_ref: str
) -> list[DisclosureView]:
    """The disclosure record of one student of a managed term (reading it is audited)."""
    log = student_disclosure_log(session, actor=actor, term_id=term_id, student_ref=student_ref)
    return log.disclosures


def student_disclosure_log(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    student_ref: str,
    via: str = "coordinator.disclosures",
) -> DisclosureLog:
    """The student of a managed term and their disclosure record, in every term of the
    school; one audited read of the student record (`via` names the API or the page)."""
    term = get_term(session, actor=actor, term_id=term_id)
    student = found(
        repositories.term_student(session, actor, term, student_ref, via=via), "student"
    )
    rows = repositories.student_disclosures(session, actor, term, student_ref)
    return DisclosureLog(
        student=student.ref,
        name=student.name,
        profession=student.profession,
        disclosures=[disclosure_view(row) for row in rows],
    )


def disclosure_view(row: DisclosureRow) -> DisclosureView:
    return DisclosureView(
        student=row.student_ref,
        term=row.term_name,
        recipient=row.recipient,
        recipient_kind=row.recipient_kind,
        token=row.token_name or None,
        site=row.site_name,
        resource=row.resource,
        resource_text=RESOURCES.get(row.resource, row.resource),
        fields=list(row.fields),
        export=row.export,
        basis_code=row.basis_code,
        basis=row.basis,
        first_at=row.first_at,
        last_at=row.last_at,
        views=row.views,
    )
