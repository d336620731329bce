"""Calendar feeds: they parse with `icalendar`, expand (with `recurring_ical_events`, not our
own code) to exactly the schedule's sessions and placement days at the term's local times,
across the March daylight-saving change, and keep their UIDs when a version is published
again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from fastapi.testclient import TestClient
from service_support import World, build_world, tiny_schedule
from sqlalchemy import Engine
from web_support import changed_schedule, publish

from scheduler.db.engine import new_session
from scheduler.domain.scenario import Scenario
from scheduler.domain.scenario_types import WEEKDAYS
from scheduler.domain.schedule import Schedule
from scheduler.services import feeds

NEW_YORK = ZoneInfo("America/New_York")
DST_2027 = date(2027, 3, 14)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def feed_token(engine: Engine, world: World, user: str) -> str:
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users[user])
        session.commit()
    return token


def read_feed(client: TestClient, token: str) -> icalendar.Calendar:
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def occurrences(calendar: icalendar.Calendar) -> list[tuple[str, datetime, datetime]]:
    """Every event instance in 2027, as (UID, start, end), expanded by a third party."""
    expanded = recurring_ical_events.of(calendar).between(date(2027, 1, 1), date(2028, 1, 1))
    return sorted((str(e["UID"]), e["DTSTART"].dt, e["DTEND"].dt) for e in expanded)


def expected_instances(
    scenario: Scenario, schedule: Schedule, student: str
) -> set[tuple[datetime, datetime]]:
    """The student's sessions and every placement day, at local times of the term zone."""
    zone = ZoneInfo(scenario.term.timezone)
    sessions = {s.id: s for a in scenario.activities for s in a.sessions}
    found = {
        (
            sessions[e.session].start.replace(tzinfo=zone),
            sessions[e.session].end.replace(tzinfo=zone),
        )
        for e in schedule.sessions
        for t in e.teams
        if student in t.students
    }
    slots = {s.id: s for s in scenario.slots}
    periods = {p.id: p for p in scenario.periods}
    for placement in (p for p in schedule.placements if p.student == student):
        period = periods[slots[placement.slot].period]
        day = period.start
        while day <= period.end:
            for window in period.weekly:
                if WEEKDAYS[day.weekday()] == window.day:
                    found.add((_local(day, window.start, zone), _local(day, window.end, zone)))
            day += timedelta(days=1)
    return found


def _local(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(x) for x in clock.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone)


def test_student_feed_is_exactly_the_schedule(
    client: TestClient, engine: Engine, world: World
) -> None:
    calendar = read_feed(client, feed_token(engine, world, "student_a"))
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    found = occurrences(calendar)
    instances = {(start, end) for _, start, end in found}
    assert len(instances) == len(found), "an instance appears twice"
    assert instances == expected_instances(world.scenarios["a"], tiny_schedule(), "T01")
    placements = [e for e in calendar.walk("VEVENT") if "RRULE" in e]
    assert placements, "placements are recurring events"
    assert all(e["DTSTART"].dt.tzinfo.key == "America/New_York" for e in placements)


def test_placement_days_keep_their_local_time_across_daylight_saving(
    client: TestClient, engine: Engine, world: World
) -> None:
    calendar = read_feed(client, feed_token(engine, world, "student_a"))
    placement_starts = [
        start for uid, start, _ in occurrences(calendar) if uid.startswith("placement-")
    ]
    before = [s for s in placement_starts if s.date() < DST_2027]
    after = [s for s in placement_starts if s.date() > DST_2027]
    assert before and after, "the tiny period runs across 14 March 2027"
    assert {s.strftime("%H:%M") for s in placement_starts} == {"07:30"}
    assert {s.utcoffset() for s in before} == {timedelta(hours=-5)}
    assert {s.utcoffset() for s in after} == {timedelta(hours=-4)}
    assert {s.astimezone(UTC).strftime("%H:%M") for s in before} == {"12:30"}
    assert {s.astimezone(UTC).strftime("%H:%M") for s in after} == {"11:30"}


def test_publishing_again_keeps_uids_and_replaces_events(
    client: TestClient, engine: Engine, world: World
) -> None:
    token = feed_token(engine, world, "student_a")
    first = read_feed(client, token)
    publish(engine, world, tiny_schedule())
    second = read_feed(client, token)
    uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert sorted(uids) == sorted(str(e["UID"]) for e in second.walk("VEVENT"))
    assert len(set(uids)) == len(uids)
    assert all(e["SEQUENCE"] == 2 for e in second.walk("VEVENT"))
    publish(engine, world, changed_schedule())
    third = read_feed(client, token)
    sessions = [e for e in third.walk("VEVENT") if str(e["UID"]).startswith("session-")]
    assert {str(e["UID"]) for e in sessions} == {u for u in uids if u.startswith("session-")}
    assert all("team" in str(e["DESCRIPTION"]) for e in sessions)
    assert occurrences(third), "the moved placement is still there"
    found = {(s, e) for _, s, e in occurrences(third)}
    assert found == expected_instances(world.scenarios["a"], changed_schedule(), "T01")


def test_rotating_ends_the_old_address(client: TestClient, engine: Engine, world: World) -> None:
    old = feed_token(engine, world, "student_a")
    new = feed_token(engine, world, "student_a")
    gone = client.get(f"/feeds/{old}.ics")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    assert client.get(f"/feeds/{new}.ics").status_code == 200
    assert client.get("/feeds/not-a-token.ics").status_code == 404


def test_partner_feed_holds_the_sites_placed_slots(
    client: TestClient, engine: Engine, world: World
) -> None:
    calendar = read_feed(client, feed_token(engine, world, "partner_a2"))
    events = calendar.walk("VEVENT")
    assert events
    assert all(str(e["UID"]).startswith("slot-") for e in events)
    assert all("SITE-B" in str(e["UID"]) for e in events)
    assert any("Ana Reyes" in str(e["DESCRIPTION"]) for e in events)
    assert all(e["DTSTART"].dt.tzinfo == NEW_YORK for e in events)
