"""Coverage and preference bounds from one LP over sessions and placements together.

The flow bounds (`solver.bounds`) add the best IPE attendance to the most placements as if
the two never competed for a student's time, and the flows know a tag minimum only when it
is a student's single minimum of 1. On terms where clinical days meet class days, or where
students carry several tag minimums, those bounds were far from the truth. This LP keeps,
over continuous variables (so its optimum bounds every schedule):

- the IPE rows of `solver.ipe_bound` (x[c, s] per class and session);
- y[k, g]: members of placement class k (students alike for the question: same IPE class,
  requirement and eligible slot groups, and for the preference bound the same ranks) in
  slot group g (slots of one site, period, language and profession: the same to them);
  at most `count` per member, at most one per member in a period with hours and among
  periods that clash, and each group's seats;
- each tag minimum m of a requirement of `count` k, summed over members holding all k:
  tagged >= m * (held - k + 1) per member (the rule exactly at whole numbers);
- the student's time shared: per IPE class, period p and activity, members placed in p
  plus members attending the activity's sessions that clash with p <= class size.

Every row is a sum of rows each student's own schedule meets, so merging alike students
loses nothing that holds. Built only under `MAX_COLUMNS` columns and within a time cap;
otherwise (or if GLOP stops early) there is no bound from it and the flows stand alone.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from solver.ipe_bound import add_ipe_rows
from solver.lp_rows import INFINITY, add_row, ones, set_objective
from solver.prepare import Prepared, SlotOption, StudentInfo

MAX_COLUMNS = 60_000
"""Placement columns (placement class x slot group) beyond which an LP is not built."""
SAFETY = 1e-6

GroupKey = tuple[str, str, str | None, str]
"""(site, period, language, profession): slots a student cannot tell apart."""


@dataclass(frozen=True)
class _Alike:
    """Members of one placement class and what they share."""

    members: int
    ipe_class: int | None
    count: int
    tags: tuple[tuple[str, int], ...]
    groups: tuple[tuple[GroupKey, int, int], ...]
    """Each eligible group with the rank and travel it costs (0 when not detailed)."""


class JointRelaxation:
    """The joint LPs: one over classes alike for coverage, built at once; one over classes
    alike also in ranks and travel, built on the first preference or travel query."""

    def __init__(self, prep: Prepared, time_cap_s: float) -> None:
        self._prep = prep
        self._time_cap_s = time_cap_s
        self._detailed: _JointLp | None | bool = False  # False: not built yet

    @classmethod
    def of(cls, prep: Prepared, time_cap_s: float) -> JointRelaxation | None:
        """None when no student needs a placement (the flow bounds are then exact enough)."""
        if not any(info.count and info.all_options for info in prep.students.values()):
            return None
        return cls(prep, time_cap_s)

    def coverage(self) -> int | None:
        """Most needs met (rounded down), or None when not computed in time."""
        lp = _JointLp.build(self._prep, self._time_cap_s, detailed=False)
        value = lp.maximise_coverage() if lp is not None else None
        return None if value is None else math.floor(value + SAFETY * max(1.0, value))

    def least_rank(self, coverage: float) -> int | None:
        """Least summed preference rank of schedules meeting at least `coverage` needs."""
        lp = self._detailed_lp()
        value = lp.least_rank(coverage) if lp is not None else None
        return None if value is None else math.ceil(value - SAFETY * max(1.0, value))

    def least_worst_travel(self, coverage: float) -> int | None:
        """Smallest travel (model units) such that schedules whose every placement is within
        it can meet `coverage` needs: the LP's coverage with farther options closed."""
        lp = self._detailed_lp()
        return lp.least_worst_travel(coverage) if lp is not None else None

    def _detailed_lp(self) -> _JointLp | None:
        if self._detailed is False:
            self._detailed = _JointLp.build(self._prep, self._time_cap_s, detailed=True)
        return self._detailed if isinstance(self._detailed, _JointLp) else None


