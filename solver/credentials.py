"""Onboarding compliance as option eligibility: a student lacking a credential a slot
requires (`scheduler.domain.credentials`) gets no option of that slot.

Because the rule removes options before any model is built, every stage that reads
`Prepared` options (flow starts, greedy and LP drafts, option trimming, polish, local
repair through `solver.incremental.eligibility`) respects it as it is: no feature is
registered in `solver.features`, and no CP-SAT rule module is needed. Imports only the
domain and numpy.
"""

from __future__ import annotations

import numpy as np

from scheduler.domain.credentials import allowed, first_uncovered, required_codes
from scheduler.domain.scenario import Period, Scenario, Site, Slot, Student


class CredentialGate:
    """Which slots (by scenario position) each student's credentials allow.

    Slots are grouped by (required codes, period): a term has few such groups, so a
    student is checked once per group, not once per slot."""

    def __init__(self, scenario: Scenario) -> None:
        sites = {s.id: s for s in scenario.sites}
        periods = {p.id: p for p in scenario.periods}
        groups: dict[tuple[tuple[str, ...], str], list[int]] = {}
        for position, slot in enumerate(scenario.slots):
            codes = required_codes(sites.get(slot.site), slot)
            if codes:
                groups.setdefault((codes, slot.period), []).append(position)
        self._groups = [
            (codes, periods[period], np.array(positions, dtype=np.int64))
            for (codes, period), positions in groups.items()
        ]
        self._size = len(scenario.slots)

    @property
    def active(self) -> bool:
        """Whether any slot requires a credential (else nothing is filtered)."""
        return bool(self._groups)

    def barred(self, student: Student) -> np.ndarray:
        """Per slot position, True where the student's credentials do not cover it."""
        mask = np.zeros(self._size, dtype=bool)
        for codes, period, positions in self._groups:
            if not covers(student, codes, period):
                mask[positions] = True
        return mask


def covers(student: Student, codes: tuple[str, ...], period: Period) -> bool:
    """Whether the student's credentials cover every code over the whole period."""
    return all(
        first_uncovered(student.credentials, code, period.start, period.end) is None
        for code in codes
    )


def slot_allowed(scenario: Scenario, student: Student, slot: Slot, site: Site) -> bool:
    """One slot for one student (the per-student path of `solver.prepare`)."""
    if not required_codes(site, slot):
        return True
    period = next(p for p in scenario.periods if p.id == slot.period)
    return allowed(student, site, slot, period)
