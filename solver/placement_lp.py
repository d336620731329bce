"""Placements re-chosen by LP around fixed sessions: tag minimums kept exactly.

The flows (`solver.placement_flow`) keep tag minimums by closing seats in rounds, a
heuristic: on the generated 5,000 term its placements cost 13,268 in preference ranks
where the exact placement LP (every rule of placements, tag rows included) has an
integral optimum of 13,029. This LP keeps each student's sessions (no placement in a
period that clashes with one of them) and at least the placements of a given plan, and
minimises the rank sum over a column subset: the ranked options no worse than two ranks
beyond the student's own in the plan, and the plan's slots (so the plan itself is
feasible). A fractional optimum is rounded exactly: the integral students keep their
seats and a small CP-SAT model re-places the others in the seats left.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from solver.options import OptionList
from solver.prepare import Prepared, SlotOption, StudentInfo

RANK_SLACK = 2
"""Ranks beyond a student's worst in the plan their ranked options may reach (5,000 term:
+0 gave 13,032 in 8.5 s of GLOP, +2 gave 13,030 in 11.7 s; the full LP 13,029 in 300 s)."""
TRAVEL_SHARE = 0.5
"""Travel breaks ties between equal rank sums: all of it weighs at most half a rank, so an
integral optimum is still one of least rank."""
UNRANKED_PER_PERIOD = 3
"""Nearest unranked seats per period a student may move to, besides their own: room to
free a ranked seat for someone else."""
INTEGRAL = 1e-6
ROUNDING_SECONDS = 5.0
GLOP_PARAMETERS = "use_dual_simplex: true"
"""Dual simplex: the regrouping LP of the 5,000 term (57,000 columns) in 2.7 s instead of
9.0 s with GLOP's default primal simplex (3.6 s instead of 11.2 s on another seed)."""

Options = Callable[[StudentInfo], Sequence[SlotOption]]
T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """A student's option; `seats` are the slots it stands for: the option's own, or every
    slot of its (site, period, language, profession) group, which cost the student the
    same and share period and tags (one column for them all: 71,000 columns become 31,000
    on the 5,000 term)."""

    student: str
    option: SlotOption
    seats: tuple[str, ...]


def lp_placements(
    prep: Prepared,
    plan: dict[str, list[str]],
    options_of: Options,
    deadline: float | None = None,
) -> dict[str, list[str]] | None:
    """Placements holding at least as many as `plan` at no worse rank sum, each student
    within `options_of` (which must admit their slots in `plan`); None when the LP or the
    rounding fails or the deadline (a `time.monotonic()` value) comes first."""
    problem = PlacementLp.of(prep, plan, options_of, deadline)
    if problem is None or not problem.solve():
        return None
    return rounded(prep, problem.columns, problem.values(), problem.needed)


@dataclass
class PlacementLp:
    """The LP over the chosen columns: `x` in column order, student by student; other
    modules may add variables and rows before `solve` (`solver.session_groups`)."""

    solver: pywraplp.Solver
    columns: list[list[Column]]
    x: list[pywraplp.Variable]
    needed: int

    @classmethod
    def of(
        cls,
        prep: Prepared,
        plan: dict[str, list[str]],
        options_of: Options,
        deadline: float | None = None,
    ) -> PlacementLp | None:
        columns = _columns(prep, plan, options_of)
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if not columns or solver is None:
            return None
        solver.SetSolverSpecificParametersAsString(GLOP_PARAMETERS)
        if deadline is not None:
            if time.monotonic() >= deadline:
                return None
            solver.SetTimeLimit(max(1, int((deadline - time.monotonic()) * 1000)))
        needed = sum(len(slots) for slots in plan.values())
        return cls(solver, columns, _build(solver, prep, columns, needed), needed)

    def by_student(self) -> dict[str, list[tuple[Column, pywraplp.Variable]]]:
        """Each student's columns with their variables."""
        return {
            mine[0].student: list(zip(mine, variables, strict=True))
            for mine, variables in per_student(self.columns, self.x)
        }

    def solve(self) -> bool:
        return self.solver.Solve() == pywraplp.Solver.OPTIMAL

    def values(self) -> list[float]:
        return [var.solution_value() for var in self.x]


