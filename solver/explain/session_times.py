"""When to add a session: the time most of an activity's unplaced students are free.

A new session only helps if a team can form in it, so a time counts only when the team
rule's required professions have someone free then, a room is free (accessible when an
unplaced student needs it) and, when the activity needs facilitators, one is available.
Weekly patterns are scored first on weekday and hour; the best few are then checked on
every date of the term against all busy time, including what the schedule already holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scheduler.domain.scenario import Activity, Student
from solver.availability import Busy, overlaps
from solver.explain.busy import busy_sources
from solver.explain.facts import Facts
from solver.explain.focus import period_spans

FIRST_HOUR, LAST_END_HOUR = 8, 20
PATTERNS_CHECKED = 5


@dataclass(frozen=True)
class SessionTime:
    """A proposed session: when, where, and how many of the unplaced students are free."""

    start: datetime
    end: datetime
    room: str
    free: tuple[str, ...]


class _Person:
    """A student's busy time including the schedule's commitments outside the activity."""

    def __init__(self, facts: Facts, student: Student, activity: str) -> None:
        position = facts.positions[student.id]
        self.sources = [s.busy for s in busy_sources(facts.scenario, student, position)]
        self.spans = _commitment_spans(facts, student.id, activity)

    def free(self, start: datetime, end: datetime) -> bool:
        if any(overlaps(start, end, a, b) for a, b in self.spans):
            return False
        return not any(b.conflicts(start, end) for b in self.sources)

    def weekly_free(self, weekday: int, start: int, end: int) -> bool:
        """Free on that weekday and clock time as far as weekly windows tell."""
        return not any(
            w[0] == weekday and w[1] < end and start < w[2] for b in self.sources for w in b.weekly
        )


def _commitment_spans(facts: Facts, student: str, activity: str) -> list[tuple[datetime, datetime]]:
    prep = facts.prep
    spans = [
        (prep.sessions[s].start, prep.sessions[s].end)
        for a, s in facts.attends.get(student, {}).items()
        if a != activity
    ]
    for slot in facts.holds.get(student, ()):
        spans += period_spans(prep.periods[facts.slots[slot].period])
    return spans


def best_time(facts: Facts, activity: Activity, unplaced: list[str]) -> SessionTime | None:
    """The time and room where most unplaced students are free and a team can form."""
    if not activity.sessions or not unplaced:
        return None
    return _Finder(facts, activity).best(unplaced)


class _Finder:
    """Scores candidate times for one activity; people's busy time is built once each."""

    def __init__(self, facts: Facts, activity: Activity) -> None:
        self.facts = facts
        self.activity = activity
        self._people: dict[str, _Person] = {}
        self._by_profession: dict[str, list[str]] = {}
        for info in facts.prep.students.values():
            if activity.id in info.free_sessions:
                self._by_profession.setdefault(info.profession, []).append(info.id)

    def person(self, student: str) -> _Person:
        if student not in self._people:
            self._people[student] = _Person(
                self.facts, self.facts.students[student], self.activity.id
            )
        return self._people[student]

    def best(self, unplaced: list[str]) -> SessionTime | None:
        sessions = self.activity.sessions
        duration = Counter(s.end - s.start for s in sessions).most_common(1)[0][0]
        people = [self.person(s) for s in unplaced]
        best: SessionTime | None = None
        for weekday, minute in _patterns(people, duration):
            for day in _dates(self.facts, weekday):
                start = datetime.combine(day, time()) + timedelta(minutes=minute)
                found = self.check(unplaced, start, start + duration)
                if found is not None and (best is None or len(found.free) > len(best.free)):
                    best = found
        return best

    def check(self, unplaced: list[str], start: datetime, end: datetime) -> SessionTime | None:
        free = tuple(s for s in unplaced if self.person(s).free(start, end))
        if not free or not self.team_possible(free, start, end):
            return None
        if self.activity.teams_per_facilitator > 0 and not _facilitator_free(
            self.facts, start, end
        ):
            return None
        accessible = any(self.facts.students[s].needs_accessible for s in free)
        room = _free_room(self.facts, start, end, accessible)
        return None if room is None else SessionTime(start, end, room, free)

    def team_possible(self, free: tuple[str, ...], start: datetime, end: datetime) -> bool:
        """The team rule's minimums can be met by someone free then (unplaced first; others
        may leave their session for it)."""
        rule = self.activity.team
        have = Counter(self.facts.students[s].profession for s in free)
        for code, limit in rule.professions.items():
            if have[code] < limit.min:
                have[code] += self.others_free(code, free, start, end, limit.min - have[code])
                if have[code] < limit.min:
                    return False
        for code in self._by_profession:
            if len(+have) >= rule.min_professions:
                break
            if have[code] == 0:
                have[code] += self.others_free(code, free, start, end, 1)
        for code in self._by_profession:
            short = rule.min_size - sum(have.values())
            if short <= 0:
                break
            have[code] += self.others_free(code, free, start, end, short)
        return len(+have) >= rule.min_professions and sum(have.values()) >= rule.min_size

    def others_free(
        self, profession: str, exclude: tuple[str, ...], start: datetime, end: datetime, wanted: int
    ) -> int:
        found = 0
        for student in self._by_profession.get(profession, ()):
            if found >= wanted:
                break
            if student not in exclude and self.person(student).free(start, end):
                found += 1
        return found


def _patterns(people: list[_Person], duration: timedelta) -> list[tuple[int, int]]:
    """(weekday, start minute) pairs, most unplaced students weekly-free first."""
    length = int(duration.total_seconds() // 60)
    scores = []
    for weekday in range(5):
        for minute in range(FIRST_HOUR * 60, LAST_END_HOUR * 60 - length + 1, 60):
            free = sum(p.weekly_free(weekday, minute, minute + length) for p in people)
            scores.append((-free, weekday, minute))
    scores.sort()
    return [(weekday, minute) for _, weekday, minute in scores[:PATTERNS_CHECKED]]


def _dates(facts: Facts, weekday: int) -> list[date]:
    term = facts.scenario.term
    first = term.start + timedelta(days=(weekday - term.start.weekday()) % 7)
    days = []
    while first <= term.end:
        days.append(first)
        first += timedelta(days=7)
    return days


def _facilitator_free(facts: Facts, start: datetime, end: datetime) -> bool:
    term = facts.scenario.term
    prep = facts.prep
    for facilitator in facts.scenario.facilitators:
        busy = Busy.build(
            facilitator.unavailable, facilitator.weekly_unavailable, term.start, term.end
        )
        runs = facts.runs.get(facilitator.id, [])
        if busy.conflicts(start, end):
            continue
        if any(overlaps(start, end, prep.sessions[s].start, prep.sessions[s].end) for s in runs):
            continue
        if facilitator.max_sessions is not None and len(runs) >= facilitator.max_sessions:
            continue
        return True
    return False


def _free_room(facts: Facts, start: datetime, end: datetime, accessible: bool) -> str | None:
    """A room no session of the scenario uses at that time (accessible when needed)."""
    taken = {
        info.room
        for info in facts.prep.sessions.values()
        if overlaps(start, end, info.start, info.end)
    }
    for room in facts.scenario.rooms:
        if room.id not in taken and (room.accessible or not accessible):
            return room.id
    return None
