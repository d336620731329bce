"""Seat requests: a coordinator asks a site for seats (profession, period, how many); the
site's partner answers with an offer (seats, language, notes) or a refusal. An offer
becomes an `offered` slot of the term (checked like any edit, `term_edits.write_document`),
which the partner confirms or declines after the match as before. The coordinator sees
requested against offered per site, profession and period, and the gap to demand (the
placements the term's students need, by profession).

Partners see only the requests to their own site in their own school; the request is sent
to them through the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.tables import OutboxMessageRow, TermRow, UserRow
from scheduler.db.term_setup_tables import SlotRequestRow
from scheduler.db.types import utcnow
from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import MAX_COUNT, Scenario
from scheduler.domain.schedule import ErrorItem
from scheduler.services import term_edits, term_rows
from scheduler.services.errors import Conflict, Forbidden, Invalid, NotFound
from scheduler.services.terms import get_term
from scheduler.services.views import View


class SlotRequestView(View):
    id: int
    term_id: int
    term: str
    site: str
    site_name: str
    profession: str
    period: str
    period_start: date | None
    period_end: date | None
    seats: int
    state: str
    offered_seats: int | None
    language: str | None
    notes: str
    slot: str | None
    created_at: datetime
    answered_at: datetime | None


class SupplyLine(View):
    """Seats asked for and offered at one site, for one profession and period."""

    site: str
    profession: str
    period: str
    requested: int
    offered: int


class DemandLine(View):
    """Placements the students of a profession need against the seats on offer."""

    profession: str
    needed: int
    offered: int
    gap: int


class SupplyView(View):
    lines: list[SupplyLine]
    demand: list[DemandLine]


# ---- coordinators ----------------------------------------------------------------------


def request_seats(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    site: str,
    profession: str,
    period: str,
    seats: int,
) -> SlotRequestView:
    """Ask a site for seats and tell its partner contacts (through the outbox)."""
    term = get_term(session, actor=actor, term_id=term_id)
    scenario = term_rows.stored_scenario(term)
    problems = []
    if site not in {s.id for s in scenario.sites}:
        problems.append(ErrorItem(path="site", message=f"{site!r} is not a site of this term"))
    known = {p.code for p in scenario.professions} | {s.profession for s in scenario.students}
    if profession not in known:
        problems.append(
            ErrorItem(path="profession", message=f"{profession!r} is not a profession of this term")
        )
    if period not in {p.id for p in scenario.periods}:
        problems.append(
            ErrorItem(path="period", message=f"{period!r} is not a period of this term")
        )
    if not 1 <= seats <= MAX_COUNT:
        problems.append(ErrorItem(path="seats", message=f"must be 1 to {MAX_COUNT}"))
    if problems:
        raise Invalid("the request has problems", details=problems)
    row = SlotRequestRow(
        term_id=term.id or 0,
        site_ref=site,
        profession=profession,
        period_ref=period,
        seats=seats,
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    view = _view(row, term, scenario)
    for partner in repositories.site_partners(session, term.school_id, [site]):
        session.add(
            OutboxMessageRow(
                key=f"slot-request:{row.id}:{partner.id}",
                recipient_kind="slot_request",
                recipient_ref=site,
                user_id=partner.id,
                email=partner.email,
                subject=f"Request for {seats} placement seat(s): {term.name}",
                body="\n".join(
                    [
                        "Hello,",
                        "",
                        f"{actor.name} asks {view.site_name} for {seats} seat(s) for"
                        f" {profession} students, {_dates(view)}.",
                        "Sign in and open Seat requests to offer seats or decline.",
                    ]
                ),
            )
        )
    audit.record(
        session,
        actor=actor,
        action="slot_request.create",
        entity="slot_request",
        entity_id=row.id,
        term_id=term.id,
        detail={"site": site, "profession": profession, "period": period, "seats": seats},
    )
    session.flush()
    return view


def term_requests(session: Session, *, actor: UserRow, term_id: int) -> list[SlotRequestView]:
    term = get_term(session, actor=actor, term_id=term_id)
    scenario = term_rows.stored_scenario(term)
    rows = session.exec(
        select(SlotRequestRow)
        .where(col(SlotRequestRow.term_id) == term.id)
        .order_by(col(SlotRequestRow.id))
    ).all()
    return [_view(row, term, scenario) for row in rows]


def supply(session: Session, *, actor: UserRow, term_id: int) -> SupplyView:
    """Requested against offered per site, profession and period; demand and gap."""
    term = get_term(session, actor=actor, term_id=term_id)
    scenario = term_rows.current_scenario(session, term)
    requested: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in session.exec(
        select(SlotRequestRow).where(col(SlotRequestRow.term_id) == term.id)
    ).all():
        requested[(row.site_ref, row.profession, row.period_ref)] += row.seats
    offered: dict[tuple[str, str, str], int] = defaultdict(int)
    for slot in scenario.slots:
        if slot.status != "declined":
            offered[(slot.site, slot.profession, slot.period)] += slot.capacity
    lines = [
        SupplyLine(
            site=k[0], profession=k[1], period=k[2], requested=requested[k], offered=offered[k]
        )
        for k in sorted(set(requested) | set(offered))
    ]
    return SupplyView(lines=lines, demand=_demand(scenario, offered))


def _demand(scenario: Scenario, offered: dict[tuple[str, str, str], int]) -> list[DemandLine]:
    needed: dict[str, int] = defaultdict(int)
    for student in scenario.students:
        requirement = requirement_for(student, scenario.placement_requirements)
        if requirement is not None:
            needed[student.profession] += requirement.count
    seats: dict[str, int] = defaultdict(int)
    for (_, profession, _), count in offered.items():
        seats[profession] += count
    return [
        DemandLine(
            profession=p,
            needed=needed[p],
            offered=seats[p],
            gap=max(0, needed[p] - seats[p]),
        )
        for p in sorted(set(needed) | set(seats))
    ]


# ---- partners --------------------------------------------------------------------------


def my_requests(session: Session, *, actor: UserRow) -> list[SlotRequestView]:
    """Requests to the partner's own site in their school, newest first."""
    _require_partner(actor)
    query = (
        select(SlotRequestRow, TermRow)
        .join(TermRow, col(SlotRequestRow.term_id) == TermRow.id)
        .where(
            col(TermRow.school_id) == actor.school_id,
            col(SlotRequestRow.site_ref) == actor.site_ref,
        )
        .order_by(col(SlotRequestRow.id).desc())
    )
    scenarios: dict[int, Scenario] = {}
    views = []
    for row, term in session.exec(query).all():
        scenario = scenarios.setdefault(term.id or 0, term_rows.stored_scenario(term))
        views.append(_view(row, term, scenario))
    return views


