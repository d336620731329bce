"""Hypothesis strategy of tiny terms spanning the whole scenario contract.

Not only the shapes `ipe generate` makes: placements-only and sessions-only terms; periods
that overlap, nest, touch or have no weekly windows (`weekly: []`); requirements asking for
more placements than there are periods; facilitators, rooms and `max_teams` that bind; team
rules at their limits; several tags with minimums above 1, languages, transit, accessibility
and travel limits; pins and `previous`; declined slots; students with no option at all;
sites and slots requiring a credential students hold, lack, hold pending or see expire.

Times sit on a coarse grid (a few days and hours) so that sessions, periods and busy time
collide often. Every drawn scenario passes `scheduler.domain` validation (the few draws that
would not are filtered out).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, get_args

from hypothesis import assume, event
from hypothesis import strategies as st

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import ObjectiveName, Scenario

MONDAY = date(2027, 3, 1)
PROFESSIONS = ["NURS", "PT", "OT"]
TAGS = ["acute", "rural", "peds"]
LANGUAGES = ["es", "fr"]
ALL_LEVELS = list(get_args(ObjectiveName))
DEFAULT_LEVELS = ALL_LEVELS[:5]
CENTRE = (42.35, -71.1)
SHAPES = ("sessions", "placements", "both")


def _stamp(day: date, minutes: int) -> str:
    moment = timedelta(days=day.toordinal() - MONDAY.toordinal(), minutes=minutes)
    when = MONDAY + timedelta(days=moment.days)
    rest = moment.seconds // 60
    return f"{when.isoformat()}T{rest // 60:02d}:{rest % 60:02d}"


@st.composite
def span(draw: st.DrawFn, days: int) -> dict[str, str]:
    """An interval on the grid: one of the first `days` days, 08:00..16:00, 1..3 hours."""
    day = MONDAY + timedelta(days=draw(st.integers(0, days - 1)))
    start = draw(st.sampled_from([8, 9, 10, 12, 13])) * 60 + draw(st.sampled_from([0, 0, 30]))
    length = draw(st.integers(1, 3)) * 60
    return {"start": _stamp(day, start), "end": _stamp(day, start + length)}


@st.composite
def weekly(draw: st.DrawFn, days: list[str] | None = None) -> dict[str, str]:
    """A weekly window: mostly weekdays on the grid, now and then a whole day."""
    day = draw(st.sampled_from(days or ["mon", "tue", "wed", "thu", "fri", "mon", "tue", "sat"]))
    if draw(st.integers(0, 9)) == 0:
        return {"day": day, "start": "00:00", "end": "24:00"}
    start = draw(st.sampled_from([8, 9, 12, 13]))
    end = start + draw(st.integers(1, 4))
    return {"day": day, "start": f"{start:02d}:00", "end": f"{end:02d}:00"}


def _point(draw: st.DrawFn) -> dict[str, float]:
    lat = CENTRE[0] + draw(st.integers(-30, 30)) / 100
    lon = CENTRE[1] + draw(st.integers(-30, 30)) / 100
    return {"lat": round(lat, 2), "lon": round(lon, 2)}


def _sometimes(draw: st.DrawFn, weight: int = 3) -> bool:
    """True about one time in `weight`."""
    return draw(st.integers(0, weight - 1)) == 0


@st.composite
def team_rule(draw: st.DrawFn, codes: list[str]) -> dict[str, Any]:
    """A team rule that some team can meet (the scenario checks), often at its limits."""
    min_size = draw(st.integers(1, 3))
    max_size = min_size + draw(st.sampled_from([0, 0, 1, 2]))
    limits: dict[str, dict[str, int]] = {}
    for code in draw(st.lists(st.sampled_from(codes), unique=True, max_size=2)):
        low = draw(st.integers(0, 2))
        limit = {"min": low}
        if _sometimes(draw, 2):
            limit["max"] = low + draw(st.integers(0, 1))
        limits[code] = limit
    return {
        "min_size": min_size,
        "max_size": max_size,
        "min_professions": draw(st.integers(0, min(len(codes), max_size))),
        "professions": limits,
    }


def _period_hours(draw: st.DrawFn, first: int, last: int, occupied: bool) -> list[dict[str, str]]:
    """A period's weekly windows: none a third of the time; with `occupied`, at least one
    window on a weekday the period's dates contain (so a placement always takes time)."""
    if not occupied:
        return [] if _sometimes(draw, 3) else draw(st.lists(weekly(), min_size=1, max_size=2))
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    present = sorted(
        {names[(MONDAY + timedelta(days=d)).weekday()] for d in range(first, last + 1)}
    )
    return draw(st.lists(weekly(present), min_size=1, max_size=2))


