"""Placements as a transportation problem: exact min-cost flows for hints and proven bounds.

Without tag minimums and the coupling with sessions, placement is a flow:
source -> student (capacity `count`, and at most the placements they could hold at once
without a clash, `PeriodClashes.most_held`) -> student in a period (capacity 1 when the
period has on-site hours and so clashes with itself; a period without weekly hours
occupies no time, so it takes several) -> slot (capacity `capacity`) -> sink. Dropping
rules only enlarges the feasible set, so each flow optimum bounds the joint problem over
*all* eligible slots.
With `tag_aware`, a student whose one tag minimum is 1 routes untagged slots through a
node of capacity count - 1 (exactly the rule) and period caps apply to tagged and
untagged slots separately (a relaxation of the shared cap): another valid relaxation,
often much tighter when tags bind. A student's own capacity is also capped at the number
of periods they have options in, which that split would otherwise not imply.

The network is built once as arrays; each query is one vectorised OR-Tools flow solve.
`PlacementNetwork` has one arc per (student, slot) and says who holds which slot;
`PlacementTotals`, for bounds, merges a student's slots of one (site, period, language,
profession) group (same rank, travel, tags and period) into one arc: the same optimal
totals over about a third of the arcs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from scheduler.domain.scenario import Scenario
from solver.options import OptionList, SlotTable
from solver.period_fit import largest_clash_free
from solver.prepare import Prepared, SlotOption, StudentInfo

SOURCE, SINK = 0, 1
AVOID_RANKS = 10
"""Ranks one placement in an avoided period costs beyond the worst rank (`solve(avoid=)`)."""


@dataclass(frozen=True)
class FlowTotals:
    """A flow answer's totals: placements made, summed rank and travel."""

    placements: int
    rank: int
    travel: int


@dataclass(frozen=True)
class FlowPlan(FlowTotals):
    """A flow answer with who holds which slot."""

    chosen: dict[str, list[str]]


def _single_tag(info: StudentInfo) -> tuple[str, int] | None:
    """The requirement's tag minimum when it is the only one and equals 1: then "at most
    count - 1 untagged placements" is exactly the rule, whether or not all are held."""
    if info.requirement is None:
        return None
    minimums = [(t, m) for t, m in info.requirement.tags.items() if m > 0]
    return minimums[0] if len(minimums) == 1 and minimums[0][1] == 1 else None


Options = Callable[[StudentInfo], Sequence[SlotOption]]


def _student_options(
    prep: Prepared, table: SlotTable, tag_aware: bool, options_of: Options | None
) -> _StudentOptions:
    """Every student with a need and options, with those options as arrays."""
    students = _StudentOptions(table, PeriodClashes.of(prep, table))
    for info in prep.students.values():
        options = options_of(info) if options_of is not None else info.all_options
        if info.count > 0 and options:
            tag = _single_tag(info) if tag_aware else None
            students.add(info, options, tag)
    return students