def answer(
    session: Session,
    *,
    actor: UserRow,
    request_id: int,
    decision: Literal["offer", "refuse"],
    seats: int | None = None,
    language: str | None = None,
    notes: str = "",
) -> SlotRequestView:
    """Offer seats (a new `offered` slot of the term) or refuse; a request is answered once."""
    _require_partner(actor)
    found_row = session.exec(
        select(SlotRequestRow, TermRow)
        .join(TermRow, col(SlotRequestRow.term_id) == TermRow.id)
        .where(
            col(SlotRequestRow.id) == request_id,
            col(TermRow.school_id) == actor.school_id,
            col(SlotRequestRow.site_ref) == actor.site_ref,
        )
    ).first()
    if found_row is None:
        raise NotFound("request not found")
    row, term = found_row
    if row.state != "requested":
        raise Conflict(f"this request was already answered ({row.state})", code="already_answered")
    language = (language or "").strip() or None
    notes = notes.strip()
    problems = []
    if decision == "offer" and (seats is None or not 1 <= seats <= MAX_COUNT):
        problems.append(ErrorItem(path="seats", message=f"must be 1 to {MAX_COUNT} to offer"))
    if len(notes) > 2000:
        problems.append(ErrorItem(path="notes", message="must be at most 2000 characters"))
    if language is not None and len(language) > 50:
        problems.append(ErrorItem(path="language", message="must be at most 50 characters"))
    if problems:
        raise Invalid("the answer has problems", details=problems)
    row.answered_at, row.answered_by, row.notes = utcnow(), actor.id, notes
    if decision == "offer":
        assert seats is not None
        row.state, row.offered_seats, row.language = "offered", seats, language
        row.slot_ref = f"REQ-{row.id}"
        document = term_edits.current_document(session, term)
        slot = {
            "id": row.slot_ref,
            "site": row.site_ref,
            "period": row.period_ref,
            "profession": row.profession,
            "capacity": seats,
            "status": "offered",
        }
        if language:
            slot["language"] = language
        document.setdefault("slots", []).append(slot)
        index = f"slots[{len(document['slots']) - 1}]"
        term_edits.write_document(session, term=term, document=document, what="offer", index=index)
    else:
        row.state = "refused"
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"slot_request.{row.state}",
        entity="slot_request",
        entity_id=row.id,
        term_id=term.id,
        detail={"seats": row.offered_seats, "slot": row.slot_ref},
    )
    return _view(row, term, term_rows.stored_scenario(term))


# ---- helpers ---------------------------------------------------------------------------


def _view(row: SlotRequestRow, term: TermRow, scenario: Scenario) -> SlotRequestView:
    sites = {s.id: s.name for s in scenario.sites}
    period = next((p for p in scenario.periods if p.id == row.period_ref), None)
    return SlotRequestView(
        id=row.id or 0,
        term_id=row.term_id,
        term=term.name,
        site=row.site_ref,
        site_name=sites.get(row.site_ref, row.site_ref),
        profession=row.profession,
        period=row.period_ref,
        period_start=period.start if period else None,
        period_end=period.end if period else None,
        seats=row.seats,
        state=row.state,
        offered_seats=row.offered_seats,
        language=row.language,
        notes=row.notes,
        slot=row.slot_ref,
        created_at=row.created_at,
        answered_at=row.answered_at,
    )


def _dates(view: SlotRequestView) -> str:
    if view.period_start and view.period_end:
        return f"{view.period_start:%d %b} to {view.period_end:%d %b %Y}"
    return f"period {view.period}"


def _require_partner(actor: UserRow) -> None:
    if actor.role != "partner" or not actor.site_ref:
        raise Forbidden("only partners answer seat requests")
