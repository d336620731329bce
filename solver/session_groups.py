"""Who sits in which sessions of a clashing activity, re-chosen with the placements by LP.

A session that clashes with a placement period shuts that period to its attendees, so
which attendees get the sessions that leave a period free decides who may be placed in
it. The greedy sessions decide that before the placements are known (5,000 term: the
week-6 simulations leave P2 free; 758 of 2,077 attendees fit there). Here a draft's team
make-up stays (how many of each profession each session holds, so every team rule, room
and facilitator still holds), and one LP (`solver.placement_lp` plus the rows below)
chooses for each attendee a *group* of the activity's sessions (those clashing with the
same periods) together with the placements: a placement in period p needs a group that
leaves p free. Groups are rounded by a transportation flow per profession, each group's
attendees matched to its sessions by a flow, and the placements the new sessions shut
re-placed exactly (`solver.placement_lp.rounded`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp

from solver.greedy import GreedyState
from solver.options import without_periods
from solver.placement_lp import INTEGRAL, PlacementLp, rounded
from solver.prepare import Prepared, SlotOption, StudentInfo

Group = frozenset[str]
"""A group of an activity's sessions: the periods they clash with."""
WEIGHT = 1000
"""LP values are scaled to integer flow costs with this many steps."""


@dataclass
class _Activity:
    """An activity whose held sessions fall into two or more groups."""

    id: str
    seats: dict[str, dict[str, int]]
    """Per held session, attendees per profession (the draft's team make-up)."""
    group_of: dict[str, Group]
    attendees: list[str]
    choices: dict[str, list[Group]] = field(default_factory=dict)
    """Per attendee, the groups they could sit in (a free session with a seat of theirs)."""

    def group_seats(self, group: Group, profession: str) -> int:
        return sum(
            counts.get(profession, 0)
            for session, counts in self.seats.items()
            if self.group_of[session] == group
        )


def regroup(
    prep: Prepared,
    placed: dict[str, list[str]],
    state: GreedyState,
    deadline: float | None = None,
) -> tuple[dict[str, list[str]], GreedyState] | None:
    """Placements and sessions re-chosen together, every attendee and at least as many
    placements kept; None when no activity has two groups, or the LP, a rounding or a
    matching fails."""
    activities = _activities(prep, state)
    if not activities:
        return None
    fixed = _fixed_sessions(state, activities)

    def allowed(info: StudentInfo) -> Sequence[SlotOption]:
        return without_periods(info.all_options, _blocked(prep, fixed.get(info.id, ())))

    problem = PlacementLp.of(prep, placed, allowed, deadline)
    if problem is None:
        return None
    z = _group_rows(prep, problem, activities)
    if z is None or not problem.solve():
        return None
    sessions_of = _assigned(prep, state, activities, z)
    if sessions_of is None:
        return None
    new_state = _with_sessions(prep, state, activities, sessions_of)
    if _double_booked(prep, new_state):
        return None
    placements = _placements(prep, problem, new_state)
    return None if placements is None else (placements, new_state)


def _activities(prep: Prepared, state: GreedyState) -> list[_Activity]:
    """Activities with held sessions in two or more groups, with who attends them."""
    result = []
    for activity in prep.activities.values():
        held = [s for s in activity.sessions if state.teams.get(s)]
        group_of = {s: frozenset(prep.sessions[s].clash_periods) for s in held}
        if len(set(group_of.values())) < 2:
            continue
        seats = {s: _make_up(prep, state.teams[s]) for s in held}
        attendees = sorted(
            student
            for student, sessions in state.sessions_of.items()
            if any(s in group_of for s in sessions)
        )
        result.append(_Activity(activity.id, seats, group_of, attendees))
    for regrouped in result:
        for student in regrouped.attendees:
            regrouped.choices[student] = _choices(prep, state, regrouped, student)
    return result


