"""Bounds that hold for the whole term, so a local answer can be proven without the term.

**Stability.** Let F be the forced changes (`scope`), P0 the previous coverage of the
current students minus F, and m the most forced placements that free seats could take
back: a flow of the lost placements (a cut slot's holders share its excess) into seats
left free, over each student's slots under rules 2 and 6 alone (any schedule's new seats
for them are among these). Any schedule S with coverage c and F + j changes has
c <= P0 + m + j: each change beyond F is a session or placement of one student, which
adds at most one need met, or frees at most one seat, which lets the flow take back at
most one more placement. So every schedule with coverage >= c makes at least
F + max(0, c - P0 - m) changes; a local answer that makes exactly that many is optimal
on `stability` given its coverage, like a frozen level in `solver.driver`.

The flow leaves out, for a *restricted* student, the seats they cannot add to the slots
they keep: a seat in a period that clashes with one of their previous sessions or kept
placements, or one that breaks a tag minimum once all `count` are held. A student is
restricted when they lost exactly one slot, no slot was cut below its holders, and no
other affected student could take a slot they keep. Holding such a seat in S takes a
change beyond F that adds no need met: a session moved or dropped, or a kept slot dropped
(a seat freed that no other student who lost one can use; the rest may only trade seats,
which never adds a need met beyond its change). That change pays for the one placement
their arcs can add to the flow (adding one student's arcs raises a maximum flow by at
most what flows into them). Without this the bound missed the session: tight-seats at
2,000 students, 5 changes proven only as >= 4. When another affected student could take
a kept slot, the drop may pay twice (it frees a seat they take back), so nothing is left
out.

**Coverage.** Each need met counts one; an unmet session need can be met only when a
session of the activity is open to the student, and a student can hold at most as many
placements as their eligible slots have periods that do not overlap; the students of a
profession together hold at most the seats its usable slots offer.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from ortools.graph.python.max_flow import SimpleMaxFlow

from scheduler.domain.schedule import Schedule
from solver.incremental.eligibility import Eligibility
from solver.incremental.scope import Scope
from solver.prepare import SlotOption


def stability_bound(
    scope: Scope,
    options: dict[str, list[SlotOption]],
    seats: dict[str, int],
    coverage: int,
    kept_coverage: int,
    addable: Addable | None = None,
) -> int:
    """The fewest changes of any schedule whose coverage is at least `coverage`;
    `kept_coverage` is P0, `options` each affected student's slots under rules 2 and 6,
    `seats` the seats each slot has left once every kept placement is counted, `addable`
    whether a student may add a slot to those they keep without any other change (their
    previous sessions kept)."""
    regained = _regainable(scope, options, seats, addable)
    return scope.forced_changes + max(0, coverage - kept_coverage - regained)


class Addable(Protocol):
    """Which seats an affected student can add to what they keep (`solver.incremental.run`)."""

    def session_free(self, student: str, option: SlotOption) -> bool:
        """No clash with the student's previous sessions."""

    def fits(self, student: str, option: SlotOption) -> bool:
        """Also no clash with their kept placements, and tag minimums met."""


def restricted(scope: Scope, options: dict[str, list[SlotOption]]) -> tuple[set[str], set[str]]:
    """Affected students whose seats the flow may limit (see above): to the session-free
    ones (lost one slot, hold no cut slot), and of those to the ones that fit what they
    keep (also: no slot cut at all, and no other affected student could take a kept slot
    as a new one: a slot they held before is not new to them)."""
    cut = {holder for slot in scope.cuts for holder in scope.holders[slot]}
    single = {s for s, lost in scope.forced.items() if len(lost) == 1 and s not in cut}
    if scope.cuts:
        return single, set()
    wanted: set[str] = set()
    for student in scope.affected():
        before = scope.held.get(student, frozenset())
        wanted.update(o.slot for o in options.get(student, ()) if o.slot not in before)
    return single, {s for s in single if not scope.valid[s] & wanted}


def _regainable(
    scope: Scope,
    options: dict[str, list[SlotOption]],
    seats: dict[str, int],
    addable: Addable | None,
) -> int:
    """The maximum flow of lost placements into free seats (m above)."""
    single, alone = restricted(scope, options) if addable is not None else (set(), set())

    def shut(student: str, option: SlotOption) -> bool:
        if addable is None or student not in single:
            return False
        if student in alone:
            return not addable.fits(student, option)
        return not addable.session_free(student, option)

    flow = SimpleMaxFlow()
    nodes: dict[tuple[str, str], int] = {}

    def node(kind: str, name: str) -> int:
        return nodes.setdefault((kind, name), len(nodes) + 2)

    source, sink = 0, 1
    for student, lost in scope.forced.items():
        if lost:
            flow.add_arc_with_capacity(source, node("student", student), len(lost))
    for slot, excess in scope.cuts.items():
        group = node("cut", slot)
        flow.add_arc_with_capacity(source, group, excess)
        for holder in scope.holders[slot]:
            flow.add_arc_with_capacity(group, node("student", holder), 1)
    for student in scope.affected():
        for option in options.get(student, ()):
            if shut(student, option):
                continue
            if seats.get(option.slot, 0) > 0 and option.slot not in scope.held.get(student, ()):
                flow.add_arc_with_capacity(node("student", student), node("slot", option.slot), 1)
    for (kind, slot), index in list(nodes.items()):
        if kind == "slot":
            flow.add_arc_with_capacity(index, sink, seats[slot])
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("the max-flow bound of a local repair did not solve")
    return int(flow.optimal_flow())


def kept_coverage(scope: Scope) -> int:
    """P0: needs the previous schedule met for current students, less the forced changes."""
    attended = {
        (student, entry.activity)
        for entry in scope.sessions
        for team in entry.teams
        for student in team.students
    }
    held = sum(len(slots) for slots in scope.held.values())
    return len(attended) + held - scope.forced_changes


def coverage_bound(schedule: Schedule, coverage: int, eligibility: Eligibility) -> int:
    """The most needs any schedule can meet: those met, plus the unmet ones that are not
    impossible for their student."""
    slack = 0
    placement_gaps: Counter[str] = Counter()
    for entry in schedule.unassigned:
        if entry.activity is not None:
            slack += bool(eligibility.free_sessions(entry.student, entry.activity))
        else:
            placement_gaps[entry.student] += 1
    held = Counter(p.student for p in schedule.placements)
    wanted: Counter[str] = Counter()
    for student, gap in placement_gaps.items():
        requirement = eligibility.requirement(student)
        count = requirement.count if requirement is not None else 0
        cap = eligibility.placement_cap(eligibility.options(student), count)
        wanted[eligibility.students[student].profession] += min(gap, max(0, cap - held[student]))
    seats: Counter[str] = Counter()
    for slot, _site in eligibility.usable.values():
        seats[slot.profession] += slot.capacity
    taken = Counter(eligibility.students[p.student].profession for p in schedule.placements)
    for profession, more in wanted.items():
        slack += min(more, max(0, seats[profession] - taken[profession]))
    return coverage + slack