class _FlowNetwork:
    """Arcs as arrays (option arcs at `_option_index`) and the flow queries over them."""

    def __init__(self, students: _StudentOptions, layout: _Layout) -> None:
        self.total_need = sum(students.counts)
        self._tails, self._heads, self._caps, self._ranks, self._travels = layout.arcs
        self._option_index = layout.option_arcs
        self._table = students.table
        self._students = students.ids
        self._option_student = layout.option_students
        self._option_slot = layout.option_slots
        """Slot position of each option arc; for an arc into a slot group, its first slot."""
        self._rows: dict[str, int] | None = None
        most_travel = int(self._travels.max()) if len(self._travels) else 0
        self.rank_weight = 1 + self.total_need * most_travel
        """Weight that makes rank dominate travel in one cost: lexicographic in one flow."""

    @property
    def arc_count(self) -> int:
        return len(self._tails)

    def travel_values(self) -> list[int]:
        """Distinct travel values of all options, ascending."""
        return [int(v) for v in np.unique(self._travels[self._option_index])]

    def _flows(
        self,
        rank_weight: int,
        travel_weight: int,
        limit: int | None,
        max_travel: int | None,
        surcharge: np.ndarray | None = None,
        closed: np.ndarray | None = None,
        fallback: bool = False,
    ) -> np.ndarray:
        """Flow on each arc: most placements (at most `limit`), then least cost (plus
        `surcharge`, a cost per option arc, when given); `closed` option arcs (by position
        among them) carry nothing."""
        caps = self._caps.copy()
        if max_travel is not None:
            too_far = self._option_index[self._travels[self._option_index] > max_travel]
            caps[too_far] = 0
        if closed is not None:
            caps[self._option_index[closed]] = 0
        costs = rank_weight * self._ranks.astype(np.int64)
        costs += travel_weight * self._travels.astype(np.int64)
        if surcharge is not None:
            costs[self._option_index] += surcharge
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(self._tails, self._heads, caps, costs)
        supply = self.total_need if limit is None else min(self.total_need, limit)
        flow.set_node_supply(SOURCE, supply)
        flow.set_node_supply(SINK, -supply)
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL and fallback and surcharge is not None:
            # costs too large for the solver's scaling (very long preference lists): a plan
            # drops the surcharge, a preference among optima, then solves by rank alone
            return self._flows(rank_weight, travel_weight, limit, max_travel, None, closed, True)
        if status != flow.OPTIMAL and fallback and (rank_weight, travel_weight) != (1, 0):
            return self._flows(1, 0, limit, max_travel, None, closed, True)
        if status != flow.OPTIMAL:  # a bound must never be guessed
            raise RuntimeError(f"placement flow not solved (status {status})")
        return flow.flows(arcs)

    def totals(
        self,
        *,
        rank_weight: int,
        travel_weight: int,
        limit: int | None = None,
        max_travel: int | None = None,
    ) -> FlowTotals:
        """Most placements (at most `limit`), then least rank_weight*rank + travel_weight*travel."""
        if not len(self._option_index):
            return FlowTotals(0, 0, 0)
        flows = self._flows(rank_weight, travel_weight, limit, max_travel)
        flows = flows[self._option_index].astype(np.int64)
        return FlowTotals(
            placements=int(flows.sum()),
            rank=int(flows @ self._ranks[self._option_index]),
            travel=int(flows @ self._travels[self._option_index]),
        )

    def max_placements(self, max_travel: int | None = None) -> int:
        return self.totals(rank_weight=0, travel_weight=0, max_travel=max_travel).placements

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

    def solve(
        self,
        *,
        rank_weight: int,
        travel_weight: int,
        limit: int | None = None,
        max_travel: int | None = None,
        avoid: dict[str, frozenset[str]] | None = None,
        closed: dict[str, set[str]] | None = None,
    ) -> FlowPlan:
        """`totals` and who holds which slot. With `avoid` (periods per student), fewest
        placements in those periods come before rank and travel, among the most placements;
        `closed` slots (per student) are not used."""
        if not len(self._option_index):
            return FlowPlan(0, 0, 0, {})
        surcharge = self._avoid_surcharge(avoid, rank_weight) if avoid else None
        shut = self._closed_options(closed) if closed else None
        every = self._flows(rank_weight, travel_weight, limit, max_travel, surcharge, shut, True)
        flows = every[self._option_index].astype(np.int64)
        chosen: dict[str, list[str]] = {}
        carrying = np.nonzero(flows)[0]
        # an arc into a slot group of a period without hours may carry several seats
        placed = np.repeat(carrying, flows[carrying])
        students, slots = self._holders(placed, every)
        for student, slot in zip(students.tolist(), slots.tolist(), strict=True):
            chosen.setdefault(self._students[student], []).append(self._table.ids[slot])
        return FlowPlan(
            placements=int(flows.sum()),
            rank=int(flows @ self._ranks[self._option_index]),
            travel=int(flows @ self._travels[self._option_index]),
            chosen=chosen,
        )

    def _holders(self, placed: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Student row and slot position of each placed option arc (positions `placed`)."""
        return self._option_student[placed], self._option_slot[placed]

    def _closed_options(self, closed: dict[str, set[str]]) -> np.ndarray:
        """Positions (among option arcs) of the closed slots; a student's options are one
        run of positions, in student order. An arc into a slot group closes when its
        first slot does: closing must take a group's slots together (same site, period,
        language and profession), as closing by site tag and period does."""
        if self._rows is None:
            self._rows = {student: row for row, student in enumerate(self._students)}
        positions = []
        for student, slots in closed.items():
            row = self._rows.get(student)
            if row is None or not slots:
                continue
            start, end = np.searchsorted(self._option_student, [row, row + 1])
            wanted = [self._table.position[slot] for slot in slots]
            mine = self._option_slot[start:end]
            positions.append(start + np.nonzero(np.isin(mine, wanted))[0])
        return np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)

    def _avoid_surcharge(self, avoid: dict[str, frozenset[str]], rank_weight: int) -> np.ndarray:
        """A cost per option arc in an avoided period, worth more than any rank difference a
        student's options can make (ranks are small), so avoiding comes first in practice
        while the costs stay far from int64 limits."""
        period_count = len(self._table.period_ids)
        avoided = np.zeros((len(self._students), period_count), dtype=bool)
        for row, student in enumerate(self._students):
            for period in avoid.get(student, ()):
                avoided[row, self._table.period_ids.index(period)] = True
        periods = self._table.period_index[self._option_slot]  # a group's slots share it
        in_avoided = avoided[self._option_student, periods]
        most_rank = int(self._ranks[self._option_index].max(initial=0))
        return in_avoided.astype(np.int64) * (AVOID_RANKS + most_rank) * rank_weight


class PlacementNetwork(_FlowNetwork):
    """The placement flow network over every eligible option of every student.

    Nodes and arcs are numbered as if added option by option (student, its period nodes,
    then slot nodes on first use), computed with numpy: OR-Tools gets the same network,
    and so gives the same flows, as when the arcs were added one at a time."""

    def __init__(
        self, prep: Prepared, *, tag_aware: bool = False, options_of: Options | None = None
    ) -> None:
        table = SlotTable.of(prep.scenario)
        students = _student_options(prep, table, tag_aware, options_of)
        super().__init__(students, _layout(students, table.capacity))


class PlacementTotals(_FlowNetwork):
    """The same relaxation with one arc per (student, slot group) instead of per slot.

    Slots of one (site, period, language, profession) cost a student the same rank and
    travel, share period and tags, and a student eligible for one is eligible for all:
    an arc into a group node that feeds those slots' capacities is then exactly the
    student's arcs to each (same optimal totals). A student holding only some of a
    group's slots (an `options_of` filter) keeps per-slot arcs to them."""

    def __init__(
        self, prep: Prepared, *, tag_aware: bool = False, options_of: Options | None = None
    ) -> None:
        table = SlotTable.of(prep.scenario)
        students = _student_options(prep, table, tag_aware, options_of)
        groups = _SlotGroups.of(prep.scenario)
        layout = _grouped_layout(students, groups, table.capacity)
        super().__init__(students, layout)
        assert layout.option_groups is not None and layout.group_arcs is not None
        assert layout.group_arc_slots is not None
        self._option_group = layout.option_groups
        self._group_arcs = layout.group_arcs
        self._group_arc_slots = layout.group_arc_slots
        self._slot_group = groups.of_slot

    def _holders(self, placed: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Students into a slot group are dealt that group's seats as the flow fills them
        (group -> slot arcs): the slots of a group are the same to each of them."""
        students = self._option_student[placed]
        slots = self._option_slot[placed].astype(np.int64)
        grouped = self._option_group[placed] >= 0
        into = np.nonzero(grouped)[0]
        order = into[np.argsort(self._option_group[placed][into], kind="stable")]
        used = flows[self._group_arcs]
        seats = np.repeat(self._group_arc_slots, used)
        seats = seats[np.argsort(self._slot_group[seats], kind="stable")]
        slots[order] = seats
        return students, slots


@dataclass
class PeriodClashes:
    """Which periods clash (the rule of `solver.rules.placement_overlap`), by position in a
    `SlotTable`'s `period_ids`, and how many placements a student can hold together."""

    self_clash: np.ndarray
    """Per period: whether it has on-site hours (two placements in it clash)."""
    pairs: frozenset[tuple[int, int]]
    """Pairs (i < j) of distinct periods whose on-site hours overlap."""
    _most: dict[frozenset[int], int] = field(default_factory=dict)

    @classmethod
    def of(cls, prep: Prepared, table: SlotTable) -> PeriodClashes:
        index = {period: i for i, period in enumerate(table.period_ids)}
        self_clash = np.array(
            [frozenset({p}) in prep.period_clashes for p in table.period_ids], dtype=bool
        )
        pairs = {
            tuple(sorted(index[p] for p in pair))
            for pair in prep.period_clashes
            if len(pair) == 2 and all(p in index for p in pair)
        }
        return cls(self_clash=self_clash, pairs=frozenset(pairs))  # type: ignore[arg-type]

    def most_held(self, periods: np.ndarray) -> int:
        """Most placements one student can hold among options in `periods` (one entry per
        option), as `solver.period_fit.most_held` counts it (here by period position)."""
        free = int(np.count_nonzero(~self.self_clash[periods]))
        timed = frozenset(int(p) for p in np.unique(periods[self.self_clash[periods]]))
        if timed not in self._most:
            self._most[timed] = self._independent(sorted(timed))
        return free + self._most[timed]

    def _independent(self, periods: list[int]) -> int:
        return largest_clash_free(periods, lambda a, b: (min(a, b), max(a, b)) in self.pairs)


@dataclass
class _StudentOptions:
    """Per student with options: need, optional untagged cap, and option arrays."""

    table: SlotTable
    clashes: PeriodClashes
    ids: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    untagged_caps: list[int] = field(default_factory=list)
    """count - minimum for a student routed through an untagged node, else -1."""
    slots: list[np.ndarray] = field(default_factory=list)
    periods: list[np.ndarray] = field(default_factory=list)
    ranks: list[np.ndarray] = field(default_factory=list)
    travels: list[np.ndarray] = field(default_factory=list)
    via_untagged: list[np.ndarray] = field(default_factory=list)
    _tagged: dict[str, np.ndarray] = field(default_factory=dict)
    _same_table: dict[int, bool] = field(default_factory=dict)

    def add(
        self, info: StudentInfo, options: Sequence[SlotOption], tag: tuple[str, int] | None
    ) -> None:
        self.ids.append(info.id)
        self.untagged_caps.append(info.count - tag[1] if tag is not None else -1)
        if isinstance(options, OptionList) and self._compatible(options.table):
            slots, ranks, travels = options.slots, options.ranks, options.travels
            if tag is not None and tag[0] not in self._tagged:
                self._tagged[tag[0]] = self.table.tagged(tag[0])
            tagged = self._tagged[tag[0]][slots] if tag is not None else None
        else:
            position = self.table.position
            slots = np.array([position[o.slot] for o in options], dtype=np.int64)
            ranks = np.array([o.rank for o in options], dtype=np.int64)
            travels = np.array([o.travel for o in options], dtype=np.int64)
            tagged = np.array([tag[0] in o.tags for o in options]) if tag is not None else None
        self.slots.append(slots)
        self.periods.append(self.table.period_index[slots])
        # no more than can be held without a clash: with the tag-aware split (a period node
        # for tagged and one for untagged seats) this cap is not implied (5,000 term: the
        # preference bound rises from 12,965 to 13,009; the exact LP gives 13,029), nor
        # across distinct periods that overlap
        self.counts.append(min(info.count, self.clashes.most_held(self.periods[-1])))
        self.ranks.append(ranks)
        self.travels.append(travels)
        untagged = np.zeros(len(slots), dtype=bool) if tagged is None else ~tagged
        self.via_untagged.append(untagged)

    def _compatible(self, table: SlotTable) -> bool:
        """Whether an option list's slot positions are this network's (same scenario)."""
        if id(table) not in self._same_table:
            self._same_table[id(table)] = table is self.table or table.ids == self.table.ids
        return self._same_table[id(table)]


@dataclass(frozen=True)
class _Layout:
    arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    """tails, heads, capacities, ranks, travels."""
    option_arcs: np.ndarray
    option_students: np.ndarray
    option_slots: np.ndarray
    """Slot position of each option arc (into a slot group: the group's first slot)."""
    option_groups: np.ndarray | None = None
    """Slot group of each option arc (-1: into one slot); None: no groups."""
    group_arcs: np.ndarray | None = None
    """Positions of the group -> slot arcs (in the order of `usable` slots)."""
    group_arc_slots: np.ndarray | None = None
    """Slot position at the head of each group -> slot arc."""


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts, dtype=dtype) if parts else np.zeros(0, dtype=dtype)


