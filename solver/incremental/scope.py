"""What a change did to the previous schedule: the placements it closed, and the rest.

A previous placement is *forced* out when its slot is no longer open to its student under
the placement rules (declined, cut to zero, busy now, out of reach): no schedule keeps it,
so it is a change whatever happens. A slot cut below its holders forces out `holders -
capacity` of them, whoever they are. Withdrawn students leave their teams and seats.
Everything else is *kept*, and the local repair fixes it; what this path does not handle
(a newcomer, a placement the rules no longer allow for other reasons) is named in
`problem`, and the driver then solves in full.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from scheduler.domain.diff import placements
from scheduler.domain.matching import participates
from scheduler.domain.schedule import Schedule, SessionAssignment, Team, Unassigned
from solver.incremental.eligibility import Eligibility


@dataclass(frozen=True)
class Scope:
    held: dict[str, frozenset[str]]
    """Slots each current student held before."""
    valid: dict[str, frozenset[str]]
    """Of those, the slots still open to them."""
    forced: dict[str, frozenset[str]]
    """Of those, the slots closed to them now: changes no schedule avoids."""
    cuts: dict[str, int]
    """Slots cut below their holders: how many of the holders must leave."""
    holders: dict[str, frozenset[str]]
    """Current students holding each slot that is still open to them."""
    withdrawn: frozenset[str]
    sessions: list[SessionAssignment]
    """The previous sessions without withdrawn students."""
    attends: dict[str, frozenset[str]]
    """Sessions each student attends in `sessions`."""
    unassigned: list[Unassigned]
    """The previous schedule's entries of current students."""
    problem: str | None = None
    """Why the local path cannot repair this change (None: it can try)."""

    @property
    def forced_changes(self) -> int:
        return sum(len(slots) for slots in self.forced.values()) + sum(self.cuts.values())

    def affected(self) -> set[str]:
        """Students who lost a slot, or hold one cut below its holders."""
        cut = {s for slot in self.cuts for s in self.holders[slot]}
        return {s for s, slots in self.forced.items() if slots} | cut


def build_scope(previous: Schedule, eligibility: Eligibility) -> Scope:
    """Compare the previous schedule with the changed term."""
    current = eligibility.students
    before = placements(previous)
    known = _previous_students(previous)
    withdrawn = frozenset(known - current.keys())
    sessions = _without(previous.sessions, withdrawn)
    attends: dict[str, set[str]] = defaultdict(set)
    for entry in sessions:
        for team in entry.teams:
            for student in team.students:
                attends[student].add(entry.session)
    held = {s: frozenset(slots) for s, slots in before.items() if s in current}
    valid = {
        s: frozenset(o.slot for o in eligibility.options(s, slots)) for s, slots in held.items()
    }
    holders: dict[str, set[str]] = defaultdict(set)
    for student, slots in valid.items():
        for slot in slots:
            holders[slot].add(student)
    capacity = {slot.id: slot.capacity for slot in eligibility.scenario.slots}
    cuts = {slot: len(h) - capacity[slot] for slot, h in holders.items() if len(h) > capacity[slot]}
    problem = _newcomer(eligibility, known) or _requirement_problem(eligibility, held)
    return Scope(
        held=held,
        valid=valid,
        forced={s: held[s] - valid[s] for s in held},
        cuts=cuts,
        holders={slot: frozenset(h) for slot, h in holders.items()},
        withdrawn=withdrawn,
        sessions=sessions,
        attends={s: frozenset(ids) for s, ids in attends.items()},
        unassigned=[u for u in previous.unassigned if u.student in current],
        problem=problem or _pin_problem(eligibility, valid),
    )


def _previous_students(previous: Schedule) -> set[str]:
    """Everyone the previous schedule names: in a team, holding a slot, or unassigned."""
    named = {p.student for p in previous.placements} | {u.student for u in previous.unassigned}
    for entry in previous.sessions:
        for team in entry.teams:
            named.update(team.students)
    return named


def _without(sessions: list[SessionAssignment], gone: frozenset[str]) -> list[SessionAssignment]:
    """Sessions with `gone` students taken out; empty teams and sessions dropped."""
    result = []
    for entry in sessions:
        teams = [
            Team(id=team.id, students=[s for s in team.students if s not in gone])
            for team in entry.teams
        ]
        teams = [team for team in teams if team.students]
        if teams:
            result.append(entry.model_copy(update={"teams": teams}))
    return result


def _newcomer(eligibility: Eligibility, known: set[str]) -> str | None:
    """A student the previous schedule never named who has a need now: coverage first
    would seat them, possibly in a session, which this path does not do."""
    scenario = eligibility.scenario
    for student in scenario.students:
        if student.id in known:
            continue
        requirement = eligibility.requirement(student.id)
        needs = requirement is not None and requirement.count > 0
        if needs or any(participates(student, a) for a in scenario.activities):
            return f"student {student.id} is new to the term"
    return None


def _requirement_problem(eligibility: Eligibility, held: dict[str, frozenset[str]]) -> str | None:
    """A student holding more placements than their requirement now asks for."""
    for student, slots in held.items():
        requirement = eligibility.requirement(student)
        if requirement is None or len(slots) > requirement.count:
            return f"student {student} holds more placements than their requirement asks for"
    return None


def _pin_problem(eligibility: Eligibility, valid: dict[str, frozenset[str]]) -> str | None:
    """A pinned slot the previous schedule does not (validly) give its student."""
    for pin in eligibility.scenario.policy.pinned:
        if pin.slot is not None and pin.slot not in valid.get(pin.student, frozenset()):
            return f"student {pin.student} is pinned to slot {pin.slot}, not held before"
    return None
