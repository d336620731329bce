"""Flow starts on terms whose periods overlap: each student is given one clash-free set of
their periods before the flow (solver.period_choice), so no placement is lost to a clash."""

from __future__ import annotations

from factories import site, slot, student, weekly
from solver_helpers import placements_only

from scheduler.domain.scenario import Scenario
from solver.options import options_among
from solver.period_choice import clash_free_options
from solver.placement_repair import without_clashes
from solver.prepare import prepare
from solver.warm import flow_starts

TUESDAY = [weekly("tue", "08:00", "16:00")]


def _chain_of_overlaps(students: int) -> Scenario:
    """P2 overlaps P1 and P3; P1 and P3 do not overlap. Three seats in P1 and in P3, six in
    P2: the most is 3 students in P1 + P3 and the others in one period (9 for 6 students)."""
    periods = [
        {"id": "P1", "start": "2027-03-01", "end": "2027-03-12", "weekly": TUESDAY},
        {"id": "P2", "start": "2027-03-08", "end": "2027-03-19", "weekly": TUESDAY},
        {"id": "P3", "start": "2027-03-15", "end": "2027-03-26", "weekly": TUESDAY},
    ]
    return placements_only(
        students=[student(f"n{i}", site_preferences=["H1"]) for i in range(students)],
        sites=[site("H1")],
        periods=periods,
        slots=[
            slot("L1", period="P1", capacity=3),
            slot("L2", period="P2", capacity=6),
            slot("L3", period="P3", capacity=3),
        ],
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {}}],
    )


def test_each_student_keeps_one_clash_free_set_of_periods() -> None:
    prep = prepare(_chain_of_overlaps(6))
    allowed = clash_free_options(prep)
    assert allowed is not None
    for info in prep.students.values():
        periods = {o.period for o in allowed(info)}
        assert periods in ({"P1", "P3"}, {"P2"})


def test_flow_start_holds_the_most_placements_without_clashes() -> None:
    prep = prepare(_chain_of_overlaps(6))
    best = flow_starts(prep).best
    assert best is not None
    assert sum(len(slots) for slots in best.values()) == 9
    for student_id, slots in best.items():
        options = options_among(prep.students[student_id].all_options, slots)
        assert without_clashes(prep, options, list(slots)) == list(slots)


def test_terms_without_overlapping_periods_are_left_alone() -> None:
    scenario = placements_only()
    assert clash_free_options(prepare(scenario)) is None
