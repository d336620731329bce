"""Placements as a transportation problem: exact min-cost flows for hints and proven bounds.

Without tag minimums and the coupling with sessions, placement is a flow:
source -> student (capacity `count`) -> student in a period (capacity 1: a period clashes
with itself) -> slot (capacity `capacity`) -> sink. Dropping rules only enlarges the
feasible set, so each flow optimum bounds the joint problem over *all* eligible slots.
With `tag_aware`, a student whose one tag minimum is 1 routes untagged slots through a
node of capacity count - 1 (exactly the rule) and period caps apply to tagged and
untagged slots separately (a relaxation of the shared cap): another valid relaxation,
often much tighter when tags bind.

The network is built once as arrays; each query is one vectorised OR-Tools flow solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from solver.prepare import Prepared, SlotOption, StudentInfo

SOURCE, SINK = 0, 1


@dataclass(frozen=True)
class FlowPlan:
    """A flow answer: placements made, summed rank and travel, who holds which slot."""

    placements: int
    rank: int
    travel: int
    chosen: dict[str, list[str]]


def _single_tag(info: StudentInfo) -> tuple[str, int] | None:
    """The requirement's tag minimum when it is the only one and equals 1: then "at most
    count - 1 untagged placements" is exactly the rule, whether or not all are held."""
    if info.requirement is None:
        return None
    minimums = [(t, m) for t, m in info.requirement.tags.items() if m > 0]
    return minimums[0] if len(minimums) == 1 and minimums[0][1] == 1 else None


class PlacementNetwork:
    """The placement flow network over every eligible option of every student."""

    def __init__(
        self,
        prep: Prepared,
        *,
        tag_aware: bool = False,
        options_of: Callable[[StudentInfo], list[SlotOption]] | None = None,
    ) -> None:
        self._next = 2
        tails: list[int] = []
        heads: list[int] = []
        caps: list[int] = []
        self._option_arcs: list[int] = []
        self._arc_student: list[str] = []
        self._arc_slot: list[str] = []
        ranks: list[int] = []
        travels: list[int] = []
        slot_node: dict[str, int] = {}
        capacity = {s.id: s.capacity for s in prep.scenario.slots}
        self.total_need = 0

        def arc(tail: int, head: int, cap: int) -> int:
            tails.append(tail)
            heads.append(head)
            caps.append(cap)
            ranks.append(0)
            travels.append(0)
            return len(tails) - 1

        for info in prep.students.values():
            options = options_of(info) if options_of is not None else info.all_options
            if info.count <= 0 or not options:
                continue
            student = self._node()
            arc(SOURCE, student, info.count)
            self.total_need += info.count
            tag = _single_tag(info) if tag_aware else None
            untagged = None
            if tag is not None:
                untagged = self._node()
                arc(student, untagged, info.count - tag[1])
            period_nodes: dict[tuple[str, bool], int] = {}
            for option in options:
                via_untagged = (
                    untagged is not None and tag is not None and tag[0] not in option.tags
                )
                key = (option.period, via_untagged)
                if key not in period_nodes:
                    period_nodes[key] = self._node()
                    upstream = untagged if via_untagged and untagged is not None else student
                    arc(upstream, period_nodes[key], 1)
                if option.slot not in slot_node:
                    slot_node[option.slot] = self._node()
                    arc(slot_node[option.slot], SINK, capacity[option.slot])
                index = arc(period_nodes[key], slot_node[option.slot], 1)
                ranks[index] = option.rank
                travels[index] = option.travel
                self._option_arcs.append(index)
                self._arc_student.append(info.id)
                self._arc_slot.append(option.slot)
        self._tails = np.array(tails, dtype=np.int32)
        self._heads = np.array(heads, dtype=np.int32)
        self._caps = np.array(caps, dtype=np.int64)
        self._ranks = np.array(ranks, dtype=np.int64)
        self._travels = np.array(travels, dtype=np.int64)
        self._option_index = np.array(self._option_arcs, dtype=np.int64)
        most_travel = int(self._travels.max()) if len(self._travels) else 0
        self.rank_weight = 1 + self.total_need * most_travel
        """Weight that makes rank dominate travel in one cost: lexicographic in one flow."""

    def _node(self) -> int:
        self._next += 1
        return self._next - 1

    def travel_values(self) -> list[int]:
        """Distinct travel values of all options, ascending."""
        return sorted(set(self._travels[self._option_index].tolist()))

    def solve(
        self,
        *,
        rank_weight: int,
        travel_weight: int,
        limit: int | None = None,
        max_travel: int | None = None,
    ) -> FlowPlan:
        """Most placements (at most `limit`), then least rank_weight*rank + travel_weight*travel."""
        if not self._option_arcs:
            return FlowPlan(0, 0, 0, {})
        caps = self._caps.copy()
        if max_travel is not None:
            too_far = self._option_index[self._travels[self._option_index] > max_travel]
            caps[too_far] = 0
        costs = rank_weight * self._ranks + travel_weight * self._travels
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(self._tails, self._heads, caps, costs)
        supply = self.total_need if limit is None else min(self.total_need, limit)
        flow.set_node_supply(SOURCE, supply)
        flow.set_node_supply(SINK, -supply)
        flow.solve_max_flow_with_min_cost()
        flows = flow.flows(arcs)[self._option_index]
        chosen: dict[str, list[str]] = {}
        for position in np.nonzero(flows)[0].tolist():
            chosen.setdefault(self._arc_student[position], []).append(self._arc_slot[position])
        used = self._option_index[flows > 0]
        return FlowPlan(
            placements=int(flows.sum()),
            rank=int(self._ranks[used].sum()),
            travel=int(self._travels[used].sum()),
            chosen=chosen,
        )

    def max_placements(self, max_travel: int | None = None) -> int:
        return self.solve(rank_weight=0, travel_weight=0, max_travel=max_travel).placements

    def least_worst_travel(self, needed: int) -> int:
        """Smallest travel cap under which `needed` placements still fit (binary search)."""
        values = self.travel_values()
        if needed <= 0 or not values:
            return 0
        low, high = 0, len(values) - 1
        while low < high:
            middle = (low + high) // 2
            if self.max_placements(values[middle]) >= needed:
                high = middle
            else:
                low = middle + 1
        return values[low]
