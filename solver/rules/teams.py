"""Rule 3: each session's attendees split into at most `max_teams` teams that obey the
activity's team rule (size, per-profession min/max, distinct professions).

Teams inside a session are interchangeable, so the model never builds them: it keeps the
session's team count T and its attendees per profession n_p, under conditions that are
exactly those under which teams exist:
  T*min_size <= sum(n_p) <= T*max_size,  T*min_p <= n_p <= T*max_p,
  sum_p min(n_p, T) >= T*min_professions.
Sufficiency is constructive (`deal_teams`): deal the professions with n_p < T first, then
the others, round-robin over the T teams. Sizes and per-profession counts then differ by at
most one between teams and each profession with n_p < T sits in n_p distinct teams.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from ortools.sat.python import cp_model

from scheduler.domain.scenario import TeamRule
from solver.model import SessionTeams, TermModel


def add(model: TermModel) -> None:
    """Create the team count of every session and tie it to the attendance counts."""
    attendees = _attendees_by_session(model)
    for session_id, info in model.prep.sessions.items():
        by_profession = attendees.get(session_id, {})
        activity = model.prep.activities[info.activity]
        rule = activity.team
        eligible = sum(upper for items in by_profession.values() for _, upper in items)
        most = min(info.max_teams, eligible // max(rule.min_size, 1))
        if most <= 0:
            for items in by_profession.values():
                for var, _ in items:
                    model.cp.add(var == 0)
            continue
        model.teams[session_id] = _session_teams(model, session_id, most, rule, by_profession)


def _attendees_by_session(model: TermModel) -> dict[str, dict[str, list]]:
    """Attendance variables (with their upper bounds) per session and profession."""
    result: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    classes = model.prep.classes
    for (class_index, _pattern, session), var in model.attend.items():
        ipe_class = classes[class_index]
        result[session][ipe_class.profession].append((var, len(ipe_class.students)))
    return result


def _session_teams(
    model: TermModel, session: str, most: int, rule, by_profession: dict[str, list]
) -> SessionTeams:
    cp = model.cp
    count = cp.new_int_var(0, most, f"team_count[{session}]")
    used = cp.new_bool_var(f"session_held[{session}]")
    cp.add(count >= used)
    cp.add(count <= most * used)
    members = {p: sum(var for var, _ in items) for p, items in by_profession.items()}
    present = add_team_conditions(cp, rule, count, most, members, session)
    return SessionTeams(
        count=count,
        used=used,
        members=members,
        size=sum(members.values()),
        most=most,
        spreads=present,
    )


def add_team_conditions(
    cp: cp_model.CpModel,
    rule: TeamRule,
    count: cp_model.IntVar,
    most: int,
    members: Mapping[str, cp_model.LinearExprT],
    label: str = "",
) -> dict[str, cp_model.IntVar]:
    """The module's conditions for `count` teams (at most `most`) of `members` per
    profession; returns per profession the teams holding it (the min(n_p, T) terms).
    Also used by `solver.session_seating`."""
    present: dict[str, cp_model.IntVar] = {}
    for profession, n in members.items():
        limit = rule.professions.get(profession)
        high = (
            rule.max_size if limit is None or limit.max is None else min(limit.max, rule.max_size)
        )
        cp.add(n <= high * count)
        if limit is not None and limit.min > 0:
            cp.add(n >= limit.min * count)
        spread = cp.new_int_var(0, most, f"teams_with[{label},{profession}]")
        cp.add(spread <= n)
        cp.add(spread <= count)
        present[profession] = spread
    for code, limit in rule.professions.items():
        if limit.min > 0 and code not in members:
            cp.add(count == 0)
    size = sum(members.values())
    cp.add(size >= rule.min_size * count)
    cp.add(size <= rule.max_size * count)
    if rule.min_professions > 1:
        cp.add(sum(present.values()) >= rule.min_professions * count)
    return present
