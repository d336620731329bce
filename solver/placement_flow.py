"""Placements from the exact flow that also keep tag minimums (rule 7).

The flow (`solver.relaxation`) knows capacities, periods and costs but
not tag minimums: a student needing two placements, one `underserved`, may get two
untagged ones. Repairing that afterwards (`solver.placement_repair`) swaps in a free
tagged seat or drops a placement, and on the 5,000 term lost 22 placements and added
about 1,700 to the preference sum. Instead, each student the flow leaves short of a tag
is allowed untagged seats in only `count - min` periods (those of their best untagged
placements), which makes the rule hold for them whatever the flow does, and the flow is
solved again; a few rounds leave few or none short, and the repair sees only those.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

from solver.options import options_among
from solver.placement_repair import short_of_tags
from solver.prepare import Prepared, SlotOption, StudentInfo
from solver.relaxation import FlowPlan, Options, PlacementNetwork, PlacementTotals

TAG_ROUNDS = 3
"""Flow solves after the first at most: each one about 1.2 s at 5,000 students. Each round
closes seats, which costs rank; the repair's moves (`solver.placement_repair`) place who is
left short. Final preference sums measured at 1 / 3 / 6 rounds: 4,872 / 4,875 / 4,937 at
2,000 students, 13,742 / 13,538 / 13,544 at 5,000 (coverage proven in each)."""

Solve = Callable[[dict[str, set[str]]], FlowPlan]


def tag_rounds(
    prep: Prepared,
    solve: Solve,
    rounds: int = TAG_ROUNDS,
    options_of: Options | None = None,
    deadline: float | None = None,
) -> FlowPlan:
    """Solve, close the untagged seats a short student may not use, solve again.
    `options_of` gives the options the flow may use (default: all the student's); no round
    starts, and no solve after the closing, that would end after `deadline` (a
    `time.monotonic()` value), judged by the last solve (20,000 term: the closing alone
    took 40 s, so a round judged only before it ended 120 s late)."""
    closed: dict[str, set[str]] = {}
    started = time.monotonic()
    plan = solve(closed)
    for _ in range(rounds):
        solve_time = time.monotonic() - started
        if _too_late(deadline, solve_time):
            break
        short = [student for student in plan.chosen if _short_of_tags(prep, student, plan)]
        if not short:
            break
        for student in short:
            info = prep.students[student]
            usable = options_of(info) if options_of is not None else info.all_options
            closed.setdefault(student, set()).update(_untagged_elsewhere(info, usable, plan))
        if _too_late(deadline, solve_time):
            break
        started = time.monotonic()
        plan = solve(closed)
    return plan


def _too_late(deadline: float | None, seconds: float) -> bool:
    """Whether work of `seconds` begun now would end after the deadline."""
    return deadline is not None and time.monotonic() + seconds > deadline


def flow_plan(
    prep: Prepared,
    network: PlacementTotals | PlacementNetwork,
    *,
    avoid: dict[str, frozenset[str]] | None = None,
    rounds: int = TAG_ROUNDS,
    options_of: Options | None = None,
    deadline: float | None = None,
) -> FlowPlan:
    """Most placements, then (fewest in avoided periods,) best rank, then least travel, with
    tag minimums kept by closing seats (`tag_rounds`); `options_of` must be the filter the
    network was built with, if any."""

    def solve(closed: dict[str, set[str]]) -> FlowPlan:
        return network.solve(
            rank_weight=network.rank_weight, travel_weight=1, avoid=avoid, closed=closed
        )

    return tag_rounds(prep, solve, rounds, options_of, deadline)


def _short_of_tags(prep: Prepared, student: str, plan: FlowPlan) -> bool:
    info = prep.students[student]
    held = plan.chosen[student]
    if info.requirement is None or len(held) < info.count:
        return False
    return short_of_tags(info.requirement.tags, options_among(info.all_options, held), held)


def _untagged_elsewhere(
    info: StudentInfo, usable: Sequence[SlotOption], plan: FlowPlan
) -> set[str]:
    """The student's seats lacking a required tag outside `count - min` periods of their
    untagged placements: at most `count - min` untagged seats then remain open. The periods
    kept are those with the fewest usable tagged seats (then best rank and travel), so the
    tagged placement can go where tagged seats are."""
    assert info.requirement is not None
    options = options_among(info.all_options, plan.chosen[info.id])
    every = list(usable)
    closed: set[str] = set()
    for tag, least in info.requirement.tags.items():
        tagged_in = Counter(o.period for o in every if tag in o.tags)
        untagged = sorted(
            (o for o in options.values() if tag not in o.tags),
            key=lambda o: (tagged_in[o.period], o.rank, o.travel),
        )
        keep = {o.period for o in untagged[: max(0, info.count - least)]}
        closed |= {o.slot for o in every if tag not in o.tags and o.period not in keep}
    return closed
