"""Who sits in which sessions of a clashing activity, re-chosen with the placements by LP.

A session that clashes with a placement period shuts that period to its attendees, so
which attendees get the sessions that leave a period free decides who may be placed in
it. The greedy sessions decide that before the placements are known, and with team sizes
averaged over the activity (5,000 term: the week-6 simulations leave P2 free; 758 of
2,077 attendees fit there, while full teams there would seat about 910). Here one LP
(`solver.placement_lp` plus the rows below) chooses for each attendee a *group* of the
activity's held sessions (those clashing with the same periods) together with the
placements: a placement in period p needs a group that leaves p free, and each session's
make-up follows the team rule for a number of teams up to the one it had (so its room and
facilitators still suffice), the rule's min over professions written as the usual LP
linearisation. Participants who attend none of the activity's sessions may come in where
the LP makes room (attendance weighs more than any rank sum). `solver.session_seating`
then seats everyone exactly (CP-SAT, shutting as few LP placements as it can), and the
placements the new sessions shut are re-placed exactly (`solver.placement_lp.rounded`).
5,000 term: the LP's rank sum with each session's make-up fixed was 13,222; with the
make-up free 13,093.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from scheduler.domain.scenario import TeamRule
from solver.greedy import GreedyState
from solver.options import without_periods
from solver.placement_lp import INTEGRAL, PlacementLp, per_student, rounded
from solver.prepare import Prepared, SlotOption, StudentInfo
from solver.session_seating import Attendee, Seating, facilitators_needed, seat

Group = frozenset[str]
"""A group of an activity's sessions: the periods they clash with."""
COST_STEPS = 4
"""An attendee's cost of a group: the LP placements it shuts, 0 to this many steps a
placement; coarse, so that attendees alike stay one class in the seating."""


