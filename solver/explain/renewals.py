"""Renewal proposals: a credential that, renewed (or first issued), would open a slot to a
student whose need is unmet only because of credentials.

For each such student the slot needing the fewest renewals is chosen (among periods where
one more placement clashes with nothing the student holds or attends); the renewal is valid
from the first date to the day after the last date of its period. Like every proposal it
claims nothing: `solver.explain.whatif` re-solves it.
"""

from __future__ import annotations

from datetime import timedelta

from scheduler.domain.credentials import gap_for, placement_gaps
from scheduler.domain.scenario import Period, Site, Student
from scheduler.domain.schedule import RenewCredential, ScenarioChange
from solver.explain import codes
from solver.explain.busy import busy_sources
from solver.explain.facts import Facts
from solver.explain.reasons import Explained
from solver.explain.slot_causes import SlotChecker


def renewal_changes(facts: Facts, student: str, usable: set[str]) -> tuple[ScenarioChange, ...]:
    """The fewest renewals that make one slot eligible for the student, or none."""
    person = facts.students[student]
    checker = SlotChecker(
        facts, person, busy_sources(facts.scenario, person, facts.positions[student])
    )
    periods = {p.id: p for p in facts.scenario.periods}
    best: tuple[int, str, tuple[ScenarioChange, ...]] | None = None
    for slot in facts.scenario.slots:
        if slot.profession != person.profession or slot.period not in usable:
            continue
        rules = checker.rules(slot)
        if not rules or any(code != codes.CREDENTIAL_NOT_VALID for code, _ in rules):
            continue
        period = periods[slot.period]
        gaps = placement_gaps(person, facts.sites.get(slot.site), slot, period)
        changes = tuple(
            RenewCredential(
                student=student,
                code=gap.code,
                issued=period.start,
                expires=period.end + timedelta(days=1),
            )
            for gap in gaps
        )
        if best is None or (len(changes), slot.id) < best[:2]:
            best = (len(changes), slot.id, changes)
    return best[2] if best else ()


def credential_blocked(items: list[Explained]) -> list[str]:
    """Students of the items with a credential cause, in order, each once."""
    found = [
        i.entry.student
        for i in items
        if any(c.code == codes.CREDENTIAL_NOT_VALID for c in i.causes)
    ]
    return list(dict.fromkeys(found))


def site_covered(student: Student, site: Site, period: Period) -> bool:
    """Whether the student meets the site's own requirements over the period (a new slot
    there would be eligible as far as credentials go)."""
    return all(
        gap_for(student, code, period.start, period.end) is None
        for code in site.required_credentials
    )
