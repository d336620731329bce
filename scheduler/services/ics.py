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

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vDuration, vGeo

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

    Written line by line (`_written_calendar`), the same bytes `icalendar` writes
    (`reference_calendar`; a test compares them), about 30 times faster: a publish
    writes one calendar per student and site. More than one timezone, or a zone
    `icalendar` writes as UTC (`Z` times, no VTIMEZONE), goes the slow way.
    """
    zones = {e.timezone for e in events if not isinstance(e, SpanEvent)}
    if len(zones) <= 1 and all(_named_zone(z) for z in zones):
        return _written_calendar(name, events, stamp)
    return reference_calendar(name=name, events=events, stamp=stamp)


def reference_calendar(*, name: str, events: Sequence[AnyEvent], stamp: datetime) -> bytes:
    """The calendar as `icalendar` builds it (the reference for `build_calendar`)."""
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


# ---- the calendar written line by line --------------------------------------------------

_FOLD_AT = 75


def _fold(line: str) -> str:
    """RFC 5545 folding at 75 octets, exactly as `icalendar` folds (never after a `\\`)."""
    if line.isascii():
        if len(line) < _FOLD_AT:
            return line
        return _fold_ascii(line)
    parts: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= _FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, count = [carried], len(carried.encode())
            else:
                parts.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        parts.append("".join(current))
    return "\r\n ".join(parts)


def _fold_ascii(line: str) -> str:
    """`_fold` for one-byte characters: parts of 74, one shorter before a `\\` or `^`."""
    parts = []
    start = 0
    while len(line) - start >= _FOLD_AT:
        end = start + _FOLD_AT - 1
        if line[end - 1] in "\\^" and end - 1 > start:
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return "\r\n ".join(parts)


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 (3.3.11) and `icalendar` escape it."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


@functools.cache
def _named_zone(tzid: str) -> bool:
    """Whether `icalendar` writes times of this zone with a TZID (not as UTC)."""
    probe = Event()
    probe.add("dtstart", datetime(2027, 1, 1, tzinfo=ZoneInfo(tzid)))
    return b"TZID=" in probe.to_ical()


_TIMEZONES: dict[tuple[str, date, date], str] = {}


def _vtimezone(tzid: str, first: date, last: date) -> str:
    """The VTIMEZONE `icalendar` adds for a zone and span, made once per process."""
    key = (tzid, first, last)
    if key not in _TIMEZONES:
        try:
            zone = Timezone.from_tzid(tzid, first_date=first, last_date=last)
        except ValueError:  # an unknown zone: `icalendar` leaves it out too
            _TIMEZONES[key] = ""
        else:
            _TIMEZONES[key] = zone.to_ical().decode()
        if len(_TIMEZONES) > 256:
            _TIMEZONES.pop(next(iter(_TIMEZONES)))
    return _TIMEZONES[key]


def _written_calendar(name: str, events: Sequence[AnyEvent], stamp: datetime) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_text(PRODID)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _fold("X-WR-CALNAME:" + name.replace("\r", " ").replace("\n", " ")),
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
    ]
    body: list[str] = []
    zones: set[str] = set()
    moment = _utc(stamp)
    for event in events:
        written = _written_event(event, moment)
        if written:
            body += written
            if not isinstance(event, SpanEvent):
                zones.add(event.timezone)
    if zones:
        first, last = _span(events)
        zone = _vtimezone(next(iter(zones)), first, last)
        if zone:
            lines.append(zone.rstrip("\r\n"))
    lines += body
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _written_event(event: AnyEvent, moment: str) -> list[str]:
    """One VEVENT in `icalendar`'s order: the canonical properties, then alphabetical."""
    if isinstance(event, TimedEvent):
        zone = f";TZID={event.timezone}:"
        when = ["DTSTART" + zone + _local(event.start), "DTEND" + zone + _local(event.end)]
        rule: list[str] = []
    elif isinstance(event, WeeklyEvent):
        tz = ZoneInfo(event.timezone)
        day = first_matching_day(event.first, event.last, event.days)
        if day is None:
            return []
        zone = f";TZID={event.timezone}:"
        when = [
            "DTSTART" + zone + _local(_at(day, event.start, tz)),
            "DTEND" + zone + _local(_at(day, event.end, tz)),
        ]
        until = datetime.combine(event.last, time(23, 59, 59), tzinfo=tz)
        days = ",".join(RRULE_DAYS[d] for d in event.days)
        rule = [f"RRULE:FREQ=WEEKLY;UNTIL={_utc(until)};BYDAY={days}"]
    else:
        when = [
            f"DTSTART;VALUE=DATE:{event.first:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.last + timedelta(days=1):%Y%m%d}",
        ]
        rule = []
    about = event.about
    lines = ["BEGIN:VEVENT", _fold("SUMMARY:" + _text(about.summary)), *when]
    lines += [f"DTSTAMP:{moment}", _fold("UID:" + _text(event.uid)), f"SEQUENCE:{about.sequence}"]
    lines += rule
    if about.description:
        lines.append(_fold("DESCRIPTION:" + _text(about.description)))
    if about.geo is not None:
        lines.append(f"GEO:{float(about.geo[0])};{float(about.geo[1])}")
    lines.append(f"LAST-MODIFIED:{moment}")
    if about.location:
        lines.append(_fold("LOCATION:" + _text(about.location)))
    lines.append("END:VEVENT")
    return lines
