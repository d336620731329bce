"""Writes the four term shapes of issue 17 as small fixtures (fixtures/shape_*.json) and
their true lexicographic optima, proven by the reference model, to `shapes_truth.json`.

    .venv/bin/python -m tests.reference.shapes       # rewrites the four files and the truth

Each shape is one that broke the solver's promise on terms unlike `ipe generate`'s:
- `shape_no_weekly_hours`: placements only, periods without weekly hours (`weekly: []`), so
  a placement occupies no time and a student may hold several in one period;
- `shape_overlapping_blocks`: placement blocks whose dates and hours overlap, so a student
  holds at most one of two overlapping blocks;
- `shape_few_facilitators`: sessions that need a facilitator per team, few facilitators;
- `shape_clinical_days`: clinical days Tue/Thu, classes (program calendars) Mon/Wed/Fri,
  IPE sessions on both kinds of day.
Deterministic (a fixed seed per shape), 20-80 students each.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TRUTH = Path(__file__).resolve().parent / "shapes_truth.json"
PROOF_SECONDS = 600.0
"""Per level: the reference proves every shape's optimum within seconds to a minute."""
TERM = {
    "id": "shape-2027",
    "name": "Shape term, spring 2027",
    "start": "2027-01-11",
    "end": "2027-05-02",
    "timezone": "America/New_York",
}
PROFESSIONS = {
    "NURS": "Nursing",
    "PT": "Physical therapy",
    "OT": "Occupational therapy",
    "SLP": "Speech-language pathology",
}
TAGS = ["acute", "community", "pediatric", "rural"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def _students(
    rng: random.Random, count: int, professions: list[str], sites: list[str]
) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        out.append(
            {
                "id": f"S{i:03d}",
                "name": f"Student {i}",
                "profession": professions[i % len(professions)],
                "cohort": "2027",
                "travel_mode": "transit" if rng.random() < 0.15 else "car",
                "home": {
                    "lat": round(42.2 + rng.random() * 0.4, 3),
                    "lon": round(-71.3 + rng.random() * 0.5, 3),
                },
                "languages": ["en", "es"] if rng.random() < 0.2 else ["en"],
                "site_preferences": rng.sample(sites, k=min(3, len(sites))),
                "attributes": {"first_generation": rng.random() < 0.3},
            }
        )
    return out


def _slots(
    sites: list[dict[str, Any]],
    periods: list[dict[str, Any]],
    professions: list[str],
    capacity: Callable[[str], int],
) -> list[dict[str, Any]]:
    """One slot per site, period and profession, its capacity drawn per period."""
    return [
        {
            "id": f"{site['id']}-{period['id']}-{code}",
            "site": site["id"],
            "period": period["id"],
            "profession": code,
            "capacity": capacity(period["id"]),
        }
        for site in sites
        for period in periods
        for code in professions
    ]


def _sites(rng: random.Random, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"SITE{i}",
            "name": f"Site {i}",
            "location": {
                "lat": round(42.2 + rng.random() * 0.4, 3),
                "lon": round(-71.3 + rng.random() * 0.5, 3),
            },
            "transit_accessible": rng.random() < 0.6,
            "accessible": True,
            "tags": sorted(rng.sample(TAGS, k=rng.randint(1, 2))),
            "languages": ["en"],
        }
        for i in range(count)
    ]


def _base(professions: list[str]) -> dict[str, Any]:
    return {
        "format": "ipe-scenario/1",
        "term": TERM,
        "professions": [{"code": c, "name": PROFESSIONS[c]} for c in professions],
        "rooms": [
            {"id": "R1", "name": "Room 1", "accessible": True},
            {"id": "R2", "name": "Room 2", "accessible": True},
        ],
        "policy": {"time_limit_s": 20},
    }


def _weekdays(start: str, end: str) -> list[dict[str, str]]:
    return [{"day": d, "start": start, "end": end} for d in WEEKDAYS]


def no_weekly_hours() -> dict[str, Any]:
    """30 students, two placement blocks with no weekly hours, three placements each for NURS:
    every placement can be held, since a period without weekly windows occupies no time."""
    rng = random.Random(17_1)
    professions = ["NURS", "PT"]
    sites = _sites(rng, 5)
    periods = [
        {"id": "P1", "start": "2027-01-18", "end": "2027-02-26", "weekly": []},
        {"id": "P2", "start": "2027-03-08", "end": "2027-04-16", "weekly": []},
    ]
    slots = _slots(sites, periods, professions, lambda _period: rng.randint(2, 4))
    return _base(professions) | {
        "students": _students(rng, 30, professions, [s["id"] for s in sites]),
        "sites": sites,
        "periods": periods,
        "slots": slots,
        "placement_requirements": [
            {"profession": "NURS", "count": 3, "tags": {"acute": 1}},
            {"profession": "PT", "count": 2, "tags": {}},
        ],
    }


def overlapping_blocks() -> dict[str, Any]:
    """80 students, three blocks on the same weekday hours: B overlaps both A and C, so a
    student needing two placements can only combine A with C; B's many seats do not help."""
    rng = random.Random(17_2)
    professions = ["NURS", "PT", "OT"]
    sites = _sites(rng, 6)
    periods = [
        {
            "id": "A",
            "start": "2027-01-18",
            "end": "2027-02-26",
            "weekly": _weekdays("08:00", "16:00"),
        },
        {
            "id": "B",
            "start": "2027-02-15",
            "end": "2027-03-26",
            "weekly": _weekdays("08:00", "16:00"),
        },
        {
            "id": "C",
            "start": "2027-03-22",
            "end": "2027-04-30",
            "weekly": _weekdays("08:00", "16:00"),
        },
    ]
    slots = _slots(
        sites,
        periods,
        professions,
        lambda period: rng.randint(4, 6) if period == "B" else rng.randint(0, 2),
    )
    return _base(professions) | {
        "students": _students(rng, 80, professions, [s["id"] for s in sites]),
        "sites": sites,
        "periods": periods,
        "slots": slots,
        "placement_requirements": [{"profession": c, "count": 2, "tags": {}} for c in professions],
    }