def _columns(prep: Prepared, plan: dict[str, list[str]], options_of: Options) -> list[list[Column]]:
    """Per student with a need, the options the LP may use, a whole slot group in one
    column unless some student holds only part of that group."""
    groups = _SlotGroups.of(prep)
    picked: list[tuple[str, list[SlotOption]]] = []
    for info in prep.students.values():
        if info.count <= 0:
            continue
        options = options_of(info)
        if not len(options):
            continue
        held = plan.get(info.id, ())
        mine = _picked(options, held, groups) if isinstance(options, OptionList) else None
        if mine is None:
            mine = _picked_by_walk(list(options), set(held), groups)
        if mine:
            picked.append((info.id, mine))
    split = _partial_groups(picked, groups)
    return [_student_columns(student, mine, groups, split) for student, mine in picked]


@dataclass(frozen=True)
class _SlotGroups:
    """Usable slots by (site, period, language, profession) group."""

    of_slot: dict[str, tuple[str, str, str | None, str]]
    members: dict[tuple[str, str, str | None, str], tuple[str, ...]]
    position_group: np.ndarray
    """Group number per slot position (-1: not usable)."""

    @classmethod
    def of(cls, prep: Prepared) -> _SlotGroups:
        of_slot = {
            slot.id: (slot.site, slot.period, slot.language, slot.profession)
            for slot in prep.scenario.slots
            if slot.status != "declined" and slot.capacity > 0
        }
        members: dict[tuple[str, str, str | None, str], list[str]] = defaultdict(list)
        for slot_id, key in of_slot.items():
            members[key].append(slot_id)
        numbers = {key: n for n, key in enumerate(members)}
        position_group = np.array(
            [numbers[of_slot[s.id]] if s.id in of_slot else -1 for s in prep.scenario.slots],
            dtype=np.int64,
        )
        return cls(of_slot, {k: tuple(v) for k, v in members.items()}, position_group)


def _picked(
    options: OptionList, held: Sequence[str], groups: _SlotGroups
) -> list[SlotOption] | None:
    """The ranked options within reach and the groups of the held slots, on the arrays
    (the 5,000 term has 3.2 million options: making every tuple took 4 s)."""
    if len(options.table.ids) != len(groups.position_group):
        return None
    positions = [options.table.position[s] for s in held if s in options.table.position]
    mine = np.isin(options.slots, positions)
    worst = int(options.ranks.max())  # an unranked site: every unranked option
    reach = (int(options.ranks[mine].max()) if mine.any() else worst) + RANK_SLACK
    mine |= options.best_per_period(UNRANKED_PER_PERIOD, among=options.ranks == worst)
    group = groups.position_group[options.slots]
    kept_groups = np.unique(group[mine])
    mine |= np.isin(group, kept_groups[kept_groups >= 0])
    return options.picked(mine | ((options.ranks < worst) & (options.ranks <= reach)))


def _picked_by_walk(
    options: list[SlotOption], held: set[str], groups: _SlotGroups
) -> list[SlotOption]:
    worst = max(o.rank for o in options)
    own = [o.rank for o in options if o.slot in held]
    reach = (max(own) if own else worst) + RANK_SLACK
    near: dict[str, list[SlotOption]] = defaultdict(list)
    for option in sorted((o for o in options if o.rank == worst), key=lambda o: (o.travel, o.slot)):
        if len(near[option.period]) < UNRANKED_PER_PERIOD:
            near[option.period].append(option)
    kept = set(held) | {o.slot for chosen in near.values() for o in chosen}
    kept_groups = {groups.of_slot.get(s) for s in kept} - {None}
    return [
        o
        for o in options
        if o.slot in kept
        or groups.of_slot.get(o.slot) in kept_groups
        or (o.rank < worst and o.rank <= reach)
    ]


def _partial_groups(
    picked: list[tuple[str, list[SlotOption]]], groups: _SlotGroups
) -> set[tuple[str, str, str | None, str]]:
    """Groups some student holds only part of: their slots get a column each."""
    split = set()
    for _, options in picked:
        counts: dict[tuple[str, str, str | None, str], int] = defaultdict(int)
        for option in options:
            key = groups.of_slot.get(option.slot)
            if key is not None:
                counts[key] += 1
        split |= {key for key, n in counts.items() if n != len(groups.members[key])}
    return split


