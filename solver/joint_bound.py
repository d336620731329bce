"""Coverage and preference bounds from one LP over sessions and placements together.

The flow bounds (`solver.bounds`) add the best IPE attendance to the most placements as if
the two never competed for a student's time, and the flows know a tag minimum only when it
is a student's single minimum of 1. On terms where clinical days meet class days, or where
students carry several tag minimums, those bounds were far from the truth. This LP keeps,
over continuous variables (so its optimum bounds every schedule):

- the IPE rows of `solver.ipe_bound` (x[c, s] per class and session);
- y[i, o] per student and eligible slot: at most `count` each, at most one in a period
  with hours and one among periods that clash, seats per slot;
- each tag minimum m of a requirement of `count` k, for whoever holds all k:
  tagged >= m * (held - k + 1) (the rule exactly at whole numbers: 0 when held < k);
- the student's time shared: in each class, for a period p and an activity, members placed
  in p plus members attending the activity's sessions that clash with p <= class size.

It is built only while its columns stay under `MAX_COLUMNS` and solved within a time cap;
otherwise (or if GLOP stops early) it gives no bound and the flow bounds stand alone.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from solver.ipe_bound import add_ipe_rows
from solver.prepare import Prepared, SlotOption, StudentInfo

Placed = dict[str, list[tuple[SlotOption, pywraplp.Variable]]]
"""Each student's placement columns with the option they stand for."""
MAX_COLUMNS = 60_000
"""Placement columns (student x eligible slot) beyond which the LP is not built."""
SAFETY = 1e-6


@dataclass
class JointRelaxation:
    """The joint LP, built once; each query re-solves it with another objective."""

    lp: pywraplp.Solver
    coverage_terms: list
    rank_terms: list
    time_cap_s: float

    @classmethod
    def of(cls, prep: Prepared, time_cap_s: float) -> JointRelaxation | None:
        """None when the term is too large for it, has no placement to couple, or building
        it takes longer than `time_cap_s` (checked as it goes: its rows are built in Python)."""
        columns = sum(len(info.all_options) for info in prep.students.values() if info.count)
        if columns == 0 or columns > MAX_COLUMNS:
            return None
        lp = pywraplp.Solver.CreateSolver("GLOP")
        if lp is None:
            return None
        deadline = time.monotonic() + time_cap_s
        attend = add_ipe_rows(lp, prep)
        placed: Placed = {}
        for number, info in enumerate(prep.students.values()):
            if number % 100 == 0 and time.monotonic() > deadline:
                return None
            if info.count and info.all_options:
                placed[info.id] = _student_rows(lp, prep, info)
        _seat_rows(lp, prep, placed)
        _shared_time_rows(lp, prep, attend, placed)
        every = [column for columns in placed.values() for _, column in columns]
        ranks = [o.rank * column for columns in placed.values() for o, column in columns]
        return cls(lp, [*attend.values(), *every], ranks, time_cap_s)

    def coverage(self) -> int | None:
        """Most needs met (rounded down), or None when GLOP did not finish."""
        self.lp.Maximize(sum(self.coverage_terms))
        value = self._solve()
        return None if value is None else math.floor(value + SAFETY * max(1.0, value))

    def least_rank(self, coverage: float) -> int | None:
        """Least summed preference rank of schedules meeting at least `coverage` needs."""
        row = self.lp.Add(sum(self.coverage_terms) >= coverage)
        self.lp.Minimize(sum(self.rank_terms))
        value = self._solve()
        row.SetBounds(-self.lp.infinity(), self.lp.infinity())
        return None if value is None else math.ceil(value - SAFETY * max(1.0, value))

    def _solve(self) -> float | None:
        self.lp.SetTimeLimit(max(1, int(self.time_cap_s * 1000)))
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return float(self.lp.Objective().Value())


def _student_rows(
    lp: pywraplp.Solver, prep: Prepared, info: StudentInfo
) -> list[tuple[SlotOption, pywraplp.Variable]]:
    """y[i, o] for each eligible slot, with the count, clash and tag rows of the student."""
    columns = [(option, lp.NumVar(0, 1, "")) for option in info.all_options]
    held = sum(column for _, column in columns)
    lp.Add(held <= info.count)
    by_period: dict[str, list] = defaultdict(list)
    for option, column in columns:
        by_period[option.period].append(column)
    periods = sorted(by_period)
    for i, first in enumerate(periods):
        for second in periods[i:]:
            if frozenset({first, second}) in prep.period_clashes:
                both = by_period[first] + (by_period[second] if second != first else [])
                if len(both) > 1:
                    lp.Add(sum(both) <= 1)
    minimums = info.requirement.tags if info.requirement is not None else {}
    for tag, minimum in minimums.items():
        if minimum > 0:
            tagged = sum(column for option, column in columns if tag in option.tags)
            lp.Add(tagged - minimum * held >= minimum * (1 - info.count))
    return columns


def _seat_rows(lp: pywraplp.Solver, prep: Prepared, placed: Placed) -> None:
    by_slot: dict[str, list] = defaultdict(list)
    for columns in placed.values():
        for option, column in columns:
            by_slot[option.slot].append(column)
    capacity = {slot.id: slot.capacity for slot in prep.scenario.slots}
    for slot, holders in by_slot.items():
        if len(holders) > capacity[slot]:
            lp.Add(sum(holders) <= capacity[slot])


def _shared_time_rows(
    lp: pywraplp.Solver,
    prep: Prepared,
    attend: dict[tuple[int, str], pywraplp.Variable],
    placed: Placed,
) -> None:
    """Per class, period p and activity: placed in p + attending its sessions clashing p."""
    for ipe_class in prep.classes:
        in_period: dict[str, list] = defaultdict(list)
        for student in ipe_class.students:
            for option, column in placed.get(student, ()):
                in_period[option.period].append(column)
        for period, columns in in_period.items():
            if frozenset({period}) not in prep.period_clashes:
                continue
            for sessions in ipe_class.free_sessions.values():
                clashing = [
                    attend[ipe_class.index, s]
                    for s in sessions
                    if period in prep.sessions[s].clash_periods
                ]
                if clashing:
                    lp.Add(sum(columns) + sum(clashing) <= len(ipe_class.students))
