"""A constructive schedule in seconds, valid by construction, for very large terms.

Placements are given (already valid). Sessions are then filled in time order, one team at
a time: required professions first, then distinct ones, then filled up to `max_size`,
taking within a profession the students with the fewest other sessions to go to. A team
is only opened when the room is free and a facilitator can be added when one is needed.
CP-SAT starts from this when its own first solutions are slow to come (large terms).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from scheduler.domain.scenario import TeamRule
from solver.model import TermModel
from solver.options import options_among
from solver.prepare import Prepared, SessionInfo
from solver.staffing import counts_of


@dataclass
class GreedyState:
    """Who is where so far."""

    sessions_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    teams: dict[str, list[list[str]]] = field(default_factory=lambda: defaultdict(list))
    facilitators: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    load: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def greedy_sessions(
    prep: Prepared,
    placed: dict[str, list[str]],
    wanted: dict[str, frozenset[str]] | None = None,
) -> GreedyState:
    """Fill sessions around the given placements; every hard rule holds. `wanted` names,
    per student, placement periods they would rather keep free (held in a better
    placement plan): among equally scarce students, a session clashing with none of a
    student's wanted periods takes those who want some first, and a clashing one takes them
    last, so the non-clashing sessions go to the students whose placements need them."""
    allowed = _allowed_sessions(prep, placed)
    sizes = _team_sizes(prep)
    state = GreedyState()
    for session in sorted(prep.sessions.values(), key=lambda s: (s.start, s.id)):
        _fill(prep, session, allowed, state, sizes[session.activity], wanted or {})
    return state


@dataclass
class _TeamSizes:
    """Sizes for successive teams of an activity averaging `total / teams` (sizes differ by
    at most one), within the team rule."""

    rule: TeamRule
    total: int
    teams: int
    formed: int = 0

    def next(self) -> int:
        if self.formed >= self.teams:
            return self.rule.max_size
        k = self.formed
        share = (k + 1) * self.total // self.teams - k * self.total // self.teams
        return max(self.rule.min_size, min(self.rule.max_size, share))


def _team_sizes(prep: Prepared) -> dict[str, _TeamSizes]:
    """Per activity, how full to make each team. Full teams (`max_size`) unless a
    profession's per-team cap needs more teams than full ones would make: then teams take
    the average share that makes enough of them (measured on the 5,000-student term: full
    teams of an activity capped at two nurses per team left 339 nurses out)."""
    sizes = {}
    for activity in prep.activities.values():
        rule = activity.team
        members: dict[str, int] = defaultdict(int)
        for info in prep.students.values():
            if info.free_sessions.get(activity.id):
                members[info.profession] += 1
        total = sum(members.values())
        teams = math.ceil(total / rule.max_size) if total else 0
        for profession, limit in rule.professions.items():
            if limit.max:
                teams = max(teams, math.ceil(members.get(profession, 0) / limit.max))
        sizes[activity.id] = _TeamSizes(rule, total, teams)
    return sizes


def _allowed_sessions(prep: Prepared, placed: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Per session, the students who may attend it, with how many sessions of the activity
    each could attend (fewest first is the scarcity order)."""
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for info in prep.students.values():
        held = {o.period for o in options_among(info.options, placed.get(info.id, ())).values()}
        for sessions in info.free_sessions.values():
            usable = [s for s in sessions if not prep.sessions[s].clash_periods & held]
            for session in usable:
                result[session][info.id] = len(usable)
    return result


def _fill(
    prep: Prepared,
    session: SessionInfo,
    allowed: dict[str, dict[str, int]],
    state: GreedyState,
    sizes: _TeamSizes,
    wanted: dict[str, frozenset[str]],
) -> None:
    if not _room_free(prep, session, state):
        return
    activity = prep.activities[session.activity]
    pool = _pool(prep, session, allowed, state, wanted)
    while len(state.teams[session.id]) < session.max_teams:
        if not _facilitator_ready(prep, session, activity.teams_per_facilitator, state):
            break
        team = _team(activity.team, pool, sizes.next())
        if team is None:
            break
        sizes.formed += 1
        state.teams[session.id].append(team)
        for student in team:
            state.sessions_of[student].append(session.id)
    _release_unneeded(session, activity.teams_per_facilitator, state)


def _release_unneeded(session: SessionInfo, per: int, state: GreedyState) -> None:
    """Free the facilitator added for a team that could not be formed: a facilitator of a
    session not held would break the model's `staff <= size * held`."""
    if per <= 0:
        return
    needed = math.ceil(len(state.teams[session.id]) / per)
    while len(state.facilitators[session.id]) > needed:
        state.load[state.facilitators[session.id].pop()] -= 1


def _room_free(prep: Prepared, session: SessionInfo, state: GreedyState) -> bool:
    return not any(
        prep.sessions[other].room == session.room and state.teams.get(other)
        for other in prep.session_overlaps.get(session.id, ())
    )


