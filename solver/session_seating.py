"""Attendees of one activity seated in its held sessions, with how many teams each forms.

`solver.session_groups` chooses, by LP, which group of an activity's sessions each
attendee should sit in (sessions clashing with the same placement periods); here a small
CP-SAT model makes that exact. Attendees alike (profession, sessions they may attend, cost
of each group, newcomer or not) are one class; the model counts how many of a class sit
in each session and how many teams each session forms, under the joint model's exact
team conditions (`solver.rules.teams.add_team_conditions`), which the round-robin deal of
`solver.readout.deal_teams` turns into valid teams. A session never forms more teams than
it held before, so its room and facilitators still suffice; it may form fewer (its
facilitators are trimmed) or none. The objective shuts as few of the LP's placements as
it can; the former seating is the hint, so a solution exists from the start.

On the 5,000 term the simulation (2,077 attendees, 115 held sessions) makes 23 classes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain.scenario import TeamRule
from solver.readout import deal_teams
from solver.rules.teams import add_team_conditions

SEATING_SECONDS = 5.0
NEWCOMER_REWARD = 3
"""What seating a newcomer is worth against the costs: under the 4 steps of one placement
shut (`solver.session_groups.COST_STEPS`), so nobody loses a placement for them: the
placements must all be kept."""


@dataclass(frozen=True)
class Attendee:
    """An attendee as the seating sees them: `sessions` they may sit in, and the cost of
    each group (by the LP: 0 where the LP put them whole)."""

    id: str
    profession: str
    sessions: tuple[str, ...]
    costs: tuple[tuple[frozenset[str], int], ...]
    optional: bool = False
    """A newcomer: seated when that costs the others less than one placement shut."""


@dataclass(frozen=True)
class Seating:
    """Teams per session (an empty list: the session is no longer held)."""

    teams: dict[str, list[list[str]]]


def seat(
    rule: TeamRule,
    team_limits: Mapping[str, int],
    group_of: Mapping[str, frozenset[str]],
    attendees: Sequence[Attendee],
    former: Mapping[str, str],
    seconds: float = SEATING_SECONDS,
) -> Seating | None:
    """Every attendee in one of their sessions, as many optional ones as fit, each session
    at most `team_limits` teams, least total group cost; `former` (attendee -> session) is
    a valid seating of the others to start from. None when CP-SAT finds nothing in time."""
    classes = _classes(attendees)
    model = cp_model.CpModel()
    counts: dict[tuple[int, str], cp_model.IntVar] = {}
    by_session: dict[str, dict[str, list[cp_model.IntVar]]] = defaultdict(lambda: defaultdict(list))
    cost_terms = []
    newcomers = []
    for index, members in enumerate(classes):
        first = members[0]
        costs = dict(first.costs)
        mine = []
        for session in first.sessions:
            var = model.new_int_var(0, len(members), "")
            counts[index, session] = var
            by_session[session][first.profession].append(var)
            mine.append(var)
            cost_terms.append(costs.get(group_of[session], 0) * var)
        if first.optional:
            model.add(sum(mine) <= len(members))
            newcomers += mine
        else:
            model.add(sum(mine) == len(members))
    teams = {s: model.new_int_var(0, most, "") for s, most in team_limits.items()}
    for session, count in teams.items():
        attending = {p: sum(v) for p, v in by_session[session].items()}
        add_team_conditions(model, rule, count, team_limits[session], attending, session)
    model.minimize(sum(cost_terms) - NEWCOMER_REWARD * sum(newcomers))
    _hint(model, classes, counts, former)
    for session, var in teams.items():
        model.add_hint(var, team_limits[session])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _named(classes, counts, {s: solver.value(t) for s, t in teams.items()}, solver)


def _classes(attendees: Sequence[Attendee]) -> list[list[Attendee]]:
    alike: dict[tuple, list[Attendee]] = defaultdict(list)
    for attendee in attendees:
        key = (attendee.profession, attendee.sessions, attendee.costs, attendee.optional)
        alike[key].append(attendee)
    return list(alike.values())


def _hint(
    model: cp_model.CpModel,
    classes: list[list[Attendee]],
    counts: dict[tuple[int, str], cp_model.IntVar],
    former: Mapping[str, str],
) -> None:
    for index, members in enumerate(classes):
        sitting: dict[str, int] = defaultdict(int)
        for member in members:
            if member.id in former:
                sitting[former[member.id]] += 1
        for session in members[0].sessions:
            model.add_hint(counts[index, session], sitting.get(session, 0))


def _named(
    classes: list[list[Attendee]],
    counts: dict[tuple[int, str], cp_model.IntVar],
    team_counts: dict[str, int],
    solver: cp_model.CpSolver,
) -> Seating:
    """Members of each class dealt to sessions by the counts, then into teams."""
    by_session: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for index, members in enumerate(classes):
        queue = sorted(m.id for m in members)
        for session in members[0].sessions:
            for _ in range(solver.value(counts[index, session])):
                by_session[session][members[0].profession].append(queue.pop())
    teams = {}
    for session, count in team_counts.items():
        people = by_session.get(session, {})
        teams[session] = deal_teams(dict(people), count) if count else []
    return Seating(teams)


def facilitators_needed(teams: int, per: int, former: int) -> int:
    """Facilitators a session keeps: enough for its teams when they are counted per
    facilitator, else all it had while held."""
    if teams == 0:
        return 0
    return math.ceil(teams / per) if per > 0 else former
