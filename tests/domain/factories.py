"""Small hand-built scenarios and schedules for tests, valid unless a test changes them.

The base scenario (term T1, 2027-01-04 Mon .. 2027-04-30 Fri):
- professions NURS and PT; students n1, n2 (NURS) and p1, p2 (PT), no home, no busy time;
- room R1 (not accessible); facilitator F1 (NURS, unlimited sessions);
- activity A1 for NURS and PT: teams of 2..4 with 1..2 of each profession and 2 professions,
  one facilitator per 2 teams; sessions S1 (Wed 2027-02-03 13:00-15:00) and S2 (Wed
  2027-02-10 13:00-15:00), both in R1 with max_teams 2;
- site H1 at (45.0, -75.0), transit and wheelchair accessible, tagged `acute`;
- period P1 2027-03-01 .. 2027-03-26, on site Mon and Tue 08:00-16:00;
- slot L1 at H1 in P1 for NURS, capacity 2, confirmed;
- requirement NURS: one placement, at least one at an `acute` site.

The base schedule: S1 team t1 = [n1, p1], S2 team t1 = [n2, p2], both run by F1; n1 and n2
hold L1; nothing unassigned.

Override whole lists with keyword arguments (`make_scenario(students=[...])`), change one
entity with `replace_item`, and build entities with the small helpers below. Helpers return
plain dicts so they compose with pydantic validation; `make_scenario` validates the result.
Tests outside tests/domain can `sys.path.insert(0, "tests/domain")` and import this module.
"""

from __future__ import annotations

from typing import Any

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

TERM_ID = "T1"


def student(student_id: str, profession: str = "NURS", **fields: Any) -> dict[str, Any]:
    """A student with no busy time, no home, speaking English."""
    return {
        "id": student_id,
        "name": f"Student {student_id}",
        "email": f"{student_id}@example.edu",
        "profession": profession,
        "languages": ["en"],
        **fields,
    }


def interval(start: str, end: str) -> dict[str, str]:
    """A half-open interval, e.g. interval("2027-02-03T13:00", "2027-02-03T15:00")."""
    return {"start": start, "end": end}


def weekly(day: str, start: str, end: str) -> dict[str, str]:
    """A weekly window, e.g. weekly("wed", "13:00", "15:00")."""
    return {"day": day, "start": start, "end": end}


def session(
    session_id: str, start: str, end: str, room: str = "R1", max_teams: int = 2
) -> dict[str, Any]:
    """An activity session in a room."""
    return {"id": session_id, "start": start, "end": end, "room": room, "max_teams": max_teams}


def activity(activity_id: str = "A1", **fields: Any) -> dict[str, Any]:
    """The base NURS+PT activity with sessions S1 and S2; keyword fields replace its own."""
    return {
        "id": activity_id,
        "name": f"Activity {activity_id}",
        "participants": [{"profession": "NURS"}, {"profession": "PT"}],
        "team": {
            "min_size": 2,
            "max_size": 4,
            "min_professions": 2,
            "professions": {"NURS": {"min": 1, "max": 2}, "PT": {"min": 1, "max": 2}},
        },
        "teams_per_facilitator": 2,
        "sessions": [
            session("S1", "2027-02-03T13:00", "2027-02-03T15:00"),
            session("S2", "2027-02-10T13:00", "2027-02-10T15:00"),
        ],
        **fields,
    }


def site(
    site_id: str = "H1", lat: float = 45.0, lon: float = -75.0, **fields: Any
) -> dict[str, Any]:
    """An accessible, transit-reachable acute site."""
    return {
        "id": site_id,
        "name": f"Site {site_id}",
        "location": {"lat": lat, "lon": lon},
        "transit_accessible": True,
        "accessible": True,
        "tags": ["acute"],
        "languages": ["en"],
        **fields,
    }


def slot(slot_id: str = "L1", **fields: Any) -> dict[str, Any]:
    """A confirmed NURS slot at H1 in P1 with capacity 2."""
    return {
        "id": slot_id,
        "site": "H1",
        "period": "P1",
        "profession": "NURS",
        "capacity": 2,
        "status": "confirmed",
        **fields,
    }


