"""Rule 7: at most `count` placements; tag minimums hold for every student holding all of them."""

from __future__ import annotations

from factories import site, slot, student, weekly
from solver_helpers import (
    assert_proven,
    placements_only,
    requirement_entries,
    slots_of,
    solve_valid,
)

PERIODS = [
    {
        "id": "P1",
        "start": "2027-03-01",
        "end": "2027-03-26",
        "weekly": [weekly("mon", "08:00", "16:00")],
    },
    {
        "id": "P2",
        "start": "2027-04-05",
        "end": "2027-04-23",
        "weekly": [weekly("mon", "08:00", "16:00")],
    },
]
SITES = [site("H1"), site("H2", 45.2, -75.2, tags=["underserved"])]
UNDERSERVED_SLOTS = {"L2"}


def two_with_underserved(*students, slots):
    requirement = {"profession": "NURS", "count": 2, "tags": {"underserved": 1}}
    return placements_only(
        students=list(students),
        sites=SITES,
        periods=PERIODS,
        slots=slots,
        placement_requirements=[requirement],
    )


def test_student_holding_two_has_one_underserved_despite_preferring_the_other_site():
    slots = [
        slot("L1", capacity=1),
        slot("L3", period="P2", capacity=1),
        slot("L2", site="H2", period="P2"),
    ]
    n1 = student("n1", site_preferences=["H1", "H2"])
    schedule = solve_valid(two_with_underserved(n1, slots=slots))
    held = slots_of(schedule, "n1")
    assert len(held) == 2 and held & UNDERSERVED_SLOTS
    assert_proven(schedule, "coverage", 2)
    assert_proven(schedule, "preferences", 3)


def test_only_one_student_can_complete_when_one_underserved_seat_exists():
    slots = [slot("L1"), slot("L3", period="P2"), slot("L2", site="H2", period="P2", capacity=1)]
    schedule = solve_valid(two_with_underserved(student("n1"), student("n2"), slots=slots))
    for student_id in ("n1", "n2"):
        held = slots_of(schedule, student_id)
        assert len(held) < 2 or held & UNDERSERVED_SLOTS
    assert sorted(len(slots_of(schedule, s)) for s in ("n1", "n2")) == [1, 2]
    assert_proven(schedule, "coverage", 3)


def test_single_placement_needing_a_tag_stays_unplaced_without_a_tagged_slot():
    requirement = {"profession": "NURS", "count": 1, "tags": {"underserved": 1}}
    scenario = placements_only(students=[student("n1")], placement_requirements=[requirement])
    schedule = solve_valid(scenario)
    assert schedule.placements == []
    assert [e.requirement for e in requirement_entries(schedule, "n1")] == ["NURS"]
    assert_proven(schedule, "coverage", 0)


def test_student_holds_at_most_count_placements():
    slots = [slot("L1"), slot("L3", period="P2"), slot("L2", site="H2", period="P2")]
    requirement = {"profession": "NURS", "count": 1, "tags": {}}
    scenario = placements_only(
        students=[student("n1")],
        sites=SITES,
        periods=PERIODS,
        slots=slots,
        placement_requirements=[requirement],
    )
    schedule = solve_valid(scenario)
    assert len(slots_of(schedule, "n1")) == 1
    assert_proven(schedule, "coverage", 1)