@st.composite
def scenario_data(
    draw: st.DrawFn,
    max_students: int = 8,
    occupied: bool = False,
    shapes: tuple[str, ...] = SHAPES,
) -> dict[str, Any]:
    """A tiny scenario as JSON data (see the module docstring for what it spans); with
    `occupied`, every period's weekly hours occur in it (no `weekly: []`); `shapes`
    narrows the kinds of term drawn."""
    shape = draw(st.sampled_from(shapes))
    weeks = draw(st.integers(1, 3))
    days = 7 * weeks
    term_end = MONDAY + timedelta(days=days - 1)
    professions = draw(st.lists(st.sampled_from(PROFESSIONS), min_size=1, max_size=3, unique=True))
    cohorts = st.sampled_from([None, None, "A", "B"])
    sessions_on = shape in ("sessions", "both")
    placements_on = shape in ("placements", "both")

    sites = []
    for i in range(draw(st.integers(1, 3)) if placements_on else draw(st.integers(0, 1))):
        sites.append(
            {
                "id": f"SITE{i}",
                "name": f"Site {i}",
                "location": _point(draw),
                "transit_accessible": draw(st.booleans()),
                "accessible": draw(st.booleans()),
                "tags": draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=3)),
                "languages": draw(st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=1)),
            }
        )
    site_ids = [s["id"] for s in sites]

    equity = shape == "placements" and _sometimes(draw, 4)  # `equity_gap` needs groups of 5
    students = []
    for i in range(draw(st.integers(10, 12)) if equity else draw(st.integers(2, max_students))):
        student: dict[str, Any] = {
            "id": f"S{i}",
            "name": f"Student {i}",
            "profession": draw(st.sampled_from(professions)),
            "cohort": draw(cohorts),
            "travel_mode": draw(st.sampled_from(["car", "car", "transit"])),
            "languages": draw(st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=2)),
            "needs": ["accessible"] if _sometimes(draw, 5) else [],
            "site_preferences": draw(st.permutations(site_ids))[: draw(st.integers(0, 3))],
            "attributes": (
                {"first_generation": draw(st.booleans())} if equity or _sometimes(draw, 2) else {}
            ),
        }
        if _sometimes(draw, 4):
            student["unavailable"] = [draw(span(days))]
        if _sometimes(draw, 4):
            student["weekly_unavailable"] = [draw(weekly())]
        if not _sometimes(draw, 4):
            student["home"] = _point(draw)
        students.append(student)

    calendars = []
    if _sometimes(draw, 3):
        calendars.append(
            {
                "profession": draw(st.sampled_from(professions)),
                "cohort": draw(cohorts),
                "unavailable": draw(st.lists(span(days), max_size=1)),
                "weekly_unavailable": draw(st.lists(weekly(), max_size=1)),
            }
        )

    rooms = [
        {"id": f"R{i}", "name": f"Room {i}", "accessible": draw(st.booleans())}
        for i in range(draw(st.integers(1, 2)))
    ]
    facilitators = []
    for i in range(draw(st.integers(0, 3)) if sessions_on else 0):
        facilitator: dict[str, Any] = {
            "id": f"F{i}",
            "name": f"Facilitator {i}",
            "profession": draw(st.sampled_from(professions)),
            "unavailable": draw(st.lists(span(min(days, 5)), max_size=1)),
            "weekly_unavailable": draw(st.lists(weekly(), max_size=1)),
        }
        if _sometimes(draw, 2):
            facilitator["max_sessions"] = draw(st.integers(0, 2))
        facilitators.append(facilitator)

    activities = []
    session_count = 0
    for i in range(draw(st.integers(1, 2)) if sessions_on else 0):
        codes = draw(st.lists(st.sampled_from(professions), min_size=1, unique=True))
        participants = [{"profession": c, "cohort": draw(cohorts)} for c in codes]
        sessions = []
        for _ in range(draw(st.integers(1, 3 - min(session_count, 2)))):
            interval = draw(span(min(days, 3)))
            sessions.append(
                {
                    "id": f"A{i}S{session_count}",
                    "start": interval["start"],
                    "end": interval["end"],
                    "room": draw(st.sampled_from([r["id"] for r in rooms])),
                    "max_teams": draw(st.sampled_from([1, 1, 2, 2, 0])),
                }
            )
            session_count += 1
        activities.append(
            {
                "id": f"A{i}",
                "name": f"Activity {i}",
                "participants": participants,
                "team": draw(team_rule(codes)),
                "teams_per_facilitator": draw(st.sampled_from([0, 1, 1, 2])),
                "sessions": sessions,
            }
        )

    periods = []
    for i in range(draw(st.integers(1, 3)) if placements_on else 0):
        first = draw(st.integers(0, days - 1))
        last = draw(st.integers(first, min(days - 1, first + 10)))
        periods.append(
            {
                "id": f"P{i}",
                "start": (MONDAY + timedelta(days=first)).isoformat(),
                "end": (MONDAY + timedelta(days=last)).isoformat(),
                "weekly": _period_hours(draw, first, last, occupied),
            }
        )
    slots = []
    for i in range(draw(st.integers(1, 6)) if placements_on else 0):
        slot: dict[str, Any] = {
            "id": f"L{i}",
            "site": draw(st.sampled_from(site_ids)),
            "period": draw(st.sampled_from([p["id"] for p in periods])),
            "profession": draw(st.sampled_from(professions)),
            "capacity": draw(st.integers(0, 3)),
            "status": draw(st.sampled_from(["offered", "confirmed", "declined", "offered"])),
        }
        if _sometimes(draw, 5):
            slot["language"] = draw(st.sampled_from(LANGUAGES))
        slots.append(slot)
    requirements = []
    for code in draw(st.lists(st.sampled_from(professions), unique=True)) if placements_on else []:
        for cohort in [None, "A"] if _sometimes(draw, 4) else [None]:
            count = draw(st.integers(1, 4))
            tags = {
                tag: draw(st.integers(1, count))
                for tag in draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=2))
            }
            requirement: dict[str, Any] = {
                "profession": code,
                "cohort": cohort,
                "count": count,
                "tags": tags,
            }
            if _sometimes(draw, 4):
                requirement["id"] = f"REQ-{code}-{cohort or 'all'}"
            requirements.append(requirement)

    data: dict[str, Any] = {
        "format": "ipe-scenario/1",
        "term": {
            "id": "T",
            "name": "Tiny term",
            "start": MONDAY.isoformat(),
            "end": term_end.isoformat(),
            "timezone": "America/New_York",
        },
        "professions": [{"code": c, "name": c} for c in professions],
        "students": students,
        "program_calendars": calendars,
        "rooms": rooms,
        "facilitators": facilitators,
        "activities": activities,
        "sites": sites,
        "periods": periods,
        "slots": slots,
        "placement_requirements": requirements,
    }
    data["policy"] = draw(policy(data))
    _credentials(draw, data, days)
    return data


