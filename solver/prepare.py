"""From a scenario to the facts the model needs: who can go where, and who is interchangeable.

Everything here is plain data; `solver.model` turns it into CP-SAT variables. Students
with the same profession and the same free sessions are one *class*: the model decides how
many of a class attend each session, not which ones, which removes the symmetry between
interchangeable students. Placements stay per student (homes and preferences differ);
their options are stored as arrays (`solver.options`), millions of them at 5,000 students.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.domain.geo import travel_between
from scheduler.domain.matching import matches, participates, requirement_for
from scheduler.domain.scenario import (
    Activity,
    Interval,
    PlacementRequirement,
    Scenario,
    Session,
    Site,
    Slot,
    Student,
    TeamRule,
    WeeklyWindow,
)
from scheduler.domain.weeks import slot_tags, with_history
from solver.availability import Busy, PeriodTime, overlaps
from solver.credentials import slot_allowed
from solver.options import TRAVEL_SCALE, SlotOption, TermOptions, periods_of
from solver.size_policy import DEFAULT_SIZE_POLICY, SizePolicy

LARGE_TERM = DEFAULT_SIZE_POLICY.large_students
"""Students beyond which a term counts as large (`Prepared.large`), by default."""


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


@dataclass
class StudentInfo:
    id: str
    profession: str
    activities: tuple[str, ...]
    free_sessions: dict[str, tuple[str, ...]]
    requirement: PlacementRequirement | None
    all_options: Sequence[SlotOption] = field(default_factory=list)
    """Every slot the student may hold under rules 2 and 6 (from `prepare` an `OptionList`,
    which makes its tuples on each iteration: take a list to iterate more than once)."""
    options: Sequence[SlotOption] = field(default_factory=list)
    """The options the CP-SAT model considers (see `solver.candidates`); `prepare` makes it
    the same object as `all_options`."""

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
    size: SizePolicy = DEFAULT_SIZE_POLICY
    """The thresholds of the solve's regimes (`solver.size_policy`)."""
    heuristics: bool = True
    """Whether the heuristic stages and LPs may run (`solver.features.heuristics_apply`,
    decided once per solve)."""

    @property
    def large(self) -> bool:
        """Beyond `size.large_students` students the solve skips steps that only pay on
        smaller terms (measured on the generated 5,000 term, see `solver.warm` and
        `solver.driver`)."""
        return len(self.students) > self.size.large_students


def prepare(scenario: Scenario) -> Prepared:
    """Compute availability, options and classes for the model."""
    periods = {p.id: PeriodTime.of(p) for p in scenario.periods}
    sessions = _sessions(scenario, periods)
    activities = {a.id: _activity_info(a) for a in scenario.activities}
    session_overlaps = _session_overlaps(sessions)
    blocks = BlockIndex(scenario, sessions, periods)
    term_options = TermOptions(scenario)
    students = {}
    for student in scenario.students:
        info, period_free = _student_facts(scenario, student, sessions, blocks)
        if info.count > 0:
            info.all_options = info.options = term_options.of(student, period_free)
        students[student.id] = info
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


class BlockIndex:
    """Which sessions and periods each piece of busy time blocks, computed once per piece.

    Students share program calendars and often the same work shifts, so a student's blocked
    set is the union of cached per-piece sets rather than a fresh check per session."""

    def __init__(
        self, scenario: Scenario, sessions: dict[str, SessionInfo], periods: dict[str, PeriodTime]
    ) -> None:
        self._term = scenario.term
        self._calendars = scenario.program_calendars
        self._sessions = list(sessions.values())
        self._periods = list(periods.values())
        self._cache: dict[tuple, tuple[frozenset[str], frozenset[str]]] = {}

    def blocked(self, student: Student) -> tuple[set[str], set[str]]:
        """(blocked session ids, blocked period ids) for the student's busy time."""
        sessions: set[str] = set()
        periods: set[str] = set()
        first, last = self._term.start, self._term.end
        for key, intervals, weekly in self._pieces(student):
            if key not in self._cache:
                self._cache[key] = self._compute(Busy.build(intervals, weekly, first, last))
            blocked_sessions, blocked_periods = self._cache[key]
            sessions |= blocked_sessions
            periods |= blocked_periods
        return sessions, periods

    def _pieces(self, student: Student) -> list[tuple[tuple, list[Interval], list[WeeklyWindow]]]:
        """(cache key, intervals, weekly windows) of each piece of the student's busy time."""
        pieces: list[tuple[tuple, list[Interval], list[WeeklyWindow]]] = []
        for index, calendar in enumerate(self._calendars):
            if matches(student, calendar.profession, calendar.cohort):
                key = ("calendar", index)
                pieces.append((key, calendar.unavailable, calendar.weekly_unavailable))
        for interval in student.unavailable:
            pieces.append((("interval", interval.start, interval.end), [interval], []))
        for window in student.weekly_unavailable:
            pieces.append((("weekly", window.day, window.start, window.end), [], [window]))
        return pieces

    def _compute(self, busy: Busy) -> tuple[frozenset[str], frozenset[str]]:
        sessions = frozenset(s.id for s in self._sessions if busy.conflicts(s.start, s.end))
        periods = frozenset(p.id for p in self._periods if busy.conflicts_period(p))
        return sessions, periods