def _student_columns(
    student: str,
    options: list[SlotOption],
    groups: _SlotGroups,
    split: set[tuple[str, str, str | None, str]],
) -> list[Column]:
    columns = []
    seen = set()
    for option in options:
        key = groups.of_slot.get(option.slot)
        if key is None or key in split:
            columns.append(Column(student, option, (option.slot,)))
        elif key not in seen:
            seen.add(key)
            columns.append(Column(student, option, groups.members[key]))
    return columns


def _build(
    solver: pywraplp.Solver, prep: Prepared, columns: list[list[Column]], needed: int
) -> list[pywraplp.Variable]:
    """Variables in column order; rows through `SetCoefficient` (no expression trees:
    about three times faster to build at 5,000 students)."""
    infinity = solver.infinity()
    most_travel = max((c.option.travel for mine in columns for c in mine), default=0)
    travel_weight = TRAVEL_SHARE / max(1, needed * most_travel)
    x: list[pywraplp.Variable] = []
    by_seats: dict[tuple[str, ...], list[pywraplp.Variable]] = defaultdict(list)
    objective = solver.Objective()
    total = solver.Constraint(needed, infinity)
    for mine in columns:
        info = prep.students[mine[0].student]
        variables = []
        for column in mine:
            var = solver.NumVar(0.0, 1.0, "")
            variables.append(var)
            by_seats[column.seats].append(var)
            objective.SetCoefficient(var, column.option.rank + travel_weight * column.option.travel)
            total.SetCoefficient(var, 1)
        x += variables
        _student_rows(solver, prep, info, mine, variables)
    capacity = {slot.id: slot.capacity for slot in prep.scenario.slots}
    for seats, variables in by_seats.items():
        row = solver.Constraint(0, sum(capacity[s] for s in seats))
        for var in variables:
            row.SetCoefficient(var, 1)
    objective.SetMinimization()
    return x


def _student_rows(
    solver: pywraplp.Solver,
    prep: Prepared,
    info: StudentInfo,
    mine: list[Column],
    variables: list[pywraplp.Variable],
) -> None:
    for positions, weights, most in _limits(prep, info, mine):
        _row(solver, [variables[i] for i in positions], weights, most)


def _limits(
    prep: Prepared, info: StudentInfo, mine: list[Column]
) -> list[tuple[list[int], list[int], int]]:
    """A student's rows as (column positions, weights, most): count, clashing periods (a
    period with itself included) and tag minimums (the inequality of
    `solver.rules.tag_minimums`); rows that can never bind are left out."""
    rows = [(list(range(len(mine))), [1] * len(mine), info.count)]
    by_period: dict[str, list[int]] = defaultdict(list)
    for position, column in enumerate(mine):
        by_period[column.option.period].append(position)
    periods = sorted(by_period)
    for i, first in enumerate(periods):
        for second in periods[i:]:
            if frozenset({first, second}) in prep.period_clashes:
                both = by_period[first] + (by_period[second] if second != first else [])
                if len(both) > 1:
                    rows.append((both, [1] * len(both), 1))
    if info.requirement is None:
        return rows
    for tag, minimum in info.requirement.tags.items():
        if minimum <= 0 or all(tag in c.option.tags for c in mine):
            continue
        weights = [minimum - 1 if tag in c.option.tags else minimum for c in mine]
        rows.append((list(range(len(mine))), weights, minimum * (info.count - 1)))
    return rows


def _row(
    solver: pywraplp.Solver, variables: list[pywraplp.Variable], weights: list[int], most: int
) -> None:
    row = solver.Constraint(-solver.infinity(), most)
    for var, weight in zip(variables, weights, strict=True):
        if weight:
            row.SetCoefficient(var, weight)


def rounded(
    prep: Prepared,
    columns: list[list[Column]],
    values: list[float],
    needed: int,
    redo: frozenset[str] = frozenset(),
) -> dict[str, list[str]] | None:
    """Integral students keep their LP seats; the others (and those in `redo`) are placed
    exactly by CP-SAT in the seats left (most placements, then least rank); then each
    group's holders are dealt its slots. When that holds fewer than `needed`, once more
    with the holders of seats those students could use placed exactly too (room for a
    swap). None when still fewer than `needed`."""
    chosen = _exactly_rounded(prep, columns, values, redo)
    if chosen is not None and len(chosen) < needed:
        chosen = _exactly_rounded(prep, columns, values, _widened(columns, values, redo))
    if chosen is None or len(chosen) < needed:
        return None
    return _dealt(prep, chosen)


