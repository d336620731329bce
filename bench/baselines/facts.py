"""Who may attend which session and hold which slot: the hard rules of the contract, decided
before any baseline model exists. Written from ../shared/spec/scenario-format.md, sharing no
code with `solver/` (only the domain's matching semantics and travel rounding).

Time is integer minutes since 0001-01-01 (naive local wall-clock time, as the contract has
it); weekly windows repeat on every date of the term, periods' windows on the period's dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from scheduler.domain.geo import travel_between
from scheduler.domain.matching import calendars_for, participates, requirement_for
from scheduler.domain.scenario import (
    Interval,
    Period,
    PlacementRequirement,
    Scenario,
    Session,
    Student,
    WeeklyWindow,
)
from scheduler.domain.scenario_types import WEEKDAYS, clock_minutes

DAY = 1440
Span = tuple[int, int]
Window = tuple[int, int, int]  # weekday (0 = Monday), start minute, end minute


def minute(moment: datetime) -> int:
    return moment.toordinal() * DAY + moment.hour * 60 + moment.minute


def _weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7  # date(1, 1, 1), ordinal 1, was a Monday


def _window(window: WeeklyWindow) -> Window:
    return (WEEKDAYS.index(window.day), clock_minutes(window.start), clock_minutes(window.end))


@dataclass(frozen=True)
class Busy:
    """Absolute busy spans plus weekly windows in force on the term's dates."""

    spans: tuple[Span, ...]
    weekly: tuple[Window, ...]
    first: int  # ordinal of the term's first date
    last: int

    def hits(self, span: Span) -> bool:
        start, end = span
        if end <= start:
            return False
        if any(a < end and start < b for a, b in self.spans):
            return True
        if not self.weekly:
            return False
        for day in range(max(self.first, start // DAY), min(self.last, (end - 1) // DAY) + 1):
            base, weekday = day * DAY, _weekday(day)
            for w_day, w_start, w_end in self.weekly:
                if w_day == weekday and base + w_start < end and start < base + w_end:
                    return True
        return False

    def hits_any(self, spans: Iterable[Span]) -> bool:
        return any(self.hits(span) for span in spans)


def _busy(
    unavailable: Iterable[Interval], weekly: Iterable[WeeklyWindow], first: date, last: date
) -> Busy:
    return Busy(
        spans=tuple((minute(i.start), minute(i.end)) for i in unavailable),
        weekly=tuple(w for w in map(_window, weekly) if w[2] > w[1]),
        first=first.toordinal(),
        last=last.toordinal(),
    )


def period_spans(period: Period) -> tuple[Span, ...]:
    """Every dated occurrence of a period's weekly windows."""
    windows = [w for w in map(_window, period.weekly) if w[2] > w[1]]
    spans = []
    day = period.start
    while day <= period.end:
        base = day.toordinal() * DAY
        spans += [(base + s, base + e) for d, s, e in windows if d == day.weekday()]
        day += timedelta(days=1)
    return tuple(spans)


def _overlap_any(a: tuple[Span, ...], b: tuple[Span, ...]) -> bool:
    return any(x < q and p < y for x, y in a for p, q in b)


@dataclass
class Facts:
    """The scenario digested for the baselines."""

    scenario: Scenario
    students: dict[str, Student] = field(default_factory=dict)
    requirement: dict[str, PlacementRequirement] = field(default_factory=dict)
    """Students with a placement requirement of count >= 1."""
    sessions: dict[str, tuple[str, Session]] = field(default_factory=dict)
    """session id -> (activity id, session)."""
    participants: dict[str, list[str]] = field(default_factory=dict)
    """activity id -> participating student ids."""
    free_sessions: dict[str, list[str]] = field(default_factory=dict)
    """student id -> sessions (of their activities) they can attend."""
    eligible_slots: dict[str, list[str]] = field(default_factory=dict)
    """student id -> slots they can hold (profession, status, language, site, travel, time)."""
    travel: dict[tuple[str, str], int] = field(default_factory=dict)
    """(student, slot) -> travel in 0.1 km (exact integer of the contract's rounding)."""
    rank: dict[tuple[str, str], int] = field(default_factory=dict)
    """(student, slot) -> rank of the slot's site in the student's preferences."""
    session_spans: dict[str, Span] = field(default_factory=dict)
    period_spans: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    session_period_clash: set[tuple[str, str]] = field(default_factory=set)
    period_clash: set[tuple[str, str]] = field(default_factory=set)
    """Pairs (p, q) of distinct periods, p < q, whose hours overlap on some date."""
    session_overlaps: list[tuple[str, str]] = field(default_factory=list)
    """Pairs of sessions of different activities that overlap in time."""
    slot_tags: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, scenario: Scenario) -> Facts:
        facts = cls(scenario)
        facts._index()
        facts._time()
        facts._students()
        return facts

    def _index(self) -> None:
        sc = self.scenario
        self.students = {s.id: s for s in sc.students}
        for student in sc.students:
            requirement = requirement_for(student, sc.placement_requirements)
            if requirement is not None and requirement.count > 0:
                self.requirement[student.id] = requirement
        for activity in sc.activities:
            self.participants[activity.id] = [
                s.id for s in sc.students if participates(s, activity)
            ]
            for session in activity.sessions:
                self.sessions[session.id] = (activity.id, session)
        tags = {site.id: frozenset(site.tags) for site in sc.sites}
        self.slot_tags = {slot.id: tags.get(slot.site, frozenset()) for slot in sc.slots}

    def _time(self) -> None:
        sc = self.scenario
        self.session_spans = {
            sid: (minute(s.start), minute(s.end)) for sid, (_, s) in self.sessions.items()
        }
        self.period_spans = {p.id: period_spans(p) for p in sc.periods}
        for sid, span in self.session_spans.items():
            for pid, spans in self.period_spans.items():
                if _overlap_any((span,), spans):
                    self.session_period_clash.add((sid, pid))
        ids = sorted(self.period_spans)
        for i, p in enumerate(ids):
            for q in ids[i + 1 :]:
                if _overlap_any(self.period_spans[p], self.period_spans[q]):
                    self.period_clash.add((p, q))
        ordered = sorted(self.session_spans.items(), key=lambda item: item[1])
        for i, (sid, (_start, end)) in enumerate(ordered):
            for other, (o_start, _o_end) in ordered[i + 1 :]:
                if o_start >= end:
                    break
                if self.sessions[sid][0] != self.sessions[other][0]:
                    self.session_overlaps.append((sid, other))

    def _students(self) -> None:
        sc = self.scenario
        rooms = {r.id: r.accessible for r in sc.rooms}
        sites = {s.id: s for s in sc.sites}
        # profession -> site -> period -> open slots: checks run per site and per period
        offers: dict[str, dict[str, dict[str, list]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        for slot in sc.slots:
            if slot.status != "declined" and slot.capacity > 0 and slot.site in sites:
                offers[slot.profession][slot.site][slot.period].append(slot)
        activities_of = defaultdict(list)
        for activity_id, members in self.participants.items():
            for student_id in members:
                activities_of[student_id].append(activity_id)
        sessions_of = defaultdict(list)
        for sid, (activity_id, _) in self.sessions.items():
            sessions_of[activity_id].append(sid)
        max_km = sc.policy.max_travel_km
        cache: dict[tuple[object, object], bool] = {}
        for student in sc.students:
            key, busy = self._student_busy(student)

            def free(item: object, spans: tuple[Span, ...], key=key, busy=busy) -> bool:
                if (key, item) not in cache:
                    cache[(key, item)] = not busy.hits_any(spans)
                return cache[(key, item)]

            self.free_sessions[student.id] = [
                sid
                for activity_id in activities_of[student.id]
                for sid in sessions_of[activity_id]
                if free(self.session_spans[sid], (self.session_spans[sid],))
                and (not student.needs_accessible or rooms.get(self.sessions[sid][1].room, False))
            ]
            if student.id not in self.requirement:
                continue
            eligible = []
            prefs = {site_id: n for n, site_id in enumerate(student.site_preferences, 1)}
            unranked = len(prefs) + 1
            for site_id, periods in offers[student.profession].items():
                site = sites[site_id]
                if student.travel_mode == "transit" and not site.transit_accessible:
                    continue
                if student.needs_accessible and not site.accessible:
                    continue
                km = travel_between(student.home, site.location)
                if max_km is not None and student.home is not None and km > max_km:
                    continue
                tenths, rank = int(round(km * 10)), prefs.get(site_id, unranked)
                for period_id, slots in periods.items():
                    if not free(period_id, self.period_spans.get(period_id, ())):
                        continue
                    for slot in slots:
                        if slot.language is not None and slot.language not in student.languages:
                            continue
                        eligible.append(slot.id)
                        self.travel[(student.id, slot.id)] = tenths
                        self.rank[(student.id, slot.id)] = rank
            self.eligible_slots[student.id] = eligible

    def _student_busy(self, student: Student) -> tuple[object, Busy]:
        """The student's own busy time merged with their program calendars; with a key
        shared by students whose busy time is the same, so checks are cached."""
        term = self.scenario.term
        calendars = calendars_for(student, self.scenario.program_calendars)
        unavailable = [*student.unavailable]
        weekly = [*student.weekly_unavailable]
        for calendar in calendars:
            unavailable += calendar.unavailable
            weekly += calendar.weekly_unavailable
        busy = _busy(unavailable, weekly, term.start, term.end)
        return (busy.spans, busy.weekly), busy
