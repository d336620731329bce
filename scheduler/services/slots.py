"""Partner slots: partners confirm or decline their own slots; coordinators see responses.

A response changes the slot's status with a compare-and-set on its `version` column, so
of two conflicting calls racing on one slot exactly one wins and the other gets a 409.
Repeating a call whose effect is already in place (same decision, same reason) changes
nothing and answers the same as the first time.

Every partner view of placed students is a disclosure of their records: it is recorded
(`scheduler.services.disclosures`) with the channel the partner came by.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.paging import ALL, Page
from scheduler.db.tables import SlotResponseRow, SlotRow, UserRow
from scheduler.domain.schedule import ErrorItem
from scheduler.services import disclosures
from scheduler.services.disclosures import Channel
from scheduler.services.errors import Conflict, Invalid, NotFound
from scheduler.services.terms import get_term
from scheduler.services.views import (
    CoordinatorSlotView,
    PartnerSlotView,
    coordinator_slot_view,
    partner_slot_view,
)

Decision = Literal["confirm", "decline"]
STATUS_OF: dict[str, str] = {"confirm": "confirmed", "decline": "declined"}


def partner_slots(
    session: Session,
    *,
    actor: UserRow,
    channel: Channel,
    resource: str = "partner.slots",
    export: bool = False,
    page: Page = ALL,
) -> list[PartnerSlotView]:
    """The partner's own slots in every term, with the students placed in each (a
    disclosure of each student shown, recorded as `resource`)."""
    rows = repositories.partner_slots(session, actor, page=page)
    return _partner_views(session, actor, rows, channel, resource, export)


def partner_slot(
    session: Session, *, actor: UserRow, slot_id: int, channel: Channel
) -> PartnerSlotView:
    """One of the partner's own slots (404 for anyone else's)."""
    rows = repositories.partner_slots(session, actor, slot_id)
    if not rows:
        raise NotFound("slot not found")
    return _partner_views(session, actor, rows, channel, "partner.slot", False)[0]


def _partner_views(
    session: Session,
    actor: UserRow,
    rows: list[repositories.SlotContext],
    channel: Channel,
    resource: str,
    export: bool,
) -> list[PartnerSlotView]:
    placed = repositories.placed_students(session, actor, [slot for slot, *_ in rows], via=resource)
    numbers = repositories.published_numbers(session, {term.id or 0 for *_, term in rows})
    shown = [
        disclosures.placed(
            student,
            term=term,
            site=site,
            slot_ref=slot.ref,
            period=period,
            version=numbers.get(term.id or 0),
            fields=disclosures.placement_fields(student),
        )
        for slot, site, period, term in rows
        for student in placed.get(slot.id or 0, [])
    ]
    disclosures.record(
        session, recipient=actor, channel=channel, resource=resource, shown=shown, export=export
    )
    return [
        partner_slot_view(slot, site, period, term, placed.get(slot.id or 0, []))
        for slot, site, period, term in rows
    ]


def respond_to_slot(
    session: Session,
    *,
    actor: UserRow,
    slot_id: int,
    decision: Decision,
    reason: str = "",
    expected_version: int | None = None,
) -> None:
    """Confirm or decline one of the partner's slots (a decline needs a reason); the caller
    shows the slot afterwards, if it shows it, with `partner_slot`."""
    reason = reason.strip()
    if decision == "decline" and not reason:
        raise Invalid(
            "a decline needs a reason",
            code="reason_required",
            details=[_detail("reason", "required when declining")],
        )
    rows = repositories.partner_slots(session, actor, slot_id)
    if not rows:
        raise NotFound("slot not found")
    slot = rows[0][0]
    if not _already(session, slot, decision, reason):
        _change(session, actor, slot, decision, reason, expected_version)


def _change(
    session: Session,
    actor: UserRow,
    slot: SlotRow,
    decision: Decision,
    reason: str,
    expected_version: int | None,
) -> None:
    seen = slot.version
    if expected_version is not None and expected_version != seen:
        raise _conflict(seen)
    statement = (
        update(SlotRow)
        .where(col(SlotRow.id) == slot.id, col(SlotRow.version) == seen)
        .values(status=STATUS_OF[decision], version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if not session.exec(statement).rowcount:  # type: ignore[call-overload]
        session.refresh(slot)
        if _already(session, slot, decision, reason):
            return
        raise _conflict(slot.version)
    session.refresh(slot)
    session.add(
        SlotResponseRow(
            slot_id=_id(slot.id),
            user_id=actor.id,
            decision=decision,
            reason=reason,
            slot_version=slot.version,
        )
    )
    audit.record(
        session,
        actor=actor,
        action=f"slot.{decision}",
        entity="slot",
        entity_id=slot.id,
        term_id=slot.term_id,
        detail={"reason": reason, "version": slot.version},
    )
    session.flush()


def _already(session: Session, slot: SlotRow, decision: Decision, reason: str) -> bool:
    """The slot already says what this call asks, for the same reason: nothing to do."""
    if slot.status != STATUS_OF[decision]:
        return False
    query = (
        select(SlotResponseRow)
        .where(col(SlotResponseRow.slot_id) == slot.id)
        .order_by(col(SlotResponseRow.id).desc())
    )
    last = session.exec(query).first()
    return last is not None and last.decision == decision and last.reason == reason


def _conflict(version: int) -> Conflict:
    return Conflict(
        "the slot changed since it was read; fetch it again and retry",
        code="slot_version_conflict",
        details=[_detail("version", f"the slot is now at version {version}")],
    )


def _detail(path: str, message: str) -> ErrorItem:
    return ErrorItem(path=path, message=message)


def coordinator_slots(
    session: Session, *, actor: UserRow, term_id: int, page: Page = ALL
) -> list[CoordinatorSlotView]:
    """Every slot of a managed term with its partners' responses, newest first."""
    term = get_term(session, actor=actor, term_id=term_id)
    rows = repositories.term_slots(session, actor, term, page=page)
    responses = repositories.slot_responses(session, actor, [slot for slot, *_ in rows])
    return [
        coordinator_slot_view(slot, site, period, responses.get(slot.id or 0, []))
        for slot, site, period, _term in rows
    ]


def _id(value: int | None) -> int:
    assert value is not None, "a stored row has an id"
    return value