def _student_info(
    scenario: Scenario,
    student: Student,
    sessions: dict[str, SessionInfo],
    blocks: BlockIndex,
    catalog: SlotCatalog,
) -> StudentInfo:
    """One student's facts with options from `catalog` (`prepare` does all at once)."""
    info, period_free = _student_facts(scenario, student, sessions, blocks)
    if info.count > 0:
        info.all_options = info.options = _slot_options(scenario, student, period_free, catalog)
    return info


def _student_facts(
    scenario: Scenario, student: Student, sessions: dict[str, SessionInfo], blocks: BlockIndex
) -> tuple[StudentInfo, dict[str, bool]]:
    """The student's free sessions and requirement, and which periods their busy time
    leaves free."""
    blocked_sessions, blocked_periods = blocks.blocked(student)
    needs_accessible = student.needs_accessible
    free_sessions = {}
    for activity in scenario.activities:
        if not participates(student, activity):
            continue
        free_sessions[activity.id] = tuple(
            s.id
            for s in activity.sessions
            if s.id not in blocked_sessions
            and (not needs_accessible or sessions[s.id].room_accessible)
        )
    info = StudentInfo(
        id=student.id,
        profession=student.profession,
        activities=tuple(free_sessions),
        free_sessions=free_sessions,
        requirement=with_history(  # extension: earlier placements count toward tag minimums
            student, requirement_for(student, scenario.placement_requirements)
        ),
    )
    period_free = {p.id: p.id not in blocked_periods for p in scenario.periods}
    return info, period_free


@dataclass(frozen=True)
class SlotCatalog:
    """Usable slots grouped by profession, with their sites: built once per solve."""

    by_profession: dict[str, list[tuple[Slot, Site]]]
    site_tags: dict[str, frozenset[str]]
    slot_tags: dict[str, frozenset[str]]
    """A placement's tags: its site's and its unit's (extension)."""

    @classmethod
    def of(cls, scenario: Scenario) -> SlotCatalog:
        sites = {s.id: s for s in scenario.sites}
        by_profession: dict[str, list[tuple[Slot, Site]]] = defaultdict(list)
        for slot in scenario.slots:
            if slot.status != "declined" and slot.capacity > 0:
                by_profession[slot.profession].append((slot, sites[slot.site]))
        tags = {s.id: frozenset(s.tags) for s in scenario.sites}
        return cls(dict(by_profession), tags, slot_tags(scenario))


def _slot_options(
    scenario: Scenario,
    student: Student,
    period_free: dict[str, bool],
    catalog: SlotCatalog,
) -> list[SlotOption]:
    """Slots the student may hold under rules 2 and 6, with rank and travel: one student
    at a time (`solver.options.TermOptions` gives the same for a whole term at once)."""
    ranks = {site: index + 1 for index, site in enumerate(student.site_preferences)}
    unranked = len(student.site_preferences) + 1
    max_km = scenario.policy.max_travel_km
    options = []
    site_travel: dict[str, int | None] = {}
    for slot, site in catalog.by_profession.get(student.profession, ()):
        if not period_free[slot.period]:
            continue
        if slot.language is not None and slot.language not in student.languages:
            continue
        if not slot_allowed(scenario, student, slot, site):
            continue
        if site.id not in site_travel:
            site_travel[site.id] = _site_travel(student, site, max_km)
        travel = site_travel[site.id]
        if travel is None:
            continue
        rank = ranks.get(site.id, unranked)
        options.append(
            SlotOption(slot.id, slot.period, site.id, rank, travel, catalog.slot_tags[slot.id])
        )
    return options


def _site_travel(student: Student, site: Site, max_km: float | None) -> int | None:
    """Travel to the site in 0.1 km, or None when the site is out of the student's reach."""
    if student.travel_mode == "transit" and not site.transit_accessible:
        return None
    if student.needs_accessible and not site.accessible:
        return None
    km = travel_between(student.home, site.location)
    if max_km is not None and student.home is not None and km > max_km:
        return None
    return round(km * TRAVEL_SCALE)


def _classes(
    students: dict[str, StudentInfo],
    sessions: dict[str, SessionInfo],
    session_overlaps: dict[str, set[str]],
) -> list[IpeClass]:
    """Group interchangeable students; a student who could double-book stays alone."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    crossing = _crossing(sessions, session_overlaps)
    double_books: dict[tuple, bool] = {}
    for info in students.values():
        if not info.activities:
            continue
        free = tuple(sorted(info.free_sessions.items()))
        if free not in double_books:
            double_books[free] = _may_double_book(info, crossing)
        key: tuple = (
            (info.profession, free, info.id) if double_books[free] else (info.profession, free)
        )
        groups[key].append(info.id)
    classes: list[IpeClass] = []
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


def _crossing(
    sessions: dict[str, SessionInfo], session_overlaps: dict[str, set[str]]
) -> dict[str, set[str]]:
    """Per session, the overlapping sessions of other activities."""
    return {
        s: {o for o in others if sessions[o].activity != sessions[s].activity}
        for s, others in session_overlaps.items()
    }


def _may_double_book(info: StudentInfo, crossing: dict[str, set[str]]) -> bool:
    """True when two free sessions of different activities overlap for this student."""
    free = {s for ids in info.free_sessions.values() for s in ids}
    return any(not crossing[s].isdisjoint(free) for s in free if s in crossing)


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
    if not clashing:
        return ()
    held: set[str] = set()
    for sid in ipe_class.students:
        held |= periods_of(students[sid].options) & clashing
        if held == clashing:
            break
    return tuple(sorted(held))
