"""From a scenario to the facts the model needs: who can go where, and who is interchangeable.

Everything here is plain data; `solver.model` turns it into CP-SAT variables. Students
with the same profession and the same free sessions are one *class*: the model decides how
many of a class attend each session, not which ones, which removes the symmetry between
interchangeable students. Placements stay per student (homes and preferences differ).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.domain.geo import travel_between
from scheduler.domain.matching import calendars_for, participates, requirement_for
from scheduler.domain.scenario import (
    Activity,
    PlacementRequirement,
    Scenario,
    Session,
    Student,
    TeamRule,
)
from solver.availability import Busy, PeriodTime, overlaps

TRAVEL_SCALE = 10
"""Travel is modelled in tenths of a kilometre (docs/objectives.md rounds to 0.1 km)."""


@dataclass(frozen=True)
class SessionInfo:
    id: str
    activity: str
    start: datetime
    end: datetime
    room: str
    max_teams: int
    room_accessible: bool
    facilitators: tuple[str, ...]
    clash_periods: frozenset[str]


@dataclass(frozen=True)
class ActivityInfo:
    id: str
    professions: tuple[str, ...]
    team: TeamRule
    teams_per_facilitator: int
    sessions: tuple[str, ...]


@dataclass(frozen=True)
class SlotOption:
    """A slot a student may take, with what it costs them."""

    slot: str
    period: str
    site: str
    rank: int
    travel: int
    tags: frozenset[str]


@dataclass
class StudentInfo:
    id: str
    profession: str
    activities: tuple[str, ...]
    free_sessions: dict[str, tuple[str, ...]]
    requirement: PlacementRequirement | None
    all_options: list[SlotOption] = field(default_factory=list)
    """Every slot the student may hold under rules 2 and 6."""
    options: list[SlotOption] = field(default_factory=list)
    """The options the CP-SAT model considers (see `solver.candidates`)."""

    @property
    def count(self) -> int:
        return self.requirement.count if self.requirement else 0


@dataclass
class IpeClass:
    """Interchangeable students for the IPE part: same profession, same free sessions."""

    index: int
    profession: str
    free_sessions: dict[str, tuple[str, ...]]
    students: list[str]
    relevant_periods: tuple[str, ...] = ()


@dataclass
class Prepared:
    scenario: Scenario
    sessions: dict[str, SessionInfo]
    activities: dict[str, ActivityInfo]
    students: dict[str, StudentInfo]
    classes: list[IpeClass]
    periods: dict[str, PeriodTime]
    period_clashes: set[frozenset[str]]
    session_overlaps: dict[str, set[str]]


def prepare(scenario: Scenario) -> Prepared:
    """Compute availability, options and classes for the model."""
    periods = {p.id: PeriodTime.of(p) for p in scenario.periods}
    sessions = _sessions(scenario, periods)
    activities = {a.id: _activity_info(a) for a in scenario.activities}
    session_overlaps = _session_overlaps(sessions)
    busy_cache: dict[tuple, tuple[Busy, ...]] = {}
    students = {
        s.id: _student_info(scenario, s, sessions, periods, busy_cache) for s in scenario.students
    }
    classes = _classes(students, sessions, session_overlaps)
    return Prepared(
        scenario=scenario,
        sessions=sessions,
        activities=activities,
        students=students,
        classes=classes,
        periods=periods,
        period_clashes=_period_clashes(periods),
        session_overlaps=session_overlaps,
    )


def _activity_info(activity: Activity) -> ActivityInfo:
    professions = tuple(sorted({p.profession for p in activity.participants}))
    return ActivityInfo(
        id=activity.id,
        professions=professions,
        team=activity.team,
        teams_per_facilitator=activity.teams_per_facilitator,
        sessions=tuple(s.id for s in activity.sessions),
    )


def _sessions(scenario: Scenario, periods: dict[str, PeriodTime]) -> dict[str, SessionInfo]:
    rooms = {r.id: r for r in scenario.rooms}
    term = scenario.term
    facilitator_busy = {
        f.id: Busy.build(f.unavailable, f.weekly_unavailable, term.start, term.end)
        for f in scenario.facilitators
    }
    result = {}
    for activity in scenario.activities:
        for session in activity.sessions:
            result[session.id] = _session_info(activity, session, rooms, facilitator_busy, periods)
    return result


def _session_info(
    activity: Activity,
    session: Session,
    rooms: dict,
    facilitator_busy: dict[str, Busy],
    periods: dict[str, PeriodTime],
) -> SessionInfo:
    free = tuple(
        fid
        for fid, busy in facilitator_busy.items()
        if not busy.conflicts(session.start, session.end)
    )
    clashes = frozenset(p.id for p in periods.values() if p.conflicts(session.start, session.end))
    return SessionInfo(
        id=session.id,
        activity=activity.id,
        start=session.start,
        end=session.end,
        room=session.room,
        max_teams=session.max_teams,
        room_accessible=rooms[session.room].accessible,
        facilitators=free,
        clash_periods=clashes,
    )


def _session_overlaps(sessions: dict[str, SessionInfo]) -> dict[str, set[str]]:
    """For each session, the other sessions that overlap it in time."""
    ordered = sorted(sessions.values(), key=lambda s: (s.start, s.end))
    result: dict[str, set[str]] = defaultdict(set)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.start >= first.end:
                break
            if overlaps(first.start, first.end, second.start, second.end):
                result[first.id].add(second.id)
                result[second.id].add(first.id)
    return result


def _period_clashes(periods: dict[str, PeriodTime]) -> set[frozenset[str]]:
    """Pairs of periods (a period with itself included) whose on-site time overlaps."""
    clashes = set()
    items = list(periods.values())
    for i, first in enumerate(items):
        for second in items[i:]:
            if first.clashes_with(second):
                clashes.add(frozenset({first.id, second.id}))
    return clashes


def _busy_of(
    scenario: Scenario, student: Student, cache: dict[tuple, tuple[Busy, ...]]
) -> tuple[Busy, ...]:
    key = (
        student.profession,
        student.cohort,
        tuple((i.start, i.end) for i in student.unavailable),
        tuple((w.day, w.start, w.end) for w in student.weekly_unavailable),
    )
    if key not in cache:
        term = scenario.term
        busy = [Busy.build(student.unavailable, student.weekly_unavailable, term.start, term.end)]
        for calendar in calendars_for(student, scenario.program_calendars):
            busy.append(
                Busy.build(calendar.unavailable, calendar.weekly_unavailable, term.start, term.end)
            )
        cache[key] = tuple(busy)
    return cache[key]


def _student_info(
    scenario: Scenario,
    student: Student,
    sessions: dict[str, SessionInfo],
    periods: dict[str, PeriodTime],
    busy_cache: dict[tuple, tuple[Busy, ...]],
) -> StudentInfo:
    busy = _busy_of(scenario, student, busy_cache)
    activities = tuple(a.id for a in scenario.activities if participates(student, a))
    free_sessions = {}
    for activity in scenario.activities:
        if activity.id not in activities:
            continue
        free_sessions[activity.id] = tuple(
            s.id for s in activity.sessions if _can_attend(student, sessions[s.id], busy)
        )
    info = StudentInfo(
        id=student.id,
        profession=student.profession,
        activities=activities,
        free_sessions=free_sessions,
        requirement=requirement_for(student, scenario.placement_requirements),
    )
    if info.count > 0:
        info.all_options = _slot_options(scenario, student, busy, periods)
        info.options = list(info.all_options)
    return info


def _can_attend(student: Student, session: SessionInfo, busy: tuple[Busy, ...]) -> bool:
    if student.needs_accessible and not session.room_accessible:
        return False
    return not any(b.conflicts(session.start, session.end) for b in busy)


def _slot_options(
    scenario: Scenario, student: Student, busy: tuple[Busy, ...], periods: dict[str, PeriodTime]
) -> list[SlotOption]:
    """Slots the student may hold under rules 2 and 6, with rank and travel."""
    sites = {s.id: s for s in scenario.sites}
    ranks = {site: index + 1 for index, site in enumerate(student.site_preferences)}
    unranked = len(student.site_preferences) + 1
    max_km = scenario.policy.max_travel_km
    period_free = {
        pid: not any(b.conflicts_period(period) for b in busy) for pid, period in periods.items()
    }
    options = []
    travel_cache: dict[str, float] = {}
    for slot in scenario.slots:
        if slot.profession != student.profession or slot.status == "declined":
            continue
        if slot.capacity <= 0 or not period_free[slot.period]:
            continue
        if slot.language is not None and slot.language not in student.languages:
            continue
        site = sites[slot.site]
        if student.travel_mode == "transit" and not site.transit_accessible:
            continue
        if student.needs_accessible and not site.accessible:
            continue
        if site.id not in travel_cache:
            travel_cache[site.id] = travel_between(student.home, site.location)
        km = travel_cache[site.id]
        if max_km is not None and student.home is not None and km > max_km:
            continue
        options.append(
            SlotOption(
                slot=slot.id,
                period=slot.period,
                site=site.id,
                rank=ranks.get(site.id, unranked),
                travel=round(km * TRAVEL_SCALE),
                tags=frozenset(site.tags),
            )
        )
    return options


def _classes(
    students: dict[str, StudentInfo],
    sessions: dict[str, SessionInfo],
    session_overlaps: dict[str, set[str]],
) -> list[IpeClass]:
    """Group interchangeable students; a student who could double-book stays alone."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for info in students.values():
        if not info.activities:
            continue
        key: tuple = (info.profession, tuple(sorted(info.free_sessions.items())))
        if _may_double_book(info, sessions, session_overlaps):
            key = (*key, info.id)
        groups[key].append(info.id)
    classes = []
    for key, members in groups.items():
        first = students[members[0]]
        ipe_class = IpeClass(
            index=len(classes),
            profession=first.profession,
            free_sessions=dict(key[1]),
            students=members,
        )
        ipe_class.relevant_periods = _relevant_periods(ipe_class, students, sessions)
        classes.append(ipe_class)
    return classes


def _may_double_book(
    info: StudentInfo, sessions: dict[str, SessionInfo], session_overlaps: dict[str, set[str]]
) -> bool:
    """True when two free sessions of different activities overlap for this student."""
    free = {s for ids in info.free_sessions.values() for s in ids}
    return any(
        sessions[other].activity != sessions[s].activity
        for s in free
        for other in session_overlaps.get(s, ())
        if other in free
    )


def _relevant_periods(
    ipe_class: IpeClass, students: dict[str, StudentInfo], sessions: dict[str, SessionInfo]
) -> tuple[str, ...]:
    """Periods where a placement of a class member would clash with one of its sessions."""
    clashing = {
        p
        for ids in ipe_class.free_sessions.values()
        for s in ids
        for p in sessions[s].clash_periods
    }
    held = {o.period for sid in ipe_class.students for o in students[sid].options}
    return tuple(sorted(clashing & held))