@dataclass
class _Activity:
    """An activity whose held sessions fall into two or more groups."""

    id: str
    rule: TeamRule
    per_facilitator: int
    teams: dict[str, int]
    """Per held session, the teams it formed: the most it may form now."""
    group_of: dict[str, Group]
    attendees: list[str]
    newcomers: list[str] = field(default_factory=list)
    """Participants who attend none of its sessions yet but could sit in a held one."""
    sessions_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per attendee and newcomer, the held sessions they may sit in."""
    former: dict[str, str] = field(default_factory=dict)
    """Per attendee, the session they sit in now."""

    @property
    def everyone(self) -> list[str]:
        return self.attendees + self.newcomers

    def choices(self, student: str) -> list[Group]:
        """The groups the student could sit in."""
        return sorted({self.group_of[s] for s in self.sessions_of[student]}, key=sorted)


def regroup(
    prep: Prepared,
    placed: dict[str, list[str]],
    state: GreedyState,
    deadline: float | None = None,
) -> tuple[dict[str, list[str]], GreedyState] | None:
    """Placements and sessions re-chosen together, every attendee and at least as many
    placements kept, and newcomers seated where the LP can make room for them (coverage
    first); None when no activity has two groups, or the LP, the seating or the
    re-placement fails."""
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
    if not problem.solve():
        return None
    seatings = _seatings(prep, activities, problem, z)
    if seatings is None:
        return None
    new_state = _with_sessions(state, activities, seatings)
    if _double_booked(prep, new_state):
        return None
    placements = _placements(prep, problem, new_state)
    return None if placements is None else (placements, new_state)


def _activities(prep: Prepared, state: GreedyState) -> list[_Activity]:
    """Activities with held sessions in two or more groups, with who attends them."""
    result = []
    for info in prep.activities.values():
        held = [s for s in info.sessions if state.teams.get(s)]
        group_of = {s: frozenset(prep.sessions[s].clash_periods) for s in held}
        if len(set(group_of.values())) < 2:
            continue
        former = {
            student: session
            for student, sessions in state.sessions_of.items()
            for session in sessions
            if session in group_of
        }
        activity = _Activity(
            info.id,
            info.team,
            info.teams_per_facilitator,
            {s: len(state.teams[s]) for s in held},
            group_of,
            sorted(former),
            former=former,
        )
        for student in activity.attendees:
            activity.sessions_of[student] = _eligible(prep, state, activity, student)
        for student in sorted(prep.students):
            if info.id in prep.students[student].activities and student not in former:
                eligible = _eligible(prep, state, activity, student)
                if eligible:
                    activity.newcomers.append(student)
                    activity.sessions_of[student] = eligible
        result.append(activity)
    return result


def _eligible(
    prep: Prepared, state: GreedyState, activity: _Activity, student: str
) -> tuple[str, ...]:
    """The held sessions of the activity the student could sit in: free for them, no
    overlap with their sessions of other activities."""
    free = set(prep.students[student].free_sessions.get(activity.id, ()))
    others = [s for s in state.sessions_of.get(student, ()) if s not in activity.group_of]
    return tuple(
        session
        for session in sorted(activity.teams)
        if session in free and not any(o in prep.session_overlaps.get(session, ()) for o in others)
    )


def _fixed_sessions(state: GreedyState, activities: list[_Activity]) -> dict[str, list[str]]:
    """Per student, the sessions that stay: those of activities not re-chosen."""
    moving = {s for activity in activities for s in activity.group_of}
    return {
        student: [s for s in sessions if s not in moving]
        for student, sessions in state.sessions_of.items()
    }


def _blocked(prep: Prepared, sessions: Sequence[str]) -> set[str]:
    return {p for s in sessions for p in prep.sessions[s].clash_periods}


Choices = dict[tuple[str, str, Group], pywraplp.Variable]


def _group_rows(prep: Prepared, problem: PlacementLp, activities: list[_Activity]) -> Choices:
    """Group variables: each attendee in exactly one group, a placement in a period only
    with a group leaving it free, and each group's attendees of each profession seated in
    its sessions (`_make_up_rows`)."""
    solver = problem.solver
    columns = problem.by_student()
    reward = _attendance_reward(prep, problem)
    z: Choices = {}
    for activity in activities:
        fill: dict[tuple[Group, str], list[pywraplp.Variable]] = defaultdict(list)
        for student in activity.everyone:
            mine = {g: solver.NumVar(0.0, 1.0, "") for g in activity.choices(student)}
            if student in activity.former:
                _equal(solver, list(mine.values()), 1)
            else:
                _at_most_one(solver, list(mine.values()), reward)
            profession = prep.students[student].profession
            for group, var in mine.items():
                z[activity.id, student, group] = var
                fill[group, profession].append(var)
            _couple(solver, columns.get(student, []), mine)
        professions = {prep.students[s].profession for s in activity.everyone}
        seats = _make_up_rows(solver, activity, professions | set(activity.rule.professions))
        for group in set(activity.group_of.values()):
            for profession in professions:
                row = solver.Constraint(0, 0)
                for var in fill.get((group, profession), []):
                    row.SetCoefficient(var, 1)
                for session, var in seats.items():
                    if session[1] == profession and activity.group_of[session[0]] == group:
                        row.SetCoefficient(var, -1)
    return z


def _make_up_rows(
    solver: pywraplp.Solver, activity: _Activity, professions: set[str]
) -> dict[tuple[str, str], pywraplp.Variable]:
    """Per held session, attendees per profession under the team rule for t teams, t at
    most the teams it formed: min_size*t <= n <= max_size*t, the profession limits times
    t, and sum_p m_p >= min_professions*t with m_p <= n_p and m_p <= t."""
    rule = activity.rule
    infinity = solver.infinity()
    seats = {}
    for session, most in activity.teams.items():
        teams = solver.NumVar(0.0, most, "")
        low = solver.Constraint(0, infinity)
        high = solver.Constraint(-infinity, 0)
        distinct = solver.Constraint(0, infinity)
        low.SetCoefficient(teams, -rule.min_size)
        high.SetCoefficient(teams, -rule.max_size)
        distinct.SetCoefficient(teams, -rule.min_professions)
        for profession in sorted(professions):
            limit = rule.professions.get(profession)
            top = rule.max_size if limit is None or limit.max is None else limit.max
            n = seats[session, profession] = solver.NumVar(0.0, min(top, rule.max_size) * most, "")
            low.SetCoefficient(n, 1)
            high.SetCoefficient(n, 1)
            _at_most(solver, n, teams, min(top, rule.max_size))
            if limit is not None and limit.min:
                _at_most(solver, teams, n, 1 / limit.min)
            spread = solver.NumVar(0.0, most, "")
            _at_most(solver, spread, n, 1)
            _at_most(solver, spread, teams, 1)
            distinct.SetCoefficient(spread, 1)
    return seats


def _at_most(
    solver: pywraplp.Solver, left: pywraplp.Variable, right: pywraplp.Variable, factor: float
) -> None:
    """left <= factor * right."""
    row = solver.Constraint(-solver.infinity(), 0)
    row.SetCoefficient(left, 1)
    row.SetCoefficient(right, -factor)


def _attendance_reward(prep: Prepared, problem: PlacementLp) -> float:
    """What seating a newcomer is worth in the LP's objective: more than any rank sum of
    its placements, so attendance (coverage) comes first."""
    return 1.0 + sum(
        prep.students[mine[0].student].count * max(c.option.rank for c in mine)
        for mine in problem.columns
    )


def _at_most_one(
    solver: pywraplp.Solver, variables: list[pywraplp.Variable], reward: float
) -> None:
    """A newcomer sits in one group or none, each seat earning `reward`."""
    row = solver.Constraint(0, 1)
    objective = solver.Objective()
    for var in variables:
        row.SetCoefficient(var, 1)
        objective.SetCoefficient(var, -reward)


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


def _seatings(
    prep: Prepared, activities: list[_Activity], problem: PlacementLp, z: Choices
) -> dict[str, Seating] | None:
    """Each activity's attendees seated exactly, shutting as few of the LP's placements
    as may be, with the newcomers the LP seated where that shuts none of theirs."""
    mass = _placed_mass(problem)
    result = {}
    for activity in activities:
        attendees = []
        for student in activity.everyone:
            costs = _costs(activity, mass.get(student, {}), student)
            sessions = activity.sessions_of[student]
            newcomer = student not in activity.former
            if newcomer:
                seated = sum(z[activity.id, student, g].solution_value() for g, _ in costs)
                free = {g for g, cost in costs if cost == 0}
                sessions = tuple(s for s in sessions if activity.group_of[s] in free)
                if seated < 0.5 or not sessions:
                    continue
            profession = prep.students[student].profession
            attendees.append(Attendee(student, profession, sessions, costs, optional=newcomer))
        seating = seat(activity.rule, activity.teams, activity.group_of, attendees, activity.former)
        if seating is None:
            return None
        result[activity.id] = seating
    return result


def _placed_mass(problem: PlacementLp) -> dict[str, dict[str, float]]:
    """Per student, the LP's placements per period."""
    result: dict[str, dict[str, float]] = {}
    for student, columns in problem.by_student().items():
        mine: dict[str, float] = defaultdict(float)
        for column, var in columns:
            mine[column.option.period] += var.solution_value()
        result[student] = mine
    return result