def _make_up(prep: Prepared, teams: list[list[str]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for team in teams:
        for student in team:
            counts[prep.students[student].profession] += 1
    return dict(counts)


def _eligible(prep: Prepared, state: GreedyState, activity: _Activity, student: str) -> list[str]:
    """The held sessions of the activity the student could sit in: free for them, a seat
    of their profession, no overlap with their sessions of other activities."""
    info = prep.students[student]
    free = set(info.free_sessions.get(activity.id, ()))
    others = [s for s in state.sessions_of.get(student, ()) if s not in activity.group_of]
    return [
        session
        for session, counts in activity.seats.items()
        if session in free
        and counts.get(info.profession, 0) > 0
        and not any(o in prep.session_overlaps.get(session, ()) for o in others)
    ]


def _choices(prep: Prepared, state: GreedyState, activity: _Activity, student: str) -> list[Group]:
    groups = {activity.group_of[s] for s in _eligible(prep, state, activity, student)}
    return sorted(groups, key=sorted)


def _fixed_sessions(state: GreedyState, activities: list[_Activity]) -> dict[str, list[str]]:
    """Per student, the sessions that stay: those of activities not re-chosen."""
    moving = {s for activity in activities for s in activity.group_of}
    return {
        student: [s for s in sessions if s not in moving]
        for student, sessions in state.sessions_of.items()
    }


def _blocked(prep: Prepared, sessions: Sequence[str]) -> set[str]:
    return {p for s in sessions for p in prep.sessions[s].clash_periods}


def _group_rows(
    prep: Prepared, problem: PlacementLp, activities: list[_Activity]
) -> dict[tuple[str, str, Group], pywraplp.Variable] | None:
    """Group variables: each attendee in exactly one group, each group's seats of each
    profession filled, and a placement in a period only with a group leaving it free."""
    solver = problem.solver
    columns = problem.by_student()
    z: dict[tuple[str, str, Group], pywraplp.Variable] = {}
    for activity in activities:
        fill: dict[tuple[Group, str], list[pywraplp.Variable]] = defaultdict(list)
        for student in activity.attendees:
            choices = activity.choices[student]
            if not choices:
                return None
            mine = {g: solver.NumVar(0.0, 1.0, "") for g in choices}
            _equal(solver, list(mine.values()), 1)
            profession = prep.students[student].profession
            for group, var in mine.items():
                z[activity.id, student, group] = var
                fill[group, profession].append(var)
            _couple(solver, columns.get(student, []), mine)
        for group in set(activity.group_of.values()):
            for profession in {prep.students[s].profession for s in activity.attendees}:
                seats = activity.group_seats(group, profession)
                _equal(solver, fill.get((group, profession), []), seats)
    return z


def _equal(solver: pywraplp.Solver, variables: list[pywraplp.Variable], total: int) -> None:
    row = solver.Constraint(total, total)
    for var in variables:
        row.SetCoefficient(var, 1)


def _couple(solver: pywraplp.Solver, columns: list, groups: dict[Group, pywraplp.Variable]) -> None:
    """Placements in period p <= the share of groups that leave p free."""
    by_period: dict[str, list[pywraplp.Variable]] = defaultdict(list)
    for column, var in columns:
        by_period[column.option.period].append(var)
    for period, variables in by_period.items():
        shut = [var for group, var in groups.items() if period in group]
        if not shut:
            continue
        # sum(x in p) <= 1 - sum(z of groups shutting p)
        row = solver.Constraint(-solver.infinity(), 1)
        for var in variables + shut:
            row.SetCoefficient(var, 1)


def _assigned(
    prep: Prepared,
    state: GreedyState,
    activities: list[_Activity],
    z: dict[tuple[str, str, Group], pywraplp.Variable],
) -> dict[tuple[str, str], str] | None:
    """(activity, student) -> session: groups rounded per profession by a flow that keeps
    the LP's choices where it can, then each group's attendees matched to its sessions."""
    result: dict[tuple[str, str], str] = {}
    for activity in activities:
        professions: dict[str, list[str]] = defaultdict(list)
        for student in activity.attendees:
            professions[prep.students[student].profession].append(student)
        for profession, students in professions.items():
            groups = _round_groups(activity, profession, students, z)
            if groups is None:
                return None
            for group in set(groups.values()):
                members = [s for s in students if groups[s] == group]
                seated = _seat(prep, state, activity, profession, group, members)
                if seated is None:
                    return None
                result.update({(activity.id, s): session for s, session in seated.items()})
    return result


def _round_groups(
    activity: _Activity,
    profession: str,
    students: list[str],
    z: dict[tuple[str, str, Group], pywraplp.Variable],
) -> dict[str, Group] | None:
    """Each student's group: a transportation flow over the group seats of the profession,
    cheapest where the LP put most of the student."""
    groups = sorted({g for s in students for g in activity.choices[s]}, key=sorted)
    index = {g: i for i, g in enumerate(groups)}
    tails, heads, caps, costs = [], [], [], []
    for row, student in enumerate(students):
        tails.append(0)
        heads.append(2 + row)
        caps.append(1)
        costs.append(0)
        for group in activity.choices[student]:
            value = z[activity.id, student, group].solution_value()
            tails.append(2 + row)
            heads.append(2 + len(students) + index[group])
            caps.append(1)
            costs.append(round(WEIGHT * (1 - value)))
    for group, i in index.items():
        tails.append(2 + len(students) + i)
        heads.append(1)
        caps.append(activity.group_seats(group, profession))
        costs.append(0)
    flows = _flow(tails, heads, caps, costs, len(students))
    if flows is None:
        return None
    result = {}
    for arc, amount in enumerate(flows):
        if amount and tails[arc] >= 2 and heads[arc] >= 2 + len(students):
            result[students[tails[arc] - 2]] = groups[heads[arc] - 2 - len(students)]
    return result


def _seat(
    prep: Prepared,
    state: GreedyState,
    activity: _Activity,
    profession: str,
    group: Group,
    members: list[str],
) -> dict[str, str] | None:
    """The group's sessions for its members (a seat each of their profession, sessions they
    may attend): a flow, None when some member finds no seat."""
    sessions = [s for s in activity.seats if activity.group_of[s] == group]
    index = {s: i for i, s in enumerate(sessions)}
    tails, heads, caps, costs = [], [], [], []
    for row, student in enumerate(members):
        tails.append(0)
        heads.append(2 + row)
        caps.append(1)
        costs.append(0)
        for session in _eligible(prep, state, activity, student):
            if session in index:
                tails.append(2 + row)
                heads.append(2 + len(members) + index[session])
                caps.append(1)
                costs.append(0)
    for session, i in index.items():
        tails.append(2 + len(members) + i)
        heads.append(1)
        caps.append(activity.seats[session].get(profession, 0))
        costs.append(0)
    flows = _flow(tails, heads, caps, costs, len(members))
    if flows is None:
        return None
    return {
        members[tails[arc] - 2]: sessions[heads[arc] - 2 - len(members)]
        for arc, amount in enumerate(flows)
        if amount and tails[arc] >= 2 and heads[arc] >= 2 + len(members)
    }


def _flow(
    tails: list[int], heads: list[int], caps: list[int], costs: list[int], supply: int
) -> list[int] | None:
    """Flows of a min-cost flow sending `supply` from node 0 to node 1; None if it cannot."""
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails), np.array(heads), np.array(caps), np.array(costs)
    )
    flow.set_node_supply(0, supply)
    flow.set_node_supply(1, -supply)
    if flow.solve() != flow.OPTIMAL:
        return None
    return [int(v) for v in flow.flows(arcs)]


