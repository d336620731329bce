"""Busy time as the solver sees it: one-off intervals plus weekly windows over the term.

The validator in `scheduler.domain.validator` does the same arithmetic its own way on
purpose, so a bug here cannot hide itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scheduler.domain.scenario import Interval, Period, WeeklyWindow
from scheduler.domain.scenario_types import WEEKDAYS, clock_minutes

DayWindow = tuple[int, int, int]
"""(weekday 0=Mon, start minute, end minute) of a weekly window."""


def day_window(window: WeeklyWindow) -> DayWindow:
    return (WEEKDAYS.index(window.day), clock_minutes(window.start), clock_minutes(window.end))


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals conflict when they share more than zero minutes."""
    return a_start < b_end and b_start < a_end


def window_on(day: date, window: DayWindow) -> tuple[datetime, datetime]:
    """The concrete interval of a weekly window on a given date."""
    midnight = datetime.combine(day, time())
    return midnight + timedelta(minutes=window[1]), midnight + timedelta(minutes=window[2])


def dates_touched(start: datetime, end: datetime) -> list[date]:
    """Every calendar date that [start, end) touches."""
    last = (end - timedelta(microseconds=1)).date()
    days = []
    current = start.date()
    while current <= last:
        days.append(current)
        current += timedelta(days=1)
    return days


@dataclass(frozen=True)
class Busy:
    """A person's busy time: concrete intervals and weekly windows repeating within bounds."""

    intervals: tuple[tuple[datetime, datetime], ...]
    weekly: tuple[DayWindow, ...]
    first_day: date
    last_day: date

    @classmethod
    def build(
        cls,
        intervals: Iterable[Interval],
        weekly: Iterable[WeeklyWindow],
        first_day: date,
        last_day: date,
    ) -> Busy:
        return cls(
            tuple(sorted((i.start, i.end) for i in intervals)),
            tuple(sorted({day_window(w) for w in weekly})),
            first_day,
            last_day,
        )

    def conflicts(self, start: datetime, end: datetime) -> bool:
        """True when [start, end) overlaps any busy interval or weekly occurrence."""
        if any(overlaps(start, end, s, e) for s, e in self.intervals):
            return True
        if not self.weekly:
            return False
        for day in dates_touched(start, end):
            if not self.first_day <= day <= self.last_day:
                continue
            weekday = day.weekday()
            for window in self.weekly:
                if window[0] == weekday and overlaps(start, end, *window_on(day, window)):
                    return True
        return False

    def conflicts_period(self, period: PeriodTime) -> bool:
        """True when a placement in the period would overlap this busy time."""
        if any(period.conflicts(s, e) for s, e in self.intervals):
            return True
        for window in self.weekly:
            for day in period.days_with(window[0]):
                if self.first_day <= day <= self.last_day and period.window_clash(day, window):
                    return True
        return False


@dataclass(frozen=True)
class PeriodTime:
    """The time a placement in a period occupies: weekly windows on every date of the period."""

    id: str
    first_day: date
    last_day: date
    windows: tuple[DayWindow, ...]

    @classmethod
    def of(cls, period: Period) -> PeriodTime:
        return cls(period.id, period.start, period.end, tuple(day_window(w) for w in period.weekly))

    def days_with(self, weekday: int) -> list[date]:
        """Dates of the period falling on a weekday that has a placement window."""
        if not any(w[0] == weekday for w in self.windows):
            return []
        offset = (weekday - self.first_day.weekday()) % 7
        day = self.first_day + timedelta(days=offset)
        days = []
        while day <= self.last_day:
            days.append(day)
            day += timedelta(days=7)
        return days

    def window_clash(self, day: date, other: DayWindow) -> bool:
        """True when a weekly window on `day` overlaps one of this period's windows that day."""
        other_start, other_end = window_on(day, other)
        return any(
            w[0] == day.weekday() and overlaps(other_start, other_end, *window_on(day, w))
            for w in self.windows
        )

    def conflicts(self, start: datetime, end: datetime) -> bool:
        """True when [start, end) overlaps an on-site window of this period."""
        for day in dates_touched(start, end):
            if not self.first_day <= day <= self.last_day:
                continue
            for window in self.windows:
                if window[0] == day.weekday() and overlaps(start, end, *window_on(day, window)):
                    return True
        return False

    def clashes_with(self, other: PeriodTime) -> bool:
        """True when two placements in these periods would be on site at the same moment."""
        first = max(self.first_day, other.first_day)
        last = min(self.last_day, other.last_day)
        if first > last:
            return False
        day = first
        seen_weekdays: set[int] = set()
        while day <= last and len(seen_weekdays) < 7:
            seen_weekdays.add(day.weekday())
            for window in other.windows:
                if window[0] == day.weekday() and self.window_clash(day, window):
                    return True
            day += timedelta(days=1)
        return False


def any_conflict(busy: Sequence[Busy], start: datetime, end: datetime) -> bool:
    return any(b.conflicts(start, end) for b in busy)
