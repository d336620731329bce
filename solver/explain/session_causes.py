"""Why a student attends no session of an activity: which rule closed or filled each session.

A closed session is named with the busy time or room rule that closed it. A session open to
the student is checked against the schedule in the order a coordinator would look: the
student's own other commitments, then the session's teams (held) or why it is not held
(room, facilitators, the team rule against who is free), and only then "the search stopped".
"""

from __future__ import annotations

import math

from scheduler.domain.scenario import TeamRule
from solver.explain import codes
from solver.explain.busy import BusySource
from solver.explain.facts import Cause, Facts
from solver.explain.merge import listing, plural, unique


def closed_causes(
    facts: Facts, student: str, activity: str, sources: list[BusySource]
) -> list[Cause]:
    """One cause per busy piece (and the room rule) that closes sessions of the activity."""
    prep = facts.prep
    blocked: dict[BusySource, list[str]] = {}
    inaccessible: list[str] = []
    needs_room = facts.students[student].needs_accessible
    for sid in prep.activities[activity].sessions:
        info = prep.sessions[sid]
        for source in sources:
            if source.blocks(info.start, info.end):
                blocked.setdefault(source, []).append(sid)
        if needs_room and not info.room_accessible:
            inaccessible.append(sid)
    causes = [
        Cause(
            source.code,
            f"{source.label} blocks {listing(sessions)}",
            unique([*sessions, source.path]),
            _source_key(source),
        )
        for source, sessions in blocked.items()
    ]
    if inaccessible:
        rooms = unique(prep.sessions[s].room for s in inaccessible)
        causes.append(
            Cause(
                codes.ROOM_INACCESSIBLE,
                f"needs an accessible room, and room {listing(rooms)} of "
                f"{listing(inaccessible)} is not",
                unique([*inaccessible, *rooms]),
                (codes.ROOM_INACCESSIBLE, activity),
            )
        )
    return causes


def _source_key(source: BusySource) -> tuple[str, ...]:
    """Program calendars are shared, so they group; personal time groups as one kind."""
    if source.code == codes.BUSY_PROGRAM_CALENDAR:
        return (source.code, source.path)
    return (source.code,)


def open_session_cause(facts: Facts, student: str, session: str) -> Cause:
    """Why a session the student is free for did not take them."""
    own = _overlap_cause(facts, student, session) or _placement_cause(facts, student, session)
    if own is not None:
        return own
    if session in facts.teams:
        profession = facts.students[student].profession
        key = ("held", session, profession)
        return facts.cached(key, lambda: _held_cause(facts, profession, session))
    return facts.cached(("unheld", session), lambda: _unheld_cause(facts, session))


def _overlap_cause(facts: Facts, student: str, session: str) -> Cause | None:
    overlapping = facts.prep.session_overlaps.get(session, set())
    for activity, other in facts.attends.get(student, {}).items():
        if other in overlapping and activity != facts.prep.sessions[session].activity:
            return Cause(
                codes.ATTENDS_OVERLAPPING,
                f"{session} overlaps {other} ({activity}), which the student attends",
                (session, other),
                (codes.ATTENDS_OVERLAPPING,),
            )
    return None


def _placement_cause(facts: Facts, student: str, session: str) -> Cause | None:
    clashing = facts.prep.sessions[session].clash_periods
    for slot in facts.holds.get(student, ()):
        period = facts.slots[slot].period
        if period in clashing:
            return Cause(
                codes.PLACEMENT_CLASH,
                f"{session} falls in the on-site hours of period {period} of placement "
                f"{slot}, which the student holds",
                (session, slot, period),
                (codes.PLACEMENT_CLASH, period),
            )
    return None


def _team_rule(facts: Facts, session: str) -> tuple[str, TeamRule]:
    activity = facts.prep.sessions[session].activity
    return activity, facts.prep.activities[activity].team


def _profession_cap(rule: TeamRule, profession: str) -> int:
    limit = rule.professions.get(profession)
    if limit is None or limit.max is None:
        return rule.max_size
    return min(limit.max, rule.max_size)


def _held_cause(facts: Facts, profession: str, session: str) -> Cause:
    """A held session: its teams are full for a student of this profession, or the search
    stopped before adding them."""
    activity, rule = _team_rule(facts, session)
    teams = facts.teams[session]
    members = facts.members[session]
    cap = _profession_cap(rule, profession)
    if members[profession] < cap * teams and sum(members.values()) < rule.max_size * teams:
        return _incomplete(session, f"{session} had room for this student")
    full = (
        f"every team already has its maximum {cap} {profession}"
        if members[profession] >= cap * teams
        else f"all its teams are at max_size {rule.max_size}"
    )
    max_teams = facts.prep.sessions[session].max_teams
    if teams >= max_teams:
        return Cause(
            codes.SESSION_FULL,
            f"{session} holds its maximum of {plural(max_teams, 'team')} and {full}",
            (session,),
            (codes.SESSION_FULL, activity),
        )
    return Cause(
        codes.TEAMS_FULL,
        f"in {session} {full}, and a further team {_new_team_blocker(facts, session)}",
        (session,),
        (codes.TEAMS_FULL, activity),
    )


