"""iCalendar (RFC 5545) documents: one event per IPE session, one recurring event per
placement's weekly hours.

Scenario times are the term's local wall-clock, so every event carries the term's TZID and
the calendar carries the matching VTIMEZONE (built from zoneinfo by `icalendar`): a 07:30
placement stays at 07:30 on both sides of a daylight-saving change. A placement is one
weekly RRULE per distinct pair of hours, not one event per day, so a calendar app shows a
series it can edit as one. UIDs come from the caller, built from ids that outlive versions
(term, person, session or slot), so a re-published schedule replaces events in place.
Pure: records in, bytes out; no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vGeo

from scheduler.domain.scenario import WeeklyWindow
from scheduler.domain.scenario_types import WEEKDAYS, Weekday

PRODID = "-//IPE scheduler//calendar feed//EN"
UID_DOMAIN = "ipe-scheduler"
REFRESH = timedelta(hours=6)
RRULE_DAYS = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA"}
RRULE_DAYS["sun"] = "SU"


@dataclass(frozen=True)
class About:
    """What an event says, apart from when it is.

    `sequence` should grow with each published version, so clients take the newer copy.
    """

    summary: str
    location: str = ""
    description: str = ""
    geo: tuple[float, float] | None = None
    sequence: int = 0


@dataclass(frozen=True)
class TimedEvent:
    """A one-off event at naive wall-clock times of `timezone` (an IPE session)."""

    uid: str
    about: About
    timezone: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class SpanEvent:
    """Whole days from `first` to `last` (a placement period without weekly hours)."""

    uid: str
    about: About
    first: date
    last: date


@dataclass(frozen=True)
class WeeklyEvent:
    """The same hours on some weekdays of every week from `first` to `last` (inclusive)."""

    uid: str
    about: About
    timezone: str
    first: date
    last: date
    days: tuple[Weekday, ...]
    start: str
    end: str


AnyEvent = TimedEvent | WeeklyEvent | SpanEvent


def uid(*parts: str) -> str:
    """A UID from stable ids: `part-part-...@ipe-scheduler` (unsafe characters dropped)."""
    cleaned = ["".join(c if c.isalnum() or c in "-_." else "_" for c in p) for p in parts]
    return "-".join(cleaned) + "@" + UID_DOMAIN


def weekly_events(
    uid_parts: Sequence[str],
    windows: Sequence[WeeklyWindow],
    *,
    about: About,
    timezone: str,
    first: date,
    last: date,
) -> list[WeeklyEvent | SpanEvent]:
    """One recurring event per distinct (start, end) of the windows, with all their days.

    The UID ends with the hours, so the series of one pair of hours is the same event in
    every version that keeps those hours. Without any window, the whole period is one
    all-day event.
    """
    if not windows:
        return [SpanEvent(uid=uid(*uid_parts, "days"), about=about, first=first, last=last)]
    days_by_hours: dict[tuple[str, str], set[Weekday]] = {}
    for window in windows:
        days_by_hours.setdefault((window.start, window.end), set()).add(window.day)
    return [
        WeeklyEvent(
            uid=uid(*uid_parts, f"{start.replace(':', '')}-{end.replace(':', '')}"),
            about=about,
            timezone=timezone,
            first=first,
            last=last,
            days=tuple(d for d in WEEKDAYS if d in days),
            start=start,
            end=end,
        )
        for (start, end), days in sorted(days_by_hours.items())
    ]


def build_calendar(*, name: str, events: Sequence[AnyEvent], stamp: datetime) -> bytes:
    """A VCALENDAR of `events`, with a VTIMEZONE for every timezone they refer to.

    `stamp` (a UTC moment, e.g. when the newest version was published) is every event's
    DTSTAMP, so the same schedule always gives the same bytes.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for event in events:
        built = _component(event)
        if built is not None:
            _stamp(built, stamp, event.about.sequence)
            calendar.add_component(built)
    first, last = _span(events)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _component(event: AnyEvent) -> Event | None:
    if isinstance(event, TimedEvent):
        return _timed(event)
    if isinstance(event, WeeklyEvent):
        return _weekly(event)
    return _span_event(event)


def _timed(event: TimedEvent) -> Event:
    zone = ZoneInfo(event.timezone)
    built = _base(event.uid, event.about)
    built.add("dtstart", event.start.replace(tzinfo=zone))
    built.add("dtend", event.end.replace(tzinfo=zone))
    return built


def _span_event(event: SpanEvent) -> Event:
    """All-day dates: DTEND is exclusive, the day after the last one."""
    built = _base(event.uid, event.about)
    built.add("dtstart", event.first)
    built.add("dtend", event.last + timedelta(days=1))
    return built


def _weekly(event: WeeklyEvent) -> Event | None:
    """The series starts on the first matching day (RFC 5545: DTSTART is an instance)."""
    zone = ZoneInfo(event.timezone)
    day = first_matching_day(event.first, event.last, event.days)
    if day is None:
        return None
    built = _base(event.uid, event.about)
    built.add("dtstart", _at(day, event.start, zone))
    built.add("dtend", _at(day, event.end, zone))
    # With a TZID start, UNTIL must be UTC: the end of the last day, local, in UTC.
    until = datetime.combine(event.last, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    built.add(
        "rrule", {"FREQ": "WEEKLY", "BYDAY": [RRULE_DAYS[d] for d in event.days], "UNTIL": until}
    )
    return built


def first_matching_day(first: date, last: date, days: Iterable[Weekday]) -> date | None:
    """The first date in [first, last] falling on one of `days`, or None."""
    wanted = {WEEKDAYS.index(d) for d in days}
    for offset in range(7):
        day = first + timedelta(days=offset)
        if day > last:
            return None
        if day.weekday() in wanted:
            return day
    return None


def _at(day: date, clock: str, zone: ZoneInfo) -> datetime:
    """`day` at "HH:MM" in `zone`; "24:00" is midnight at the end of the day."""
    hours, minutes = (int(part) for part in clock.split(":"))
    moment = datetime.combine(day, time(0, 0), tzinfo=zone)
    return moment.replace(hour=hours % 24, minute=minutes) + timedelta(days=hours // 24)


def _base(event_uid: str, about: About) -> Event:
    event = Event()
    event.add("uid", event_uid)
    event.add("summary", about.summary)
    if about.location:
        event.add("location", about.location)
    if about.description:
        event.add("description", about.description)
    if about.geo is not None:
        event.add("geo", vGeo(about.geo))
    return event


def _stamp(event: Event, stamp: datetime, sequence: int) -> None:
    moment = stamp.astimezone(UTC)
    event.add("dtstamp", moment)
    event.add("last-modified", moment)
    event.add("sequence", sequence)


def _span(events: Sequence[AnyEvent]) -> tuple[date, date]:
    """Dates around every event, so the VTIMEZONE holds just the transitions that matter."""
    days = [d for e in events for d in _days(e)] or [date(2000, 1, 1)]
    return min(days) - timedelta(days=366), max(days) + timedelta(days=366)


def _days(event: AnyEvent) -> tuple[date, date]:
    if isinstance(event, TimedEvent):
        return event.start.date(), event.end.date()
    return event.first, event.last
