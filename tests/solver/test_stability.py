"""Repairs: `stability` right after `coverage` keeps everything unaffected, moves the fewest
students (a minimum chain when one is needed), proves it, and names as keepers exactly
the students who had a session before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import (
    make_scenario,
    replace_item,
    site,
    slot,
    student,
)
from repair_helpers import (
    BUSY_S2,
    CHAIN_BEFORE,
    REPAIR,
    SESSIONS_BEFORE,
    chain_term,
    declined,
    proven,
    repaired,
    three_sessions,
)
from solver_helpers import level, solve_valid

from scheduler.domain.diff import diff_schedules
from scheduler.domain.loading import load_scenario_text
from scheduler.domain.repair import with_previous
from scheduler.domain.validator import objective_values, validate_schedule

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"


# --- placements: a decline ------------------------------------------------------------


def test_nothing_changed_means_nothing_moves():
    term = chain_term()
    assert validate_schedule(term, CHAIN_BEFORE) == []
    schedule = repaired(term, CHAIN_BEFORE)
    assert proven(schedule, "stability") == 0
    assert diff_schedules(CHAIN_BEFORE, schedule).changes == 0


def test_a_decline_moves_the_holder_and_the_shortest_chain_behind_it():
    schedule = repaired(declined(chain_term(), "L1"), CHAIN_BEFORE)
    assert proven(schedule, "coverage") == 3
    assert proven(schedule, "stability") == 2
    diff = diff_schedules(CHAIN_BEFORE, schedule)
    assert {(c.student, c.before, c.after) for c in diff.moved} == {
        ("n1", "L1", "L2"),
        ("n2", "L2", "L3"),
    }
    assert diff.changes == 2 and not diff.added and not diff.dropped


def test_a_better_seat_opening_moves_nobody_when_stability_comes_first():
    """A new slot at the site n2 ranks first: preferences alone would move n2 there, but
    stability is ranked above them."""
    term = replace_item(chain_term(), "students", "n2", site_preferences=["H2"])
    slots = [*term.slots, *make_scenario(slots=[slot("L5", site="H2", capacity=1)]).slots]
    term = term.model_copy(
        update={"sites": [*term.sites, *make_scenario(sites=[site("H2")]).sites], "slots": slots}
    )
    schedule = repaired(term, CHAIN_BEFORE, ["coverage", "stability", "preferences"])
    assert proven(schedule, "stability") == 0
    fresh = solve_valid(term)
    assert {(p.student, p.slot) for p in fresh.placements} >= {("n2", "L5")}


def test_a_seat_nobody_else_can_take_drops_only_its_holder():
    term = declined(chain_term(), "L2")
    schedule = repaired(term, CHAIN_BEFORE)
    assert proven(schedule, "stability") == 1
    diff = diff_schedules(CHAIN_BEFORE, schedule)
    assert [(c.student, c.kind, c.before, c.after) for c in diff.moved + diff.dropped] == [
        ("n2", "moved", "L2", "L3")
    ]


# --- sessions: cancellations, withdrawals, newcomers ----------------------------------


def test_a_cancelled_session_moves_only_its_students_and_keepers_keep_their_seats():
    """n1..n3 are interchangeable for the model: the read-out must name n2 and n3 as the
    ones who stay, not any two nurses."""
    term = three_sessions()
    assert validate_schedule(term, SESSIONS_BEFORE) == []
    cancelled = [s for s in term.activities[0].sessions if s.id != "S1"]
    activity_now = term.activities[0].model_copy(update={"sessions": cancelled})
    schedule = repaired(term.model_copy(update={"activities": [activity_now]}), SESSIONS_BEFORE)
    assert proven(schedule, "coverage") == 6
    assert proven(schedule, "stability") == 2
    diff = diff_schedules(SESSIONS_BEFORE, schedule)
    assert diff.students == ["n1", "p1"]
    assert {c.before for c in diff.moved} == {"S1"}


def test_a_withdrawal_moves_the_partner_left_alone():
    """p1 leaves: n1 alone cannot form a team (two professions), so n1 joins another
    session; the withdrawn student is in the diff but not in the stability count."""
    term = three_sessions()
    term = term.model_copy(update={"students": [s for s in term.students if s.id != "p1"]})
    schedule = repaired(term, SESSIONS_BEFORE)
    assert proven(schedule, "coverage") == 5
    assert proven(schedule, "stability") == 1
    diff = diff_schedules(SESSIONS_BEFORE, schedule)
    assert diff.students == ["n1", "p1"]
    assert diff.changes == 2


def test_a_newcomer_is_added_and_nobody_else_moves():
    term = three_sessions()
    term = term.model_copy(
        update={"students": [*term.students, *make_scenario(students=[student("n4")]).students]}
    )
    schedule = repaired(term, SESSIONS_BEFORE)
    assert proven(schedule, "coverage") == 7
    assert proven(schedule, "stability") == 1
    diff = diff_schedules(SESSIONS_BEFORE, schedule)
    assert [(c.student, c.kind) for c in diff.added] == [("n4", "added")]
    assert diff.changes == 1


def test_new_busy_time_moves_that_student_and_whoever_their_team_then_lacks():
    """n2 is now busy during S2; p2, left without a nurse there, moves too (or n1 trades
    places): two changes, proven, and n2 among them."""
    term = replace_item(three_sessions(), "students", "n2", unavailable=[BUSY_S2])
    schedule = repaired(term, SESSIONS_BEFORE)
    assert proven(schedule, "coverage") == 6
    assert proven(schedule, "stability") == 2
    diff = diff_schedules(SESSIONS_BEFORE, schedule)
    assert "n2" in diff.students and diff.changes == 2


def test_stability_is_reported_and_rechecked_by_the_validator():
    term = three_sessions()
    problem = with_previous(term, SESSIONS_BEFORE)
    schedule = solve_valid(problem)
    assert [o.name for o in schedule.objectives][:2] == ["coverage", "stability"]
    assert objective_values(problem, schedule)["stability"] == level(schedule, "stability").value


# --- the demo term --------------------------------------------------------------------


@pytest.mark.slow
def test_demo_decline_changes_only_its_holders_plus_a_proven_minimum():
    loaded = load_scenario_text(DEMO.read_text())
    assert loaded.scenario is not None
    demo = loaded.scenario
    first = solve_valid(demo, time_limit_s=40)
    held: dict[str, list[str]] = {}
    for p in first.placements:
        held.setdefault(p.slot, []).append(p.student)
    busiest = max(sorted(held), key=lambda s: len(held[s]))
    holders = set(held[busiest])
    problem = with_previous(declined(demo, busiest), first)
    policy = problem.policy.model_copy(update={"objectives": REPAIR})
    problem = problem.model_copy(update={"policy": policy})
    schedule = solve_valid(problem, time_limit_s=40)
    changes = proven(schedule, "stability")
    assert proven(schedule, "coverage") >= level(first, "coverage").value - len(holders)
    diff = diff_schedules(first, schedule)
    assert diff.changes == changes == objective_values(problem, schedule)["stability"]
    assert holders <= set(diff.students)
    others = set(diff.students) - holders
    assert len(others) <= changes - len(holders)
    print(json.dumps({"slot": busiest, "holders": len(holders), "changes": changes}))