def few_facilitators() -> dict[str, Any]:
    """48 students, two activities of six sessions each, a facilitator per team and only three
    facilitators running two sessions each: most of the room's team seats cannot be used."""
    rng = random.Random(17_3)
    professions = ["NURS", "PT", "OT", "SLP"]
    activities = []
    for a, (month, day0) in enumerate([("02", 2), ("03", 2)]):
        sessions = []
        for s in range(6):
            day = f"2027-{month}-{day0 + s * 2 + (1 if s >= 3 else 0):02d}"
            sessions.append(
                {
                    "id": f"IPE{a + 1}-{s + 1}",
                    "start": f"{day}T13:00",
                    "end": f"{day}T15:00",
                    "room": f"R{1 + s % 2}",
                    "max_teams": 4,
                }
            )
        activities.append(
            {
                "id": f"IPE{a + 1}",
                "name": f"IPE activity {a + 1}",
                "participants": [{"profession": c} for c in professions],
                "team": {"min_size": 3, "max_size": 4, "min_professions": 2, "professions": {}},
                "teams_per_facilitator": 1,
                "sessions": sessions,
            }
        )
    facilitators = [
        {"id": f"F{i}", "name": f"Facilitator {i}", "profession": professions[i], "max_sessions": 2}
        for i in range(3)
    ]
    facilitators[0]["unavailable"] = [{"start": "2027-02-01T00:00", "end": "2027-02-07T00:00"}]
    return _base(professions) | {
        "students": _students(rng, 48, professions, []),
        "facilitators": facilitators,
        "activities": activities,
    }


def clinical_days() -> dict[str, Any]:
    """40 students: clinical blocks Tue/Thu, classes Mon/Wed/Fri mornings, sessions on both
    kinds of day (some clash with the clinic, some with class)."""
    rng = random.Random(17_4)
    professions = ["NURS", "PT", "OT"]
    sites = _sites(rng, 6)
    clinic = [{"day": d, "start": "07:00", "end": "15:00"} for d in ("tue", "thu")]
    periods = [
        {"id": "C1", "start": "2027-01-18", "end": "2027-02-26", "weekly": clinic},
        {"id": "C2", "start": "2027-03-08", "end": "2027-04-16", "weekly": clinic},
    ]
    slots = []
    for site in sites:
        for period in periods:
            for code in professions:
                if rng.random() < 0.7:
                    slots.append(
                        {
                            "id": f"{site['id']}-{period['id']}-{code}",
                            "site": site["id"],
                            "period": period["id"],
                            "profession": code,
                            "capacity": rng.randint(1, 3),
                        }
                    )
    calendars = [
        {
            "profession": c,
            "weekly_unavailable": [
                {"day": d, "start": "08:00", "end": "12:00"} for d in ("mon", "wed", "fri")
            ],
        }
        for c in professions
    ]
    sessions = []
    for i, (day, start, end) in enumerate(
        [
            ("2027-02-02", "13:00", "15:00"),  # Tue, clashes with the clinic
            ("2027-02-04", "15:30", "17:30"),  # Thu after the clinic
            ("2027-02-05", "10:00", "12:00"),  # Fri, clashes with class
            ("2027-02-10", "13:00", "15:00"),  # Wed afternoon, free
            ("2027-03-09", "15:30", "17:30"),  # Tue after the clinic
        ]
    ):
        sessions.append(
            {
                "id": f"TBL-{i + 1}",
                "start": f"{day}T{start}",
                "end": f"{day}T{end}",
                "room": "R1",
                "max_teams": 3,
            }
        )
    activity = {
        "id": "TBL",
        "name": "Team-based learning",
        "participants": [{"profession": c} for c in professions],
        "team": {"min_size": 3, "max_size": 5, "min_professions": 2, "professions": {}},
        "teams_per_facilitator": 2,
        "sessions": sessions,
    }
    facilitators = [
        {"id": f"F{i}", "name": f"Facilitator {i}", "profession": professions[i]} for i in range(3)
    ]
    return _base(professions) | {
        "students": _students(rng, 40, professions, [s["id"] for s in sites]),
        "program_calendars": calendars,
        "facilitators": facilitators,
        "activities": [activity],
        "sites": sites,
        "periods": periods,
        "slots": slots,
        "placement_requirements": [
            {"profession": "NURS", "count": 2, "tags": {"acute": 1}},
            {"profession": "PT", "count": 1, "tags": {}},
            {"profession": "OT", "count": 2, "tags": {}},
        ],
    }


SHAPES = {
    "shape_no_weekly_hours": no_weekly_hours,
    "shape_overlapping_blocks": overlapping_blocks,
    "shape_few_facilitators": few_facilitators,
    "shape_clinical_days": clinical_days,
}


def main() -> None:
    from scheduler.domain.loading import load_scenario_data

    from .model import solve_reference

    truth = {}
    for name, build in SHAPES.items():
        data = build()
        path = FIXTURES / f"{name}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {path}")
        loaded = load_scenario_data(data)
        assert loaded.scenario is not None, loaded.errors
        result = solve_reference(loaded.scenario, PROOF_SECONDS)
        assert result is not None and result.status == "optimal", f"{name}: no proof"
        truth[name] = result.values
        print(f"  optimum {result.values}")
    TRUTH.write_text(json.dumps(truth, indent=1) + "\n")
    print(f"wrote {TRUTH}")


if __name__ == "__main__":
    main()
