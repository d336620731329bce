"""The calendar written line by line is byte for byte the one `icalendar` builds: TEXT
escapes, folding at 75 octets (multibyte characters and escapes never split), the three
kinds of event, the VTIMEZONE, an empty calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from scheduler.domain.scenario import WeeklyWindow
from scheduler.services import ics

STAMP = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _events(zone: str) -> list[ics.AnyEvent]:
    about = ics.About(
        summary="IPE: Team, work; x\\y ü " * 3,
        location="Room 1, East; wing",
        description="Term A. Session S1, team T1.\nnext " + "ééé" * 30,
        geo=(51.123456789, -0.5),
        sequence=3,
    )
    events: list[ics.AnyEvent] = [
        ics.TimedEvent(
            uid=ics.uid("session", "T", "S1", "X"),
            about=about,
            timezone=zone,
            start=datetime(2027, 1, 28, 13, 0),
            end=datetime(2027, 1, 28, 15, 0),
        )
    ]
    weekly = [
        WeeklyWindow(day="mon", start="08:00", end="24:00"),
        WeeklyWindow(day="wed", start="08:00", end="24:00"),
        WeeklyWindow(day="tue", start="07:00", end="12:00"),
    ]
    long_name = ics.About(summary="Placement: site \\" * 14, location="Site", geo=(1, 2.5))
    events += ics.weekly_events(
        ["placement", "T", "S", "SL"],
        weekly,
        about=long_name,
        timezone=zone,
        first=date(2027, 3, 1),
        last=date(2027, 4, 30),
    )
    events += ics.weekly_events(
        ["placement", "T", "S", "SL2"],
        [],
        about=ics.About(summary="P2"),
        timezone=zone,
        first=date(2027, 3, 1),
        last=date(2027, 4, 30),
    )
    return events


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/London", "Asia/Kolkata", "UTC", "Africa/Abidjan"]
)
@pytest.mark.parametrize("which", ["all", "none", "days only"])
def test_written_calendar_is_icalendars(zone: str, which: str) -> None:
    events = _events(zone)
    chosen = {"all": events, "none": [], "days only": events[-1:]}[which]
    name = "IPE schedule: Ann, B; c\\ d " + "x" * 80
    written = ics.build_calendar(name=name, events=chosen, stamp=STAMP)
    assert written == ics.reference_calendar(name=name, events=chosen, stamp=STAMP)


def test_two_timezones_take_icalendars_way() -> None:
    events = _events("Europe/London")[:1] + _events("America/New_York")[:1]
    written = ics.build_calendar(name="x", events=events, stamp=STAMP)
    assert written == ics.reference_calendar(name="x", events=events, stamp=STAMP)
    assert written.count(b"BEGIN:VTIMEZONE") == 2
