"""Rule 3: each session's attendees split into at most `max_teams` teams that obey the
activity's team rule (size, per-profession min/max, distinct professions).

Teams inside a session are interchangeable, so they are ordered (used teams first, larger
first): the model holds per-team profession counts, never student x team booleans.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from scheduler.domain.scenario import TeamRule
from solver.model import TeamVars, TermModel


def add(model: TermModel) -> None:
    """Create ordered team variables per session and tie them to the attendance counts."""
    attendees = _attendees_by_session(model)
    for session_id, info in model.prep.sessions.items():
        by_profession = attendees.get(session_id, {})
        activity = model.prep.activities[info.activity]
        eligible = sum(upper for _, upper in _flatten(by_profession))
        team_count = min(info.max_teams, eligible // max(activity.team.min_size, 1))
        professions = [p for p in activity.professions if p in by_profession]
        teams = [
            _team(model, session_id, k, activity.team, professions) for k in range(team_count)
        ]
        model.teams[session_id] = teams
        _order(model, teams)
        for profession, counts in by_profession.items():
            members = [t.members[profession] for t in teams if profession in t.members]
            model.cp.add(sum(v for v, _ in counts) == sum(members))


def _attendees_by_session(model: TermModel) -> dict[str, dict[str, list]]:
    """attendance variables (with their upper bounds) per session and profession."""
    result: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    classes = model.prep.classes
    for (class_index, _pattern, session), var in model.attend.items():
        ipe_class = classes[class_index]
        result[session][ipe_class.profession].append((var, len(ipe_class.students)))
    return result


def _flatten(by_profession: dict[str, list]) -> list:
    return [item for items in by_profession.values() for item in items]


def _team(
    model: TermModel, session: str, k: int, rule: TeamRule, professions: list[str]
) -> TeamVars:
    cp = model.cp
    used = cp.new_bool_var(f"team_used[{session},{k}]")
    size = cp.new_int_var(0, rule.max_size, f"team_size[{session},{k}]")
    members = {}
    for profession in professions:
        limit = rule.professions.get(profession)
        low = limit.min if limit else 0
        high = min(rule.max_size, limit.max if limit and limit.max is not None else rule.max_size)
        var = cp.new_int_var(0, high, f"team_members[{session},{k},{profession}]")
        cp.add(var <= high * used)
        cp.add(var >= low * used)
        members[profession] = var
    for code, limit in rule.professions.items():
        if limit.min > 0 and code not in members:
            cp.add(used == 0)
    cp.add(size == sum(members.values()))
    cp.add(size >= rule.min_size * used)
    cp.add(size <= rule.max_size * used)
    _distinct_professions(cp, session, k, rule, members, used)
    return TeamVars(used=used, size=size, members=members)


def _distinct_professions(
    cp: cp_model.CpModel,
    session: str,
    k: int,
    rule: TeamRule,
    members: dict[str, cp_model.IntVar],
    used: cp_model.IntVar,
) -> None:
    """At least `min_professions` professions present; required ones count for free."""
    required = [p for p in members if (rule.professions.get(p) and rule.professions[p].min > 0)]
    if rule.min_professions <= len(required):
        return
    present = []
    for profession, var in members.items():
        if profession in required:
            continue
        flag = cp.new_bool_var(f"team_has[{session},{k},{profession}]")
        cp.add(var >= 1).only_enforce_if(flag)
        present.append(flag)
    cp.add(sum(present) + len(required) >= rule.min_professions * used)


def _order(model: TermModel, teams: list[TeamVars]) -> None:
    """Break the symmetry between interchangeable teams: used first, larger first."""
    for first, second in zip(teams, teams[1:], strict=False):
        model.cp.add_implication(second.used, first.used)
        model.cp.add(first.size >= second.size)