def _with_sessions(
    prep: Prepared,
    state: GreedyState,
    activities: list[_Activity],
    assigned: dict[tuple[str, str], str],
) -> GreedyState:
    """The draft's state with the new attendees: each session's teams keep their make-up,
    members of a profession replaced in order by the session's new ones."""
    new = GreedyState()
    moving = {s: a for a in activities for s in a.group_of}
    for student, sessions in state.sessions_of.items():
        new.sessions_of[student] = [
            assigned.get((moving[s].id, student), s) if s in moving else s for s in sessions
        ]
    incoming: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (_, student), session in sorted(assigned.items()):
        incoming[session, prep.students[student].profession].append(student)
    for session, teams in state.teams.items():
        if session not in moving:
            new.teams[session] = [list(team) for team in teams]
            continue
        queue = {key[1]: list(members) for key, members in incoming.items() if key[0] == session}
        new.teams[session] = [
            [queue[prep.students[s].profession].pop() for s in team] for team in teams
        ]
    new.facilitators.update({s: list(f) for s, f in state.facilitators.items()})
    new.load.update(state.load)
    return new


def _double_booked(prep: Prepared, state: GreedyState) -> bool:
    """Whether a student's new sessions of two re-chosen activities overlap."""
    for sessions in state.sessions_of.values():
        for i, first in enumerate(sessions):
            overlapping = prep.session_overlaps.get(first, ())
            if any(other in overlapping for other in sessions[i + 1 :]):
                return True
    return False


def _placements(
    prep: Prepared, problem: PlacementLp, state: GreedyState
) -> dict[str, list[str]] | None:
    """The LP's placements within the new sessions: students whose LP seats the new
    sessions shut (or that were fractional) are re-placed exactly in the seats left."""
    columns, values, redo = [], [], set()
    all_values = problem.values()
    position = 0
    for mine in problem.columns:
        mine_values = all_values[position : position + len(mine)]
        position += len(mine)
        student = mine[0].student
        blocked = _blocked(prep, state.sessions_of.get(student, ()))
        kept = [
            (c, v) for c, v in zip(mine, mine_values, strict=True) if c.option.period not in blocked
        ]
        if any(
            v > INTEGRAL
            for c, v in zip(mine, mine_values, strict=True)
            if c.option.period in blocked
        ):
            redo.add(student)
        if kept:
            columns.append([c for c, _ in kept])
            values += [v for _, v in kept]
    return rounded(prep, columns, values, problem.needed, frozenset(redo))
