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

The flow leaves out, for a student who lost exactly one slot and holds no cut slot (one
unit into their node), the seats in periods that clash with their previous sessions.
Taking such a seat in S means moving or dropping that session: a change beyond F that
adds no need met and frees no seat, so it pays for the one placement that student's arcs
can add to the flow (adding one student's arcs raises a maximum flow by at most what
flows into them). Without this the bound missed the session: tight-seats at 2,000
students, 5 changes proven only as >= 4. Seats that break the student's tag minimums or
clash with their other placements are not left out: the drop that makes them usable
frees a seat another student may take back, so that change can pay twice.

**Coverage.** Each need met counts one; an unmet session need can be met only when a
session of the activity is open to the student, and a student can hold at most as many
placements as their eligible slots have periods that do not overlap; the students of a
profession together hold at most the seats its usable slots offer.
"""

from __future__ import annotations

from collections import Counter

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
    blocked: dict[str, set[str]] | None = None,
) -> int:
    """The fewest changes of any schedule whose coverage is at least `coverage`;
    `kept_coverage` is P0, `options` each affected student's slots under rules 2 and 6,
    `seats` the seats each slot has left once every kept placement is counted, `blocked`
    the periods each student's previous sessions clash with."""
    regained = _regainable(scope, options, seats, blocked or {})
    return scope.forced_changes + max(0, coverage - kept_coverage - regained)


def _regainable(
    scope: Scope,
    options: dict[str, list[SlotOption]],
    seats: dict[str, int],
    blocked: dict[str, set[str]],
) -> int:
    """The maximum flow of lost placements into free seats (m above)."""
    inflow = Counter({student: len(lost) for student, lost in scope.forced.items()})
    for slot in scope.cuts:
        inflow.update({holder: 2 for holder in scope.holders[slot]})  # never restricted
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
        shut = blocked.get(student, set()) if inflow[student] == 1 else set()
        for option in options.get(student, ()):
            if option.period in shut:
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