def _first_use(keys: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Per key value (small non-negative ints), the first position holding it."""
    first = np.full(int(keys.max(initial=0)) + 1, len(keys), dtype=np.int64)
    np.minimum.at(first, keys, index)
    return first


def _exclusive(counts: np.ndarray) -> np.ndarray:
    """Running totals before each entry."""
    return np.cumsum(counts, dtype=np.int64) - counts


def _period_caps(students: _StudentOptions, owners: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Capacity of each student-in-a-period node: 1 in a period with on-site hours, else the
    student's own count (a period without hours occupies no time)."""
    counts = np.array(students.counts, dtype=np.int64)
    return np.where(students.clashes.self_clash[periods], 1, counts[owners])


def _layout(students: _StudentOptions, capacity: np.ndarray) -> _Layout:
    """Number nodes and arcs as the option-by-option construction would: per student the
    student node (and its untagged node) with one arc each, then per option a new period
    node with its arc, a new slot node with its arc to the sink, and the option arc (so
    arcs before an option = nodes before it - 2 + options before it)."""
    lengths = np.array([len(s) for s in students.slots], dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    slots = _concat(students.slots, np.int64)
    periods = _concat(students.periods, np.int64)
    via = _concat(students.via_untagged, np.int64)
    index = np.arange(len(slots))
    caps_untagged = np.array(students.untagged_caps, dtype=np.int64)
    header = 1 + (caps_untagged >= 0)
    period_key = (owner * (int(periods.max(initial=0)) + 1) + periods) * 2 + via
    period_first = _first_use(period_key, index)[period_key]
    slot_first = _first_use(slots, index)[slots]
    new_period = period_first == index
    new_slot = slot_first == index
    nodes_before = _exclusive(new_period.astype(np.int64) + new_slot)
    start = _exclusive(lengths)
    student_node = 2 + _exclusive(header) + nodes_before[start]
    first_node = 2 + np.cumsum(header)[owner] + nodes_before
    first_arc = first_node - 2 + index
    period_node = first_node[period_first]
    slot_node = (first_node + new_period)[slot_first]
    option_arcs = first_arc + new_period + new_slot
    total = int(option_arcs[-1]) + 1 if len(option_arcs) else 0
    tails, heads = np.zeros(total, dtype=np.int32), np.zeros(total, dtype=np.int32)
    caps = np.zeros(total, dtype=np.int64)
    ranks, travels = np.zeros(total, dtype=np.int32), np.zeros(total, dtype=np.int32)

    def put(
        where: np.ndarray, tail: np.ndarray | int, head: np.ndarray | int, cap: np.ndarray | int
    ) -> None:
        tails[where], heads[where], caps[where] = tail, head, cap

    put(student_node - 2 + start, SOURCE, student_node, np.array(students.counts))
    untagged = np.nonzero(caps_untagged >= 0)[0]
    put(
        student_node[untagged] - 1 + start[untagged],
        student_node[untagged],
        student_node[untagged] + 1,
        caps_untagged[untagged],
    )
    opened = np.nonzero(new_period)[0]
    period_caps = _period_caps(students, owner[opened], periods[opened])
    put(
        first_arc[opened],
        student_node[owner[opened]] + via[opened],
        period_node[opened],
        period_caps,
    )
    used = np.nonzero(new_slot)[0]
    put(first_arc[used] + new_period[used], slot_node[used], SINK, capacity[slots[used]])
    put(option_arcs, period_node, slot_node, 1)
    ranks[option_arcs] = _concat(students.ranks, np.int32)
    travels[option_arcs] = _concat(students.travels, np.int32)
    return _Layout(
        arcs=(tails, heads, caps, ranks, travels),
        option_arcs=option_arcs.astype(np.int32),
        option_students=owner.astype(np.int32),
        option_slots=slots.astype(np.int32),
    )


@dataclass(frozen=True)
class _SlotGroups:
    """Usable slots (not declined, capacity > 0) grouped by (site, period, language,
    profession, unit): per slot position its group (-1: unusable), and each group's size."""

    of_slot: np.ndarray
    sizes: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario) -> _SlotGroups:
        keys: dict[tuple[str, str, str | None, str, str | None], int] = {}
        of_slot = np.full(len(scenario.slots), -1, dtype=np.int64)
        for position, slot in enumerate(scenario.slots):
            if slot.status != "declined" and slot.capacity > 0:
                # units apart: a unit's tags are its slots' own (extension)
                key = (slot.site, slot.period, slot.language, slot.profession, slot.unit)
                of_slot[position] = keys.setdefault(key, len(keys))
        sizes = np.bincount(of_slot[of_slot >= 0], minlength=len(keys))
        return cls(of_slot=of_slot, sizes=sizes)


def _grouped_layout(
    students: _StudentOptions, groups: _SlotGroups, capacity: np.ndarray
) -> _Layout:
    """Arcs: source -> student (count), student -> untagged node (count - minimum),
    student or untagged node -> period node (1), period node -> target (1, the option's
    rank and travel), group -> slot and slot -> sink (the slot's capacity). A target is
    the group node when the student holds every slot of the group, else the slot node."""
    n_students, n_groups, n_slots = len(students.ids), len(groups.sizes), len(capacity)
    kept, owner, target = _targets(students, groups)
    periods = _concat(students.periods, np.int64)[kept]
    via = _concat(students.via_untagged, np.int64)[kept]
    period_span = int(periods.max(initial=0)) + 1
    period_keys, period_of = np.unique(
        (owner * period_span + periods) * 2 + via, return_inverse=True
    )
    caps_untagged = np.array(students.untagged_caps, dtype=np.int64)
    tagged = np.nonzero(caps_untagged >= 0)[0]
    untagged_node = np.full(n_students, -1, dtype=np.int64)
    untagged_node[tagged] = 2 + n_students + np.arange(len(tagged))
    period_owner = period_keys // 2 // period_span
    period_tail = np.where(period_keys % 2 == 1, untagged_node[period_owner], 2 + period_owner)
    period_base = 2 + n_students + len(tagged)
    group_base = period_base + len(period_keys)
    slot_base = group_base + n_groups
    usable = np.nonzero(groups.of_slot >= 0)[0]
    key_caps = _period_caps(students, period_owner, (period_keys // 2) % period_span)
    # a period without hours lets a student hold several seats of one group
    untimed = ~students.clashes.self_clash[periods]
    into_group = target < n_groups
    target_caps = np.where(untimed & into_group, groups.sizes[np.where(into_group, target, 0)], 1)
    parts = [
        _arcs(SOURCE, 2 + np.arange(n_students), np.array(students.counts)),
        _arcs(2 + tagged, untagged_node[tagged], caps_untagged[tagged]),
        _arcs(period_tail, period_base + np.arange(len(period_keys)), key_caps),
        _arcs(period_base + period_of, group_base + target, target_caps),
        _arcs(group_base + groups.of_slot[usable], slot_base + usable, capacity[usable]),
        _arcs(slot_base + np.arange(n_slots), SINK, capacity),
    ]
    tails, heads, caps = (np.concatenate([part[i] for part in parts]) for i in range(3))
    first = sum(len(part[0]) for part in parts[:3])
    option_arcs = np.arange(first, first + len(target))
    group_arcs = np.arange(len(usable)) + sum(len(part[0]) for part in parts[:4])
    ranks, travels = np.zeros(len(tails), dtype=np.int32), np.zeros(len(tails), dtype=np.int32)
    ranks[option_arcs] = _concat(students.ranks, np.int32)[kept]
    travels[option_arcs] = _concat(students.travels, np.int32)[kept]
    return _Layout(
        arcs=(tails.astype(np.int32), heads.astype(np.int32), caps, ranks, travels),
        option_arcs=option_arcs.astype(np.int32),
        option_students=owner.astype(np.int32),
        option_slots=_concat(students.slots, np.int64)[kept].astype(np.int32),
        option_groups=np.where(target < n_groups, target, -1),
        group_arcs=group_arcs,
        group_arc_slots=usable,
    )


def _targets(students: _StudentOptions, groups: _SlotGroups) -> tuple[np.ndarray, ...]:
    """The options that become arcs (positions in the concatenated options), their
    students and targets: group index when the student holds the whole group (its first
    option stands for it), else number of groups + slot position. Duplicates dropped."""
    lengths = np.array([len(s) for s in students.slots], dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    slots = _concat(students.slots, np.int64)
    group = groups.of_slot[slots]
    n_groups, n_slots = len(groups.sizes), len(groups.of_slot)
    # one sort by (student, group, slot): duplicates and a student's groups become runs
    kept = np.argsort((owner * (n_groups + 1) + group + 1) * n_slots + slots, kind="stable")
    owner, slots, group = owner[kept], slots[kept], group[kept]
    new = _starts(owner, slots)
    kept, owner, slots, group = kept[new], owner[new], slots[new], group[new]
    run = _starts(owner, group)
    run_id = np.cumsum(run) - 1
    whole = (group >= 0) & (np.bincount(run_id)[run_id] == groups.sizes[np.maximum(group, 0)])
    arc = ~whole | run
    target = np.where(whole, group, n_groups + slots)
    return kept[arc], owner[arc], target[arc]


def _starts(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Where a run of equal (first, second) pairs starts in sorted arrays."""
    start = np.ones(len(first), dtype=bool)
    start[1:] = (first[1:] != first[:-1]) | (second[1:] != second[:-1])
    return start


def _arcs(
    tail: np.ndarray | int, head: np.ndarray | int, cap: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arcs as three int64 arrays of the same length (scalars repeated)."""
    size = next(np.size(x) for x in (tail, head, cap) if np.ndim(x) > 0)

    def column(x: np.ndarray | int) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=np.int64), (size,))

    return column(tail), column(head), column(cap)
