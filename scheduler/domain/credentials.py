"""Onboarding compliance: which credentials a placement requires and where a student's fall
short (contract extension, docs/contract.md "Credentials").

A placement in a slot requires every code of its site's and its slot's
`required_credentials`; the student meets a code for the placement when their valid
entries of that code (status `valid`, issued on/before, expiring after) together cover
every date of the slot's period. The solver (option eligibility), the explanations and the
compliance pages read the rule from here; the validator checks it again on its own, date
by date. Imports only the contract models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from scheduler.domain.credential_model import Credential
from scheduler.domain.scenario import Period, Site, Slot, Student

GapKind = Literal["missing", "pending", "not_yet_valid", "expires", "expired"]


@dataclass(frozen=True)
class Gap:
    """A required credential the student lacks for some date of a placement's period.

    `on` is the expiry date for `expires` (during the period) and `expired` (before it),
    the next issue date for `not_yet_valid`, the period's first date otherwise."""

    code: str
    kind: GapKind
    on: date

    def text(self) -> str:
        """The gap as a coordinator reads it: 'BLS expires 2027-03-02'."""
        if self.kind == "missing":
            return f"{self.code} missing"
        if self.kind == "pending":
            return f"{self.code} pending"
        if self.kind == "not_yet_valid":
            return f"{self.code} not valid until {self.on.isoformat()}"
        if self.kind == "expired":
            return f"{self.code} expired {self.on.isoformat()}"
        return f"{self.code} expires {self.on.isoformat()}"


def required_codes(site: Site | None, slot: Slot) -> tuple[str, ...]:
    """The credential codes a placement in `slot` requires, sorted, each once."""
    codes = set(slot.required_credentials)
    if site is not None:
        codes |= set(site.required_credentials)
    return tuple(sorted(codes))


def first_uncovered(
    entries: Iterable[Credential], code: str, first: date, last: date
) -> date | None:
    """The first date of `first..last` on which no valid entry of `code` is valid; None
    when every date is covered."""
    spans = sorted(
        (c.issued or date.min, c.expires or date.max)
        for c in entries
        if c.code == code and c.status == "valid"
    )
    day = first
    for start, end in spans:
        if start > day:
            break
        day = max(day, end)
        if day > last:
            return None
    return day if day <= last else None


def gap_for(student: Student, code: str, first: date, last: date) -> Gap | None:
    """Why `code` does not cover `first..last` for the student, or None when it does."""
    day = first_uncovered(student.credentials, code, first, last)
    if day is None:
        return None
    held = [c for c in student.credentials if c.code == code]
    valid = [c for c in held if c.status == "valid"]
    if not held:
        return Gap(code, "missing", first)
    if not valid:
        return Gap(code, "pending", first)
    if day > first and any(c.expires == day for c in valid):
        return Gap(code, "expires", day)
    later = [c.issued for c in valid if c.issued is not None and c.issued > day]
    if later:
        return Gap(code, "not_yet_valid", min(later))
    ended = [c.expires for c in valid if c.expires is not None and c.expires <= day]
    return Gap(code, "expired", max(ended)) if ended else Gap(code, "missing", first)


def placement_gaps(student: Student, site: Site | None, slot: Slot, period: Period) -> list[Gap]:
    """Every required credential of the placement the student does not meet, by code."""
    found = []
    for code in required_codes(site, slot):
        gap = gap_for(student, code, period.start, period.end)
        if gap is not None:
            found.append(gap)
    return found


def allowed(student: Student, site: Site | None, slot: Slot, period: Period) -> bool:
    """Whether the student's credentials cover every date of the placement."""
    return all(
        first_uncovered(student.credentials, code, period.start, period.end) is None
        for code in required_codes(site, slot)
    )