def _exactly_rounded(
    prep: Prepared, columns: list[list[Column]], values: list[float], redo: frozenset[str]
) -> list[Column] | None:
    chosen: list[Column] = []
    fractional: list[list[Column]] = []
    used: dict[tuple[str, ...], int] = defaultdict(int)
    for mine, mine_values in per_student(columns, values):
        if mine[0].student in redo or _fractional(mine_values):
            fractional.append(mine)
            continue
        held = [c for c, v in zip(mine, mine_values, strict=True) if v > 0.5]
        chosen += held
        for column in held:
            used[column.seats] += 1
    if fractional:
        placed = _place_exactly(prep, fractional, used)
        if placed is None:
            return None
        chosen += placed
    return chosen


def _widened(
    columns: list[list[Column]], values: list[float], redo: frozenset[str]
) -> frozenset[str]:
    """`redo` and the fractional students, with every student holding seats they could use."""
    students = per_student(columns, values)
    moving = [mine for mine, v in students if mine[0].student in redo or _fractional(v)]
    wanted = {column.seats for mine in moving for column in mine}
    holders = {
        column.student
        for mine, mine_values in students
        for column, value in zip(mine, mine_values, strict=True)
        if value > 0.5 and column.seats in wanted
    }
    return redo | holders | {mine[0].student for mine in moving}


def per_student(columns: list[list[Column]], values: list[T]) -> list[tuple[list[Column], list[T]]]:
    """Each student's columns with their values or variables (given in column order)."""
    result = []
    position = 0
    for mine in columns:
        result.append((mine, values[position : position + len(mine)]))
        position += len(mine)
    return result


def _fractional(values: list[float]) -> bool:
    return any(INTEGRAL < v < 1 - INTEGRAL for v in values)


def _dealt(prep: Prepared, chosen: list[Column]) -> dict[str, list[str]]:
    """Slots for the chosen columns: a group's holders take its slots while seats last
    (the LP kept the group's holders within its total capacity)."""
    left = {slot.id: slot.capacity for slot in prep.scenario.slots}
    result: dict[str, list[str]] = defaultdict(list)
    for column in sorted(chosen, key=lambda c: (c.seats, c.student)):
        slot = next(s for s in column.seats if left[s] > 0)
        left[slot] -= 1
        result[column.student].append(slot)
    return dict(result)


def _place_exactly(
    prep: Prepared, students: list[list[Column]], used: dict[tuple[str, ...], int]
) -> list[Column] | None:
    """The students' columns chosen by CP-SAT, in the seats left: most placements, then
    least rank, then least travel."""
    model = cp_model.CpModel()
    capacity = {slot.id: slot.capacity for slot in prep.scenario.slots}
    by_seats: dict[tuple[str, ...], list[cp_model.IntVar]] = defaultdict(list)
    chosen_vars: list[tuple[Column, cp_model.IntVar]] = []
    placements, ranks, travels = [], [], []
    most_travel = 1 + sum(
        prep.students[mine[0].student].count * max(c.option.travel for c in mine)
        for mine in students
    )
    most_rank = 1 + most_travel * sum(
        prep.students[mine[0].student].count * max(c.option.rank for c in mine) for mine in students
    )
    for mine in students:
        info = prep.students[mine[0].student]
        variables = [model.new_bool_var("") for _ in mine]
        for column, var in zip(mine, variables, strict=True):
            by_seats[column.seats].append(var)
            chosen_vars.append((column, var))
            placements.append(var)
            ranks.append(column.option.rank * var)
            travels.append(column.option.travel * var)
        _exact_rows(model, prep, info, mine, variables)
    for seats, variables in by_seats.items():
        model.add(sum(variables) <= sum(capacity[s] for s in seats) - used.get(seats, 0))
    model.maximize(most_rank * sum(placements) - most_travel * sum(ranks) - sum(travels))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = ROUNDING_SECONDS
    solver.parameters.num_workers = 1
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [column for column, var in chosen_vars if solver.value(var)]


def _exact_rows(
    model: cp_model.CpModel,
    prep: Prepared,
    info: StudentInfo,
    mine: list[Column],
    variables: list[cp_model.IntVar],
) -> None:
    """The rows of `_student_rows` on booleans."""
    for positions, weights, most in _limits(prep, info, mine):
        model.add(sum(w * variables[i] for i, w in zip(positions, weights, strict=True)) <= most)