def _new_team_blocker(facts: Facts, session: str) -> str:
    """What stops a held session from splitting into one more team with this student."""
    activity, rule = _team_rule(facts, session)
    teams = facts.teams[session] + 1
    per = facts.prep.activities[activity].teams_per_facilitator
    more = per > 0 and math.ceil(teams / per) > math.ceil((teams - 1) / per)
    if more and not _available_facilitators(facts, session):
        return "would need another facilitator, and none is available"
    pool = facts.members[session].copy()
    for profession, ids in facts.free_students(session).items():
        pool[profession] += sum(1 for s in ids if activity not in facts.attends.get(s, {}))
    for profession, limit in rule.professions.items():
        if pool[profession] < limit.min * teams:
            return (
                f"would need {limit.min * teams} {profession} and only {pool[profession]} "
                "are in it or free and unplaced"
            )
    if sum(pool.values()) < rule.min_size * teams:
        return (
            f"would need {rule.min_size * teams} students and only {sum(pool.values())} could join"
        )
    return "could not be formed without breaking the rules of the others"


def _available_facilitators(facts: Facts, session: str) -> list[str]:
    """Facilitators free at the session, not running an overlapping session, under their limit."""
    prep = facts.prep
    limits = {f.id: f.max_sessions for f in prep.scenario.facilitators}
    overlapping = prep.session_overlaps.get(session, set())
    available = []
    for facilitator in prep.sessions[session].facilitators:
        runs = facts.runs.get(facilitator, [])
        if session in runs:
            continue
        limit = limits[facilitator]
        if any(s in overlapping for s in runs) or (limit is not None and len(runs) >= limit):
            continue
        available.append(facilitator)
    return available


def _unheld_cause(facts: Facts, session: str) -> Cause:
    """A session not held: the first of room, facilitators and team rule that rules it out."""
    return (
        _closed_session(facts, session)
        or _room_cause(facts, session)
        or _facilitator_cause(facts, session)
        or _partner_cause(facts, session)
        or _incomplete(session, f"{session} could hold a team with this student")
    )


def _closed_session(facts: Facts, session: str) -> Cause | None:
    if facts.prep.sessions[session].max_teams > 0:
        return None
    return Cause(
        codes.SESSION_CLOSED,
        f"{session} allows no team (max_teams 0)",
        (session,),
        (codes.SESSION_CLOSED, session),
    )


def _room_cause(facts: Facts, session: str) -> Cause | None:
    room = facts.prep.sessions[session].room
    for other in sorted(facts.prep.session_overlaps.get(session, ())):
        if other in facts.teams and facts.prep.sessions[other].room == room:
            return Cause(
                codes.ROOM_TAKEN,
                f"room {room} of {session} is taken by {other} at that time",
                (session, room, other),
                (codes.ROOM_TAKEN, room),
            )
    return None


def _facilitator_cause(facts: Facts, session: str) -> Cause | None:
    activity = facts.prep.sessions[session].activity
    if facts.prep.activities[activity].teams_per_facilitator <= 0:
        return None
    free = facts.prep.sessions[session].facilitators
    if not free:
        return Cause(
            codes.NO_FACILITATOR,
            f"no facilitator is free at {session}",
            (session,),
            (codes.NO_FACILITATOR, activity),
        )
    if _available_facilitators(facts, session):
        return None
    return Cause(
        codes.FACILITATORS_BUSY,
        f"the {plural(len(free), 'facilitator')} free at {session} ({listing(free)}) run other "
        "sessions then or have reached max_sessions",
        unique([session, *free]),
        (codes.FACILITATORS_BUSY, activity),
    )


def _partner_cause(facts: Facts, session: str) -> Cause | None:
    """The team rule against the participants free at the session (then: the unplaced ones)."""
    activity, rule = _team_rule(facts, session)
    free = facts.free_students(session)
    for profession, limit in sorted(rule.professions.items()):
        if limit.min > 0 and len(free.get(profession, ())) < limit.min:
            return Cause(
                codes.PARTNER_UNAVAILABLE,
                f"no {profession} student is free at {session}, and every team of {activity} "
                f"needs {limit.min} {profession}",
                (session, profession),
                (codes.PARTNER_UNAVAILABLE, activity, profession),
            )
    total = sum(len(ids) for ids in free.values())
    if total < rule.min_size:
        return Cause(
            codes.TOO_FEW_FREE,
            f"only {plural(total, 'participant')} free at {session}; teams need {rule.min_size}",
            (session,),
            (codes.TOO_FEW_FREE, activity),
        )
    if len(free) < rule.min_professions:
        return Cause(
            codes.TOO_FEW_PROFESSIONS,
            f"only {plural(len(free), 'profession')} free at {session}; teams need "
            f"{rule.min_professions}",
            unique([session, *sorted(free)]),
            (codes.TOO_FEW_PROFESSIONS, activity),
        )
    return _committed_cause(facts, session, activity, rule, free)


def _committed_cause(
    facts: Facts, session: str, activity: str, rule: TeamRule, free: dict[str, list[str]]
) -> Cause | None:
    for profession, limit in sorted(rule.professions.items()):
        ids = free.get(profession, [])
        unplaced = [s for s in ids if activity not in facts.attends.get(s, {})]
        if limit.min > 0 and len(unplaced) < limit.min:
            return Cause(
                codes.PARTNER_COMMITTED,
                f"the {plural(len(ids), profession + ' student')} free at {session} "
                f"{'attends' if len(ids) == 1 else 'attend'} other {activity} sessions, where "
                "their teams need them",
                (session, profession),
                (codes.PARTNER_COMMITTED, activity, profession),
            )
    return None


def _incomplete(session: str, what: str) -> Cause:
    return Cause(
        codes.SEARCH_INCOMPLETE,
        f"{what}; the search stopped (time limit) before using it",
        (session,),
        (codes.SEARCH_INCOMPLETE,),
    )
