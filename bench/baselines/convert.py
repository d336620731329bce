"""Baseline answers as `ipe-schedule/1` documents, so the product's validator can judge them."""

from __future__ import annotations

from collections.abc import Iterable

from bench.baselines.facts import Facts
from scheduler.domain.schedule import (
    Placement,
    Schedule,
    SessionAssignment,
    SolveInfo,
    Team,
    Unassigned,
)

# session id -> (facilitator ids, teams as lists of student ids)
SessionPlan = dict[str, tuple[list[str], list[list[str]]]]


def to_schedule(
    facts: Facts,
    sessions: SessionPlan,
    placements: Iterable[tuple[str, str]],
    *,
    solver: str,
    seconds: float,
) -> Schedule:
    """A schedule with the given sessions and placements and every unmet need listed."""
    entries = []
    attended: set[tuple[str, str]] = set()
    for session_id in sorted(sessions):
        facilitators, teams = sessions[session_id]
        teams = [sorted(team) for team in teams if team]
        if not teams:
            continue
        activity_id = facts.sessions[session_id][0]
        entries.append(
            SessionAssignment(
                session=session_id,
                activity=activity_id,
                facilitators=sorted(facilitators),
                teams=[Team(id=f"T{n}", students=team) for n, team in enumerate(teams, 1)],
            )
        )
        attended.update((student, activity_id) for team in teams for student in team)
    held: dict[str, int] = {}
    placed = []
    for student_id, slot_id in sorted(set(placements)):
        placed.append(Placement(student=student_id, slot=slot_id))
        held[student_id] = held.get(student_id, 0) + 1
    unassigned = [
        Unassigned(student=student_id, activity=activity_id)
        for activity_id, members in facts.participants.items()
        for student_id in members
        if (student_id, activity_id) not in attended
    ]
    for student_id, requirement in facts.requirement.items():
        missing = requirement.count - held.get(student_id, 0)
        unassigned += [
            Unassigned(student=student_id, requirement=requirement.key) for _ in range(missing)
        ]
    return Schedule(
        term=facts.scenario.term.id,
        status="feasible",
        sessions=entries,
        placements=placed,
        unassigned=unassigned,
        solve=SolveInfo(seconds=round(seconds, 3), solver=solver),
    )