def base_scenario_data() -> dict[str, Any]:
    """The base scenario as a JSON-like dict (see the module docstring)."""
    return {
        "format": "ipe-scenario/1",
        "term": {
            "id": TERM_ID,
            "name": "Winter 2027",
            "start": "2027-01-04",
            "end": "2027-04-30",
            "timezone": "America/Toronto",
        },
        "professions": [
            {"code": "NURS", "name": "Nursing"},
            {"code": "PT", "name": "Physical Therapy"},
        ],
        "students": [
            student("n1"),
            student("n2"),
            student("p1", "PT"),
            student("p2", "PT"),
        ],
        "program_calendars": [],
        "rooms": [{"id": "R1", "name": "Room 1", "accessible": False}],
        "facilitators": [{"id": "F1", "name": "Facilitator 1", "profession": "NURS"}],
        "activities": [activity()],
        "sites": [site()],
        "periods": [
            {
                "id": "P1",
                "start": "2027-03-01",
                "end": "2027-03-26",
                "weekly": [weekly("mon", "08:00", "16:00"), weekly("tue", "08:00", "16:00")],
            }
        ],
        "slots": [slot()],
        "placement_requirements": [{"profession": "NURS", "count": 1, "tags": {"acute": 1}}],
        "policy": {},
    }


def make_scenario(**overrides: Any) -> Scenario:
    """The base scenario with top-level fields replaced, e.g. make_scenario(students=[...])."""
    data = base_scenario_data()
    data.update(overrides)
    return Scenario.model_validate(data)


def replace_item(scenario: Scenario, collection: str, item_id: str, **changes: Any) -> Scenario:
    """A copy of the scenario with one entity of a top-level list changed (matched by id/code).

    Example: replace_item(scenario, "students", "n1", home={"lat": 45.0, "lon": -75.0}).
    """
    data = scenario.model_dump(mode="json")
    items = data[collection]
    for item in items:
        if item.get("id", item.get("code")) == item_id:
            item.update(changes)
            return Scenario.model_validate(data)
    raise KeyError(f"no {collection} item {item_id!r}")


def team(team_id: str, *students: str) -> dict[str, Any]:
    """A team of a session entry."""
    return {"id": team_id, "students": list(students)}


def session_entry(
    session_id: str,
    *teams: dict[str, Any],
    activity_id: str = "A1",
    facilitators: tuple[str, ...] = ("F1",),
) -> dict[str, Any]:
    """A schedule's session entry: session_entry("S1", team("t1", "n1", "p1"))."""
    return {
        "session": session_id,
        "activity": activity_id,
        "facilitators": list(facilitators),
        "teams": list(teams),
    }


def placement(student_id: str, slot_id: str = "L1") -> dict[str, str]:
    """A placement of a student in a slot."""
    return {"student": student_id, "slot": slot_id}


def unassigned_activity(student_id: str, activity_id: str = "A1") -> dict[str, Any]:
    """An unassigned entry for an activity the student does not attend."""
    return {"student": student_id, "activity": activity_id, "reasons": []}


def unassigned_requirement(student_id: str, requirement: str = "NURS") -> dict[str, Any]:
    """An unassigned entry for one placement the student does not hold."""
    return {"student": student_id, "requirement": requirement, "reasons": []}


def base_schedule_data() -> dict[str, Any]:
    """The base schedule, valid for the base scenario, as a JSON-like dict."""
    return {
        "format": "ipe-schedule/1",
        "term": TERM_ID,
        "status": "feasible",
        "sessions": [
            session_entry("S1", team("t1", "n1", "p1")),
            session_entry("S2", team("t1", "n2", "p2")),
        ],
        "placements": [placement("n1"), placement("n2")],
        "unassigned": [],
    }


def make_schedule(**overrides: Any) -> Schedule:
    """The base schedule with top-level fields replaced, e.g. make_schedule(placements=[])."""
    data = base_schedule_data()
    data.update(overrides)
    return Schedule.model_validate(data)