def _credentials(draw: st.DrawFn, data: dict[str, Any], days: int) -> None:
    """Now and then a site or slot requires BLS, and students hold it (valid or pending)
    over a span of the term's days: drawn last, so the rest of a term stays as drawn."""
    if not data["slots"] or not _sometimes(draw, 2):
        return
    for item in data["sites"] + data["slots"]:
        if _sometimes(draw, 3):
            item["required_credentials"] = ["BLS"]
    for student in data["students"]:
        if _sometimes(draw, 3):
            continue
        first = draw(st.integers(-2, days))
        credential: dict[str, Any] = {"code": "BLS"}
        if _sometimes(draw, 4):
            credential["status"] = "pending"
        if not _sometimes(draw, 3):
            credential["issued"] = (MONDAY + timedelta(days=first)).isoformat()
        if not _sometimes(draw, 3):
            end = first + draw(st.integers(1, days + 2))
            credential["expires"] = (MONDAY + timedelta(days=end)).isoformat()
        student["credentials"] = [credential]


@st.composite
def policy(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """Objective order, travel limit, pins and a previous schedule."""
    if _sometimes(draw, 2):
        levels = list(DEFAULT_LEVELS)
    else:
        levels = draw(st.permutations(ALL_LEVELS))[: draw(st.integers(1, 7))]
        if "coverage" in levels and not _sometimes(draw, 5):
            levels.remove("coverage")
            levels.insert(0, "coverage")
    if len(data["students"]) >= 10 and "equity_gap" not in levels and _sometimes(draw, 2):
        levels.insert(1 if levels[0] == "coverage" else 0, "equity_gap")
    out: dict[str, Any] = {"objectives": levels}
    if _sometimes(draw, 3):
        out["max_travel_km"] = draw(st.integers(3, 40))
    sessions = [(a, s["id"]) for a in data["activities"] for s in a["sessions"]]
    slots = [s["id"] for s in data["slots"]]
    students = data["students"]
    pins = []
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 1, 1, 2]))):
        student = draw(st.sampled_from(students))
        options = [("session", sid) for _a, sid in sessions] + [("slot", s) for s in slots]
        if not _sometimes(draw, 5):  # mostly a pin the student could hold
            options = [
                ("session", sid)
                for a, sid in sessions
                if any(p["profession"] == student["profession"] for p in a["participants"])
            ] + [
                ("slot", s["id"]) for s in data["slots"] if s["profession"] == student["profession"]
            ]
        if not options:
            break
        kind, target = draw(st.sampled_from(options))
        pins.append({"student": student["id"], kind: target})
    if pins:
        out["pinned"] = pins
    if _sometimes(draw, 3):
        out["previous"] = draw(previous_schedule(data))
        if "stability" not in levels and not _sometimes(draw, 3):
            at = levels.index("coverage") + 1 if "coverage" in levels else 0
            levels.insert(at, "stability")
    return out