def _pool(
    prep: Prepared,
    session: SessionInfo,
    allowed: dict[str, dict[str, int]],
    state: GreedyState,
    wanted: dict[str, frozenset[str]],
) -> dict[str, list[str]]:
    """Candidates by profession, scarcest first (then as `wanted` asks, see
    `greedy_sessions`), who are free of their other sessions; each list is taken from its
    end."""
    overlapping = prep.session_overlaps.get(session.id, set())
    clash = session.clash_periods
    by_profession: dict[str, list[tuple[int, bool, str]]] = defaultdict(list)
    for student, choices in allowed.get(session.id, {}).items():
        mine = state.sessions_of.get(student, [])
        if any(prep.sessions[s].activity == session.activity for s in mine):
            continue
        if any(s in overlapping for s in mine):
            continue
        wants = wanted.get(student, frozenset())
        later = bool(wants & clash) if clash else not wants
        by_profession[prep.students[student].profession].append((choices, later, student))
    return {p: [s for *_, s in sorted(c, reverse=True)] for p, c in by_profession.items()}


def _facilitator_ready(prep: Prepared, session: SessionInfo, per: int, state: GreedyState) -> bool:
    """Make sure one more team would still be facilitated, adding a facilitator if needed."""
    if per <= 0:
        return True
    needed = math.ceil((len(state.teams[session.id]) + 1) / per)
    if needed <= len(state.facilitators[session.id]):
        return True
    limits = {f.id: f.max_sessions for f in prep.scenario.facilitators}
    overlapping = prep.session_overlaps.get(session.id, set())
    for facilitator in session.facilitators:
        if facilitator in state.facilitators[session.id]:
            continue
        limit = limits[facilitator]
        if limit is not None and state.load[facilitator] >= limit:
            continue
        if any(facilitator in state.facilitators.get(s, ()) for s in overlapping):
            continue
        state.facilitators[session.id].append(facilitator)
        state.load[facilitator] += 1
        return True
    return False


def _team(rule: TeamRule, pool: dict[str, list[str]], size: int) -> list[str] | None:
    """One valid team of about `size` taken from the pool (pops its members), or None."""
    counts: dict[str, int] = defaultdict(int)
    for profession, limit in rule.professions.items():
        if limit.min > len(pool.get(profession, ())):
            return None
        counts[profession] = limit.min
    if sum(counts.values()) > rule.max_size:
        return None
    distinct = {p for p, n in counts.items() if n > 0}
    for profession in sorted(pool, key=lambda p: -len(pool[p])):
        if len(distinct) >= rule.min_professions:
            break
        if profession not in distinct and pool[profession] and _room_for(rule, counts, profession):
            counts[profession] += 1
            distinct.add(profession)
    if len(distinct) < rule.min_professions:
        return None
    _fill_up(rule, pool, counts, size)
    if sum(counts.values()) < rule.min_size:
        return None
    return [pool[p].pop() for p, n in counts.items() for _ in range(n)]


def _room_for(rule: TeamRule, counts: dict[str, int], profession: str) -> bool:
    limit = rule.professions.get(profession)
    top = rule.max_size if limit is None or limit.max is None else limit.max
    return counts[profession] < top and sum(counts.values()) < rule.max_size


def _fill_up(rule: TeamRule, pool: dict[str, list[str]], counts: dict[str, int], size: int) -> None:
    """Add students round-robin (largest remaining profession first) up to `size`."""
    while sum(counts.values()) < size:
        options = [p for p in pool if len(pool[p]) > counts[p] and _room_for(rule, counts, p)]
        if not options:
            return
        best = max(options, key=lambda p: len(pool[p]) - counts[p])
        counts[best] += 1


def greedy_values(
    model: TermModel, placed: dict[str, list[str]], state: GreedyState
) -> dict[int, int] | None:
    """The joint model's variables for the placements and the greedy sessions."""
    values: dict[int, int] = {}
    for (student, slot), var in model.place.items():
        values[var.index] = int(slot in placed.get(student, ()))
    class_of = {s: c for c in model.prep.classes for s in c.students}
    attend: dict[tuple, int] = defaultdict(int)
    for student, sessions in state.sessions_of.items():
        ipe_class = class_of[student]
        periods = {o.slot: o.period for o in model.prep.students[student].options}
        pattern = frozenset(periods[s] for s in placed.get(student, ()) if s in periods)
        pattern &= frozenset(ipe_class.relevant_periods)
        for session in sessions:
            attend[ipe_class.index, pattern, session] += 1
    for ipe_class in model.prep.classes:
        relevant = frozenset(ipe_class.relevant_periods)
        for student in ipe_class.students:
            periods = {o.slot: o.period for o in model.prep.students[student].options}
            pattern = frozenset(periods[s] for s in placed.get(student, ()) if s in periods)
            flag = model.pattern_of.get((student, pattern & relevant))
            if flag is not None:
                values[flag.index] = 1
    if not all(key in model.attend for key in attend):
        return None  # an attendee the model cannot hold: not a valid start
    for key, var in model.attend.items():
        values[var.index] = attend.get(key, 0)
    _team_values(model, state, values)
    return values


def _team_values(model: TermModel, state: GreedyState, values: dict[int, int]) -> None:
    for session, teams in model.teams.items():
        formed = state.teams.get(session, [])
        values[teams.count.index] = len(formed)
        values[teams.used.index] = int(bool(formed))
        members: dict[str, int] = defaultdict(int)
        for team in formed:
            for student in team:
                members[model.prep.students[student].profession] += 1
        for profession, spread in teams.spreads.items():
            values[spread.index] = min(members[profession], len(formed))
    counts = counts_of(model.facilitator_groups, state.facilitators)
    for key, var in model.staff.items():
        values[var.index] = counts.get(key, 0)
