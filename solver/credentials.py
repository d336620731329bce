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

from scheduler.domain.credentials import allowed, required_codes
from scheduler.domain.scenario import Period, Scenario, Site, Slot, Student


class CredentialGate:
    """Which slots (by scenario position) each student's credentials allow."""

    def __init__(self, scenario: Scenario) -> None:
        sites = {s.id: s for s in scenario.sites}
        periods = {p.id: p for p in scenario.periods}
        self._gated: list[tuple[int, Slot, Site | None, Period]] = [
            (position, slot, sites.get(slot.site), periods[slot.period])
            for position, slot in enumerate(scenario.slots)
            if required_codes(sites.get(slot.site), slot)
        ]
        self._size = len(scenario.slots)

    @property
    def active(self) -> bool:
        """Whether any slot requires a credential (else nothing is filtered)."""
        return bool(self._gated)

    def barred(self, student: Student) -> np.ndarray:
        """Per slot position, True where the student's credentials do not cover it."""
        mask = np.zeros(self._size, dtype=bool)
        for position, slot, site, period in self._gated:
            mask[position] = not allowed(student, site, slot, period)
        return mask


def slot_allowed(scenario: Scenario, student: Student, slot: Slot, site: Site) -> bool:
    """One slot for one student (the per-student path of `solver.prepare`)."""
    if not required_codes(site, slot):
        return True
    period = next(p for p in scenario.periods if p.id == slot.period)
    return allowed(student, site, slot, period)
