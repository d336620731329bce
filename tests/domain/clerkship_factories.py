"""Small hand-built clerkship scenarios: student plans over rotations (extension).

Term 2027-01-04 .. 2027-04-25 in four blocks of four weeks (B1..B4) and two-block
rotations B12, B23, B34 (periods overlap: a slot's period is the rotation's whole span);
every period is on site on Mondays. Sites H1 and H2, profession MED, no activities.
Slot ids read SITE-DISCIPLINE-PERIOD; each has capacity 1 unless given.
"""

from __future__ import annotations

from typing import Any

from factories import make_scenario, site, weekly

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

BLOCKS = {
    "B1": ("2027-01-04", "2027-01-31"),
    "B2": ("2027-02-01", "2027-02-28"),
    "B3": ("2027-03-01", "2027-03-28"),
    "B4": ("2027-03-29", "2027-04-25"),
    "B12": ("2027-01-04", "2027-02-28"),
    "B23": ("2027-02-01", "2027-03-28"),
    "B34": ("2027-03-01", "2027-04-25"),
}


def med(student_id: str, plan: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A MED student, with a plan when given."""
    data = {"id": student_id, "name": f"Student {student_id}", "profession": "MED", **fields}
    if plan is not None:
        data["plan"] = plan
    return data


def ward(site_id: str, discipline: str, period: str, capacity: int = 1, **fields: Any) -> dict:
    """A slot of one discipline at a site in one period."""
    return {
        "id": f"{site_id}-{discipline}-{period}",
        "site": site_id,
        "period": period,
        "profession": "MED",
        "capacity": capacity,
        "status": "confirmed",
        "discipline": discipline,
        **fields,
    }


def clerkship(students: list[dict], slots: list[dict], **overrides: Any) -> Scenario:
    """A clerkship term with the given students and slots."""
    data: dict[str, Any] = {
        "term": {
            "id": "T1",
            "name": "Clerkship 2027",
            "start": "2027-01-04",
            "end": "2027-04-25",
            "timezone": "America/Toronto",
        },
        "professions": [{"code": "MED", "name": "Medicine"}],
        "students": students,
        "rooms": [],
        "facilitators": [],
        "activities": [],
        "sites": [site("H1", tags=[]), site("H2", 45.2, -75.2, tags=[])],
        "periods": [
            {"id": p, "start": s, "end": e, "weekly": [weekly("mon", "08:00", "16:00")]}
            for p, (s, e) in BLOCKS.items()
        ],
        "slots": slots,
        "placement_requirements": [{"profession": "MED", "count": 1, "tags": {}}],
    }
    data.update(overrides)
    return make_scenario(**data)


def rotations_schedule(held: dict[str, list[str]], missing: dict[str, int] | None = None):
    """A schedule holding the given slots, with `missing[student]` unassigned entries."""
    unassigned = [
        {"student": s, "requirement": "MED", "reasons": []}
        for s, n in (missing or {}).items()
        for _ in range(n)
    ]
    return Schedule.model_validate(
        {
            "format": "ipe-schedule/1",
            "term": "T1",
            "status": "feasible",
            "sessions": [],
            "placements": [{"student": s, "slot": x} for s, slots in held.items() for x in slots],
            "unassigned": unassigned,
        }
    )