def _costs(
    activity: _Activity, mass: dict[str, float], student: str
) -> tuple[tuple[Group, int], ...]:
    """The cost of each of the student's groups: the LP placements it shuts, in steps (a
    group shutting none costs nothing, whatever the LP chose)."""
    return tuple(
        (group, round(COST_STEPS * sum(mass.get(period, 0.0) for period in group)))
        for group in activity.choices(student)
    )


def _with_sessions(
    state: GreedyState, activities: list[_Activity], seatings: dict[str, Seating]
) -> GreedyState:
    """The draft's state with the new teams (newcomers seated included); a session forming
    fewer teams keeps only the facilitators they need (the others are freed)."""
    new = GreedyState()
    moving = {s: a for a in activities for s in a.group_of}
    seated: dict[str, list[str]] = defaultdict(list)
    for seating in seatings.values():
        for session, teams in seating.teams.items():
            for team in teams:
                for student in team:
                    seated[student].append(session)
    for student in sorted(set(state.sessions_of) | set(seated)):
        kept = [s for s in state.sessions_of.get(student, ()) if s not in moving]
        if kept or seated.get(student):
            new.sessions_of[student] = kept + seated.get(student, [])
    for session, teams in state.teams.items():
        if session in moving:
            teams = seatings[moving[session].id].teams.get(session, [])
        if teams:
            new.teams[session] = [list(team) for team in teams]
    new.load.update(state.load)
    for session, facilitators in state.facilitators.items():
        kept = list(facilitators)
        if session in moving:
            activity = moving[session]
            keep = facilitators_needed(
                len(new.teams.get(session, [])), activity.per_facilitator, len(kept)
            )
            for facilitator in kept[keep:]:
                new.load[facilitator] -= 1
            kept = kept[:keep]
        if kept:
            new.facilitators[session] = kept
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
    for mine, mine_values in per_student(problem.columns, problem.values()):
        student = mine[0].student
        blocked = _blocked(prep, state.sessions_of.get(student, ()))
        pairs = list(zip(mine, mine_values, strict=True))
        if any(v > INTEGRAL for c, v in pairs if c.option.period in blocked):
            redo.add(student)
        kept = [(c, v) for c, v in pairs if c.option.period not in blocked]
        if kept:
            columns.append([c for c, _ in kept])
            values += [v for _, v in kept]
    return rounded(prep, columns, values, problem.needed, frozenset(redo))
