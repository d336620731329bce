"""An upper bound on IPE attendance that sees what binds sessions: an LP relaxation.

Counting one session per student and activity (`solver.warm.attendance_ceiling`) ignores
that a session holds at most `max_teams` teams of `max_size`, that every team needs its
profession minimums, that a facilitator-session serves `teams_per_facilitator` teams (each
facilitator in one of the sessions running together and in at most `max_sessions`), and
that a room holds one session at a time. On a term where facilitators are short that
ceiling was twice the truth. This LP keeps all of those as linear rows over continuous
variables, so every schedule is a point of it and its optimum (rounded down) is a bound:

- x[c, s]: members of IPE class c attending session s (one session per activity each, at
  most one of the sessions running together);
- t[s]: teams of s: min_size*t <= attendees <= max_size*t, profession p between min_p*t and
  max_p*t, t <= max_teams, and t / max_teams summed over sessions running together in one
  room <= 1 (at most one is held);
- f[s, g]: facilitators of group g in s: t <= teams_per_facilitator * sum_g f, with each
  group's cliques and `max_sessions` limits as in `solver.rules.facilitators`.
- at least `min_professions` professions per team: sum over professions of min(n_p, t) >=
  min_professions * t, with one s_p <= n_p, s_p <= t per profession.
Placements are left out (the coverage bound adds their own relaxation): dropping rows only
loosens the bound.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.linear_solver import pywraplp

from solver.cliques import running_together
from solver.lp_rows import add_row, ones, set_objective
from solver.prepare import Prepared
from solver.staffing import facilitator_groups

SAFETY = 1e-6
"""Slack before rounding the LP optimum down: GLOP's answer is exact to about 1e-9 here."""


def ipe_attendance_bound(prep: Prepared) -> int | None:
    """The LP bound on attendances (None when the LP could not be solved: no bound)."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    attend = add_ipe_rows(lp, prep)
    if not attend:
        return 0
    set_objective(lp, ones(attend.values()), maximize=True)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return int(lp.Objective().Value() + SAFETY)


def add_ipe_rows(lp: pywraplp.Solver, prep: Prepared) -> dict[tuple[int, str], pywraplp.Variable]:
    """The IPE part of the relaxation in `lp`: x[c, s] by (class index, session), with the
    team, room and facilitator rows."""
    attend = _attendance_columns(lp, prep)
    if attend:
        teams = _team_rows(lp, prep, attend)
        _room_rows(lp, prep, teams)
        _facilitator_rows(lp, prep, teams)
    return attend


def _attendance_columns(
    lp: pywraplp.Solver, prep: Prepared
) -> dict[tuple[int, str], pywraplp.Variable]:
    """x[c, s] with one session per activity and per moment for each class member."""
    cliques = running_together(prep.sessions.values())
    attend: dict[tuple[int, str], pywraplp.Variable] = {}
    for ipe_class in prep.classes:
        size = len(ipe_class.students)
        free = {s for sessions in ipe_class.free_sessions.values() for s in sessions}
        for sessions in ipe_class.free_sessions.values():
            for session in sessions:
                attend[ipe_class.index, session] = lp.NumVar(0, size, "")
            if len(sessions) > 1:
                add_row(lp, ones(attend[ipe_class.index, s] for s in sessions), high=size)
        for clique in cliques:
            together = sorted(clique & free)
            if len(together) > 1:
                add_row(lp, ones(attend[ipe_class.index, s] for s in together), high=size)
    return attend


def _team_rows(
    lp: pywraplp.Solver, prep: Prepared, attend: dict[tuple[int, str], pywraplp.Variable]
) -> dict[str, pywraplp.Variable]:
    """t[s] for every session someone can attend, with the team rule's size rows."""
    profession = {c.index: c.profession for c in prep.classes}
    by_session: dict[str, list[tuple[str, pywraplp.Variable]]] = defaultdict(list)
    for (class_index, session), column in attend.items():
        by_session[session].append((profession[class_index], column))
    teams: dict[str, pywraplp.Variable] = {}
    for session, columns in by_session.items():
        info = prep.sessions[session]
        rule = prep.activities[info.activity].team
        used = lp.NumVar(0, info.max_teams, "")
        teams[session] = used
        total = ones(column for _, column in columns)
        add_row(lp, [*total, (used, -rule.max_size)], high=0)
        add_row(lp, [*total, (used, -rule.min_size)], low=0)
        for code, limit in rule.professions.items():
            members = ones(column for p, column in columns if p == code)
            if limit.min:
                add_row(lp, [*members, (used, -limit.min)], low=0)
            if limit.max is not None:
                add_row(lp, [*members, (used, -limit.max)], high=0)
        if rule.min_professions > 1:
            _distinct_professions_rows(lp, columns, used, rule.min_professions)
    return teams


def _distinct_professions_rows(
    lp: pywraplp.Solver,
    columns: list[tuple[str, pywraplp.Variable]],
    used: pywraplp.Variable,
    least: int,
) -> None:
    """Every team has `least` professions, so sum_p min(n_p, t) >= least * t: with
    s_p <= n_p and s_p <= t (the same conditions as `solver.rules.teams`)."""
    spreads = []
    for code in sorted({p for p, _ in columns}):
        spread = lp.NumVar(0, lp.infinity(), "")
        members = ones((column for p, column in columns if p == code), -1.0)
        add_row(lp, [(spread, 1.0), *members], high=0)
        add_row(lp, [(spread, 1.0), (used, -1.0)], high=0)
        spreads.append(spread)
    add_row(lp, [*ones(spreads), (used, -least)], low=0)


def _room_rows(lp: pywraplp.Solver, prep: Prepared, teams: dict[str, pywraplp.Variable]) -> None:
    """One room, one session at a time: held shares of sessions running together <= 1."""
    by_room: dict[str, list] = defaultdict(list)
    for session in teams:
        by_room[prep.sessions[session].room].append(prep.sessions[session])
    for sessions in by_room.values():
        for clique in running_together(sessions):
            shares = [
                (teams[s], 1.0 / prep.sessions[s].max_teams)
                for s in sorted(clique)
                if prep.sessions[s].max_teams > 0
            ]
            if len(shares) > 1:
                add_row(lp, shares, high=1)


def _facilitator_rows(
    lp: pywraplp.Solver, prep: Prepared, teams: dict[str, pywraplp.Variable]
) -> None:
    """Enough facilitator-sessions for the teams, within each group's limits."""
    staffed = [
        s for s in teams if prep.activities[prep.sessions[s].activity].teams_per_facilitator > 0
    ]
    staff: dict[str, list] = defaultdict(list)
    groups = facilitator_groups(prep, staffed)
    for group in groups:
        columns = {s: lp.NumVar(0, group.size, "") for s in sorted(group.sessions)}
        for session, column in columns.items():
            staff[session].append(column)
        for clique in running_together(prep.sessions[s] for s in group.sessions):
            if len(clique) > 1:
                add_row(lp, ones(columns[s] for s in sorted(clique)), high=group.size)
        if group.max_sessions is not None:
            add_row(lp, ones(columns.values()), high=group.size * group.max_sessions)
    for session in staffed:
        per = prep.activities[prep.sessions[session].activity].teams_per_facilitator
        add_row(lp, [(teams[session], 1.0), *ones(staff[session], -per)], high=0)
