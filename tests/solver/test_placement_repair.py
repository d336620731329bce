"""Repairing flow placements for tag minimums: a free tagged seat, else a tagged seat
freed by moving its holder to a free seat that keeps all of the holder's rules."""

from __future__ import annotations

from factories import interval, site, slot, student, weekly
from solver_helpers import placements_only

from solver.placement_repair import repair_placements
from solver.prepare import prepare

PERIODS = [
    {"id": p, "start": start, "end": end, "weekly": [weekly("mon", "08:00", "16:00")]}
    for p, start, end in (("P1", "2027-03-01", "2027-03-26"), ("P2", "2027-04-05", "2027-04-23"))
]
REQUIREMENT = {"profession": "NURS", "count": 2, "tags": {"underserved": 1}}


def _term(*, n2_busy_in_p1: bool = False):
    """n1 holds L1 (P1) and L3 (P2), both untagged; the tagged seats are L2 (P2, held by
    n2) and L4 (P1, free, but n1 already holds P1)."""
    n2 = student("n2")
    if n2_busy_in_p1:
        n2["unavailable"] = [interval("2027-03-08T09:00", "2027-03-08T10:00")]
    return placements_only(
        students=[
            student("n1", site_preferences=["H1", "H2"]),
            n2,
        ],
        sites=[site("H1"), site("H2", 45.2, -75.2, tags=["underserved"])],
        periods=PERIODS,
        slots=[
            slot("L1", capacity=1),
            slot("L3", period="P2", capacity=1),
            slot("L2", site="H2", period="P2", capacity=1),
            slot("L4", site="H2", capacity=1),
        ],
        placement_requirements=[REQUIREMENT],
    )


def test_the_holder_of_a_tagged_seat_moves_to_a_free_one_that_suits_them() -> None:
    prep = prepare(_term())
    repaired = repair_placements(prep, {"n1": ["L1", "L3"], "n2": ["L2"]})
    assert sorted(repaired["n1"]) == ["L1", "L2"]  # both placements kept, one underserved
    assert repaired["n2"] == ["L4"]


def test_a_holder_never_moves_where_their_own_rules_forbid() -> None:
    """n2 is busy on a placement day of P1, so may not take L4: nobody moves, and n1 keeps
    one placement."""
    prep = prepare(_term(n2_busy_in_p1=True))
    n2_slots = {o.slot for o in prep.students["n2"].options}
    assert "L4" not in n2_slots
    repaired = repair_placements(prep, {"n1": ["L1", "L3"], "n2": ["L2"]})
    assert repaired["n2"] == ["L2"]
    assert repaired["n1"] == ["L1"]