@dataclass
class _JointLp:
    lp: pywraplp.Solver
    coverage_terms: list[pywraplp.Variable]
    rank_terms: list[tuple[pywraplp.Variable, float]]
    travels: list[tuple[pywraplp.Variable, int]]
    time_cap_s: float
    """Seconds each query (all its LP solves together) may take."""
    _deadline: float = 0.0

    @classmethod
    def build(cls, prep: Prepared, time_cap_s: float, *, detailed: bool) -> _JointLp | None:
        deadline = time.monotonic() + time_cap_s
        classes = _placement_classes(prep, detailed)
        if sum(len(k.groups) for k in classes) > MAX_COLUMNS:
            return None
        lp = pywraplp.Solver.CreateSolver("GLOP")
        if lp is None:
            return None
        attend = add_ipe_rows(lp, prep)
        seats: dict[GroupKey, list[pywraplp.Variable]] = defaultdict(list)
        by_ipe_period: dict[tuple[int, str], list[pywraplp.Variable]] = defaultdict(list)
        placed: list[pywraplp.Variable] = []
        ranks: list[tuple[pywraplp.Variable, float]] = []
        travels: list[tuple[pywraplp.Variable, int]] = []
        sizes = _group_sizes(prep)
        for number, alike in enumerate(classes):
            if number % 50 == 0 and time.monotonic() > deadline:
                return None
            columns = _class_rows(lp, prep, alike, sizes)
            for (group, rank, travel), column in zip(alike.groups, columns, strict=True):
                seats[group].append(column)
                placed.append(column)
                travels.append((column, travel))
                if rank:
                    ranks.append((column, float(rank)))
                if alike.ipe_class is not None:
                    by_ipe_period[alike.ipe_class, group[1]].append(column)
        _seat_rows(lp, prep, seats)
        _shared_time_rows(lp, prep, attend, by_ipe_period)
        if time.monotonic() > deadline:
            return None
        return cls(lp, [*attend.values(), *placed], ranks, travels, time_cap_s)

    def maximise_coverage(self) -> float | None:
        self._deadline = time.monotonic() + self.time_cap_s
        set_objective(self.lp, ones(self.coverage_terms), maximize=True)
        return self._solve()

    def least_rank(self, coverage: float) -> float | None:
        self._deadline = time.monotonic() + self.time_cap_s
        row = add_row(self.lp, ones(self.coverage_terms), low=coverage)
        set_objective(self.lp, self.rank_terms, maximize=False)
        value = self._solve()
        row.SetBounds(-INFINITY, INFINITY)
        return value

    def least_worst_travel(self, coverage: float) -> int | None:
        """Binary search over the travel values for the least cap the LP still meets
        `coverage` under (None: not solved in time)."""
        self._deadline = time.monotonic() + self.time_cap_s
        values = sorted({travel for _, travel in self.travels})
        needed = coverage - SAFETY * max(1.0, coverage)
        set_objective(self.lp, ones(self.coverage_terms), maximize=True)
        low, high = 0, len(values) - 1
        while low < high:
            middle = (low + high) // 2
            closed = [
                (column, column.ub()) for column, travel in self.travels if travel > values[middle]
            ]
            for column, _ in closed:
                column.SetUb(0)
            reached = self._solve()
            for column, upper in closed:
                column.SetUb(upper)
            if reached is None:
                return None
            if reached >= needed:
                high = middle
            else:
                low = middle + 1
        return values[low] if values else 0

    def _solve(self) -> float | None:
        """The LP's optimum within what is left of the query's time (None: not in time)."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            return None
        self.lp.SetTimeLimit(max(1, int(left * 1000)))
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return float(self.lp.Objective().Value())


def _group_key(option: SlotOption, slot_language: dict[str, str | None], profession: str):
    return (option.site, option.period, slot_language[option.slot], profession)


def _placement_classes(prep: Prepared, detailed: bool) -> list[_Alike]:
    """Students needing placements, merged when alike for the LP (see `_Alike`)."""
    language = {slot.id: slot.language for slot in prep.scenario.slots}
    ipe_class = {s: c.index for c in prep.classes for s in c.students}
    counts: dict[tuple, int] = defaultdict(int)
    for info in prep.students.values():
        if info.count and info.all_options:
            counts[_alike_key(info, language, ipe_class.get(info.id), detailed)] += 1
    return [_Alike(members, key[0], key[1], key[2], key[3]) for key, members in counts.items()]


def _alike_key(
    info: StudentInfo, language: dict[str, str | None], ipe_class: int | None, detailed: bool
) -> tuple:
    groups: dict[GroupKey, tuple[int, int]] = {}
    for option in info.all_options:
        cost = (option.rank, option.travel) if detailed else (0, 0)
        groups[_group_key(option, language, info.profession)] = cost
    minimums = info.requirement.tags if info.requirement is not None else {}
    tags = tuple(sorted((t, m) for t, m in minimums.items() if m > 0))
    costed = tuple(sorted(((g, r, t) for g, (r, t) in groups.items()), key=repr))
    return (ipe_class, info.count, tags, costed)


def _class_rows(
    lp: pywraplp.Solver, prep: Prepared, alike: _Alike, slots_in: dict[GroupKey, int]
) -> list[pywraplp.Variable]:
    """y[k, g] per eligible group, with the count, clash and tag rows of the members."""
    members = alike.members
    columns = []
    for group, _rank, _travel in alike.groups:
        timed = frozenset({group[1]}) in prep.period_clashes
        columns.append(lp.NumVar(0, members * (1 if timed else slots_in[group]), ""))
    add_row(lp, ones(columns), high=members * alike.count)
    by_period: dict[str, list] = defaultdict(list)
    for (group, _rank, _travel), column in zip(alike.groups, columns, strict=True):
        by_period[group[1]].append(column)
    periods = sorted(by_period)
    for i, first in enumerate(periods):
        for second in periods[i:]:
            if frozenset({first, second}) in prep.period_clashes:
                both = by_period[first] + (by_period[second] if second != first else [])
                add_row(lp, ones(both), high=members)
    # a group may merge units of a site: any unit's tags count (a looser, still valid bound)
    site_tags = {s.id: set(s.tags).union(*(u.tags for u in s.units)) for s in prep.scenario.sites}
    for tag, minimum in alike.tags:
        tagged = [
            (column, 1.0)
            for (group, _rank, _travel), column in zip(alike.groups, columns, strict=True)
            if tag in site_tags[group[0]]
        ]
        # tagged - minimum * held >= members * minimum * (1 - count)
        terms = [*tagged, *ones(columns, -minimum)]
        add_row(lp, terms, low=members * minimum * (1 - alike.count))
    return columns


def _group_sizes(prep: Prepared) -> dict[GroupKey, int]:
    """Usable slots per group (a student holds at most one seat of each slot)."""
    sizes: dict[GroupKey, int] = defaultdict(int)
    for slot in prep.scenario.slots:
        if slot.status != "declined" and slot.capacity > 0:
            sizes[slot.site, slot.period, slot.language, slot.profession] += 1
    return sizes


def _seat_rows(
    lp: pywraplp.Solver, prep: Prepared, seats: dict[GroupKey, list[pywraplp.Variable]]
) -> None:
    capacity: dict[GroupKey, int] = defaultdict(int)
    for slot in prep.scenario.slots:
        if slot.status != "declined":
            capacity[slot.site, slot.period, slot.language, slot.profession] += slot.capacity
    for group, holders in seats.items():
        add_row(lp, ones(holders), high=capacity[group])


def _shared_time_rows(
    lp: pywraplp.Solver,
    prep: Prepared,
    attend: dict[tuple[int, str], pywraplp.Variable],
    by_ipe_period: dict[tuple[int, str], list[pywraplp.Variable]],
) -> None:
    """Per IPE class, period p and activity: placed in p + attending its sessions clashing p."""
    classes = {c.index: c for c in prep.classes}
    for (class_index, period), columns in by_ipe_period.items():
        if frozenset({period}) not in prep.period_clashes:
            continue
        ipe_class = classes[class_index]
        for sessions in ipe_class.free_sessions.values():
            clashing = [
                attend[class_index, s] for s in sessions if period in prep.sessions[s].clash_periods
            ]
            if clashing:
                add_row(lp, ones([*columns, *clashing]), high=len(ipe_class.students))
