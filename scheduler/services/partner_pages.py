"""What a partner's pages show beyond the slot list: slots grouped by period, and a CSV of
the site's slots with the students placed in each (the same fields as the page: name,
profession, dates and the needs a site must act on, nothing more). The download is an
export of student data to the site: each student in it is a recorded disclosure.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from scheduler.db.tables import UserRow
from scheduler.domain.csv_text import csv_text
from scheduler.services import slots
from scheduler.services.disclosures import Channel
from scheduler.services.views import PartnerSlotView

CSV_HEADER = ["term", "slot", "site", "period_start", "period_end", "profession", "capacity"]
CSV_HEADER += ["status", "student", "student_profession", "student_needs"]


def group_by_period(items: list[PartnerSlotView]) -> list[tuple[str, list[PartnerSlotView]]]:
    """Slots under one heading per term and period, in the order given."""
    groups: dict[str, list[PartnerSlotView]] = defaultdict(list)
    for slot in items:
        heading = f"{slot.term}: {slot.period_start:%d %b %Y} – {slot.period_end:%d %b %Y}"
        groups[heading].append(slot)
    return list(groups.items())


def partner_slots_csv(session: Session, *, actor: UserRow, channel: Channel) -> str:
    """One row per placed student (or one empty row for a slot nobody is placed in)."""
    rows: list[list[object]] = []
    views = slots.partner_slots(
        session, actor=actor, channel=channel, resource="partner.slots_csv", export=True
    )
    for slot in views:
        base: list[object] = [slot.term, slot.ref, slot.site_name, slot.period_start.isoformat()]
        base += [slot.period_end.isoformat(), slot.profession, slot.capacity, slot.status]
        people = [[s.name, s.profession, ";".join(s.needs)] for s in slot.placed]
        people = people or [["", "", ""]]
        rows += [base + person for person in people]
    return csv_text(CSV_HEADER, rows)