@st.composite
def previous_schedule(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """A schedule to stay close to: any assignments of the term's students, valid or not
    (a repair starts from a schedule the changed term may no longer allow), plus a student
    who has since left."""
    ids = [s["id"] for s in data["students"]] + ["GONE"]
    entries = []
    for activity in data["activities"]:
        for session in activity["sessions"]:
            members = draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
            if members:
                entries.append(
                    {
                        "session": session["id"],
                        "activity": activity["id"],
                        "teams": [{"id": "T1", "students": members}],
                    }
                )
    placements = []
    for slot in data["slots"]:
        for student in draw(st.lists(st.sampled_from(ids), unique=True, max_size=2)):
            placements.append({"student": student, "slot": slot["id"]})
    return {
        "format": "ipe-schedule/1",
        "term": "T",
        "status": "feasible",
        "sessions": entries,
        "placements": placements,
    }


@st.composite
def scenarios(
    draw: st.DrawFn,
    max_students: int = 8,
    occupied: bool = False,
    shapes: tuple[str, ...] = SHAPES,
) -> Scenario:
    """A tiny scenario that passes `scheduler.domain` validation (`occupied`: see
    `scenario_data`; `shapes`: any of "sessions", "placements", "both")."""
    data = draw(scenario_data(max_students, occupied, shapes))
    scenario = Scenario.model_validate(data)
    assume(not check_scenario(scenario))
    for feature in features(scenario):
        event(feature)
    return scenario


def features(scenario: Scenario) -> list[str]:
    """What a drawn term exercises (`pytest --hypothesis-show-statistics` counts them)."""
    periods = scenario.periods
    found = {
        "sessions only": not scenario.slots and bool(scenario.activities),
        "placements only": not scenario.activities and bool(scenario.slots),
        "period without weekly hours": any(not p.weekly for p in periods),
        "overlapping periods": any(
            a.id < b.id and a.start <= b.end and b.start <= a.end for a in periods for b in periods
        ),
        "count above periods": any(r.count > len(periods) for r in scenario.placement_requirements),
        "several tag minimums": any(len(r.tags) > 1 for r in scenario.placement_requirements),
        "tag minimum above 1": any(
            m > 1 for r in scenario.placement_requirements for m in r.tags.values()
        ),
        "facilitated sessions": any(a.teams_per_facilitator for a in scenario.activities),
        "max_sessions": any(f.max_sessions is not None for f in scenario.facilitators),
        "declined slot": any(s.status == "declined" for s in scenario.slots),
        "slot language": any(s.language for s in scenario.slots),
        "credentials": any(s.required_credentials for s in [*scenario.sites, *scenario.slots]),
        "travel limit": scenario.policy.max_travel_km is not None,
        "pins": bool(scenario.policy.pinned),
        "previous": scenario.policy.previous is not None,
        "equity groups": len(scenario.students) >= 10,
        "student without options": any(
            not any(
                p.profession == s.profession for a in scenario.activities for p in a.participants
            )
            and not any(r.profession == s.profession for r in scenario.placement_requirements)
            for s in scenario.students
        ),
    }
    return [name for name, present in found.items() if present]
