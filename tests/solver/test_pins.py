"""Rule 8 (extension): pinned assignments hold in every schedule, a repair never moves them,
and pins that cannot hold give an `infeasible` answer with reasons, never a bare one."""

from __future__ import annotations

from factories import make_scenario, replace_item, slot, student
from repair_helpers import (
    BUSY_S2,
    CHAIN_BEFORE,
    SESSIONS_BEFORE,
    chain_term,
    declined,
    pinned,
    repaired,
    three_sessions,
)
from solver_helpers import attendees, level, slots_of, solve_valid

from scheduler.domain.diff import diff_schedules
from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import validate_schedule
from solver import SolveOptions, solve
from solver.rules.pins import NO_SCHEDULE


def answer(scenario: Scenario):
    return solve(scenario, options=SolveOptions(time_limit_s=10, workers=2, seed=0))


def test_a_pinned_slot_survives_a_repair_that_would_move_it():
    """Without the pin, n2 makes room for n1 (see test_stability); pinned, n2 stays and n1
    goes unplaced: coverage gives way to the pin, never the other way round."""
    term = pinned(declined(chain_term(), "L1"), {"student": "n2", "slot": "L2"})
    schedule = repaired(term, CHAIN_BEFORE)
    assert slots_of(schedule, "n2") == {"L2"}
    assert slots_of(schedule, "n1") == set()
    assert level(schedule, "coverage").value == 2
    assert level(schedule, "stability").value == level(schedule, "stability").bound == 1
    assert diff_schedules(CHAIN_BEFORE, schedule).students == ["n1"]


def test_a_pinned_session_is_attended_even_where_the_solver_would_not_put_them():
    term = pinned(three_sessions(), {"student": "n1", "session": "S3"})
    schedule = solve_valid(term)
    assert "n1" in attendees(schedule, "S3")


def test_a_pinned_session_survives_the_repair_of_a_cancellation():
    term = three_sessions()
    sessions = [s for s in term.activities[0].sessions if s.id != "S1"]
    cancelled = term.model_copy(
        update={"activities": [term.activities[0].model_copy(update={"sessions": sessions})]}
    )
    schedule = repaired(pinned(cancelled, {"student": "n2", "session": "S2"}), SESSIONS_BEFORE)
    assert "n2" in attendees(schedule, "S2")
    assert validate_schedule(cancelled, schedule) == []


def test_a_pin_on_a_declined_slot_says_so_before_solving():
    term = pinned(declined(chain_term(), "L1"), {"student": "n1", "slot": "L1"})
    schedule = answer(term)
    assert schedule.status == "infeasible"
    assert [(e.path, "declined" in e.message) for e in schedule.errors] == [
        ("policy.pinned[0]", True)
    ]


def test_more_pins_than_seats_says_so_before_solving():
    term = pinned(chain_term(), {"student": "n1", "slot": "L2"}, {"student": "n2", "slot": "L2"})
    schedule = answer(term)
    assert schedule.status == "infeasible"
    assert any("seats 1" in e.message for e in schedule.errors)


def test_a_pin_during_busy_time_says_so_before_solving():
    term = pinned(
        replace_item(three_sessions(), "students", "n1", unavailable=[BUSY_S2]),
        {"student": "n1", "session": "S2"},
    )
    schedule = answer(term)
    assert schedule.status == "infeasible"
    assert "busy" in schedule.errors[0].message


def test_pins_that_only_clash_together_give_infeasible_with_the_reason():
    """Both PTs pinned to S2 leave no PT for n1's pinned S1 (a team needs both)."""
    term = pinned(
        make_scenario(slots=[], placement_requirements=[]),
        {"student": "n1", "session": "S1"},
        {"student": "p1", "session": "S2"},
        {"student": "p2", "session": "S2"},
    )
    schedule = answer(term)
    assert schedule.status == "infeasible"
    assert [e.message for e in schedule.errors] == [NO_SCHEDULE]
    assert schedule.sessions == [] and schedule.placements == []


def test_an_unpinned_term_is_unaffected():
    schedule = solve_valid(make_scenario(students=[student("n1"), student("p1", "PT")]))
    assert schedule.status == "optimal"


def test_pins_without_objective_levels_still_get_a_schedule():
    """With `objectives: []` no level searches; when the drafts break a pin the solve must
    still look for any schedule keeping it (it used to answer infeasible)."""
    from factories import make_scenario, student

    scenario = make_scenario(
        activities=[],
        students=[student("n1", site_preferences=["H1"]), student("n2")],
        slots=[slot("L1", capacity=2), slot("L2", capacity=1)],
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {}}],
        policy={"objectives": [], "pinned": [{"student": "n1", "slot": "L2"}]},
    )
    schedule = solve_valid(scenario)
    assert schedule.status != "infeasible"
    assert {"L2"} <= {p.slot for p in schedule.placements if p.student == "n1"}
