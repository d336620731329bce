"""From solver values to an `ipe-schedule/1`: which students fill the counted seats.

The model counts interchangeable students; here they are named. Within a class and
placement pattern, who attends is drawn by a seeded shuffle per activity, so no student is
left out because of where their id sorts. Every unmet need is then explained by
`solver.explain.annotate` (reasons per entry, group causes, conflicting rules).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from ortools.sat.python import cp_model

from scheduler.domain.metrics import schedule_metrics
from scheduler.domain.schedule import (
    ObjectiveResult,
    Placement,
    Schedule,
    SessionAssignment,
    SolveInfo,
    Team,
    Unassigned,
)
from solver.explain import annotate
from solver.model import Pattern, TermModel
from solver.prepare import IpeClass
from solver.stability import previous_of, seat
from solver.staffing import name_facilitators

ValueOf = Callable[[cp_model.IntVar], int]


def snapshot(model: TermModel, solver: cp_model.CpSolver) -> dict[int, int]:
    """The current solution's value of every variable, by variable index."""
    return {var.index: int(solver.value(var)) for var in model.all_variables()}


def read_schedule(
    model: TermModel,
    values: dict[int, int],
    status: str,
    objectives: list[ObjectiveResult],
    info: SolveInfo,
    deadline: float | None = None,
) -> Schedule:
    """Name the students behind every count and list every unmet need (explained until
    `deadline`, see `solver.explain.annotate`)."""
    value: ValueOf = lambda var: values.get(var.index, 0)  # noqa: E731
    placements = _placements(model, value)
    held = defaultdict(set)
    for placement in placements:
        held[placement.student].add(placement.slot)
    attendance = _attendance(model, value, held, info.seed or 0)
    sessions = _sessions(model, value, attendance)
    schedule = Schedule(
        term=model.prep.scenario.term.id,
        status=status,  # type: ignore[arg-type]
        objectives=objectives,
        sessions=sessions,
        placements=placements,
        unassigned=_unassigned(model, attendance, held),
        solve=info,
    )
    metrics = schedule_metrics(model.prep.scenario, schedule)
    return annotate(model.prep, schedule.model_copy(update={"metrics": metrics}), deadline)


def _placements(model: TermModel, value: ValueOf) -> list[Placement]:
    return [
        Placement(student=student, slot=slot)
        for (student, slot), var in model.place.items()
        if value(var)
    ]


def _pattern(model: TermModel, ipe_class: IpeClass, student: str, held: set[str]) -> Pattern:
    """The student's held periods among those that clash with the class's sessions."""
    slot_period = {o.slot: o.period for o in model.prep.students[student].options}
    return frozenset(slot_period[s] for s in held) & frozenset(ipe_class.relevant_periods)


def _attendance(
    model: TermModel, value: ValueOf, held: dict[str, set[str]], seed: int
) -> dict[str, dict[str, str]]:
    """session attended per student and activity."""
    result: dict[str, dict[str, str]] = defaultdict(dict)
    previous = previous_of(model.prep)  # repair: keepers are seated first (solver.stability)
    for ipe_class in model.prep.classes:
        pools: dict[Pattern, list[str]] = defaultdict(list)
        for student in ipe_class.students:
            pools[_pattern(model, ipe_class, student, held[student])].append(student)
        for pattern, pool in pools.items():
            for activity, sessions in ipe_class.free_sessions.items():
                order = sorted(pool)
                random.Random(f"{seed}:{ipe_class.index}:{activity}").shuffle(order)
                counts = []
                for session in sessions:
                    var = model.attend.get((ipe_class.index, pattern, session))
                    counts.append((session, value(var) if var is not None else 0))
                key_of = None
                if previous is not None:
                    key_of = partial(previous.key, activity=activity, free=sessions)
                for student, session in seat(order, counts, key_of):
                    result[student][activity] = session
    return result


def _sessions(
    model: TermModel, value: ValueOf, attendance: dict[str, dict[str, str]]
) -> list[SessionAssignment]:
    attendees: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    students = model.prep.students
    for student, by_activity in sorted(attendance.items()):
        for session in by_activity.values():
            attendees[session][students[student].profession].append(student)
    result = []
    named = _named_facilitators(model, value)
    for session_id, info in model.prep.sessions.items():
        if session_id not in attendees:
            continue
        teams = _teams(model, value, session_id, attendees[session_id])
        facilitators = named.get(session_id, [])
        result.append(
            SessionAssignment(
                session=session_id, activity=info.activity, facilitators=facilitators, teams=teams
            )
        )
    return result


def _named_facilitators(model: TermModel, value: ValueOf) -> dict[str, list[str]]:
    """Facilitators named from the group counts; on a repair the previous ones stay where
    they can."""
    counts = {key: value(var) for key, var in model.staff.items()}
    previous = previous_of(model.prep)
    preferred = previous.facilitators if previous is not None else None
    return name_facilitators(model.prep.sessions, model.facilitator_groups, counts, preferred)


def _teams(
    model: TermModel, value: ValueOf, session: str, by_profession: dict[str, list[str]]
) -> list[Team]:
    teams = model.teams.get(session)
    count = value(teams.count) if teams is not None else 0
    if count <= 0:
        raise RuntimeError(f"session {session} has attendees but no team")
    return [
        Team(id=f"{session}-T{k + 1}", students=sorted(members))
        for k, members in enumerate(deal_teams(by_profession, count))
    ]


def deal_teams(by_profession: dict[str, list[str]], count: int) -> list[list[str]]:
    """Deal attendees round-robin into `count` teams, professions with fewer than `count`
    attendees first: sizes and per-profession counts then differ by at most one, and each
    such profession lands in distinct teams (see `solver.rules.teams`)."""
    order = sorted(by_profession, key=lambda p: (len(by_profession[p]) >= count, p))
    teams: list[list[str]] = [[] for _ in range(count)]
    position = 0
    for profession in order:
        for student in by_profession[profession]:
            teams[position % count].append(student)
            position += 1
    return teams


def _unassigned(
    model: TermModel, attendance: dict[str, dict[str, str]], held: dict[str, set[str]]
) -> list[Unassigned]:
    """Every unmet need, without reasons yet (`solver.explain.annotate` adds them)."""
    result = []
    for student, info in model.prep.students.items():
        for activity in info.activities:
            if activity not in attendance.get(student, {}):
                result.append(Unassigned(student=student, activity=activity))
        missing = info.count - len(held.get(student, ()))
        if info.requirement is not None and missing > 0:
            key = info.requirement.key
            result += [Unassigned(student=student, requirement=key) for _ in range(missing)]
    return result
