"""Hand-built ward terms for the capacity-calendar extension (units, weekly capacities,
history), shared by the validator's and the solver's tests."""

from __future__ import annotations

from typing import Any

from factories import make_scenario, site, slot, student, weekly

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

MON_TUE = [weekly("mon", "08:00", "16:00"), weekly("tue", "08:00", "16:00")]
WED_THU = [weekly("wed", "08:00", "16:00"), weekly("thu", "08:00", "16:00")]
WEEK_OF_8 = "2027-03-08"
"""The week P1 and P2 share (P1: weeks of Mar 1 and 8; P2: weeks of Mar 8 and 15)."""


def ward_term(**overrides: Any) -> Scenario:
    """Three nurses needing two placements; H1 has wards W1 (`peds`) and W2; P1 and P2
    overlap in the week of 2027-03-08 on different weekdays; P3 is later, at H2."""
    units = [{"id": "W1", "name": "Ward 1", "tags": ["peds"]}, {"id": "W2", "name": "Ward 2"}]
    data: dict[str, Any] = {
        "activities": [],
        "students": [student("n1"), student("n2"), student("n3", cohort="y2")],
        "sites": [site("H1", units=units), site("H2", 45.1, -75.1, tags=["community"])],
        "periods": [
            {"id": "P1", "start": "2027-03-01", "end": "2027-03-12", "weekly": MON_TUE},
            {"id": "P2", "start": "2027-03-08", "end": "2027-03-19", "weekly": WED_THU},
            {"id": "P3", "start": "2027-03-22", "end": "2027-03-26", "weekly": MON_TUE},
        ],
        "slots": [
            slot("L1", unit="W1", capacity=3),
            slot("L2", unit="W1", period="P2", capacity=3),
            slot("L3", site="H2", period="P3", capacity=3),
            slot("L4", unit="W2", period="P3", capacity=3),
        ],
        "placement_requirements": [{"profession": "NURS", "count": 2, "tags": {}}],
    }
    data.update(overrides)
    return make_scenario(**data)


def schedule_of(scenario: Scenario, held: dict[str, list[str]]) -> Schedule:
    """A schedule with these placements and an unassigned entry per placement missing."""
    unassigned = [
        {"student": s.id, "requirement": "NURS", "reasons": []}
        for s in scenario.students
        for _ in range(2 - len(held.get(s.id, [])))
    ]
    placements = [{"student": s, "slot": slot} for s, slots in held.items() for slot in slots]
    return Schedule.model_validate(
        {"term": "T1", "status": "feasible", "placements": placements, "unassigned": unassigned}
    )
