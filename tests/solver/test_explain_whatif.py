"""What-if suggestions: each one is replayed (changes applied, scenario solved afresh) and
must meet at least the needs it promised."""

from __future__ import annotations

from explain_helpers import (
    S1_DAY,
    S2_DAY,
    SETTINGS,
    by_code,
    gc_only_free_without_nurses,
    nurses_and_pts,
    pairs,
    verified_suggestions,
)
from factories import interval, site, slot, student
from solver_helpers import ipe_only, placements_only, solve_valid

from scheduler.domain.schedule import AddSession, AddSlot, SetCapacity, SetMaxTeams, SetMaxTravel
from solver.explain import WhatIfProgress, WhatIfSettings, suggest

HOME = {"lat": 45.0, "lon": -75.0}


def test_a_session_when_the_busy_student_is_free_is_suggested():
    busy = [
        interval(f"{S1_DAY}T13:00", f"{S1_DAY}T15:00"),
        interval(f"{S2_DAY}T13:00", f"{S2_DAY}T15:00"),
    ]
    scenario = ipe_only(students=nurses_and_pts(2, 3, n1={"unavailable": busy}))
    schedule = solve_valid(scenario)
    found = verified_suggestions(scenario, schedule)
    added = by_code(found, "add_session")
    (change,) = added.changes
    assert isinstance(change, AddSession) and change.activity == "A1"
    assert "n1" in added.helps


def test_a_session_where_nurses_and_gc_students_are_both_free_is_suggested():
    scenario = gc_only_free_without_nurses()
    schedule = solve_valid(scenario)
    added = by_code(verified_suggestions(scenario, schedule), "add_session")
    assert added.gain == 3
    assert added.helps == ["g1", "g2", "g3"]


def test_one_more_team_in_a_full_session_is_suggested():
    scenario = ipe_only(students=nurses_and_pts(3, 3), activities=[pairs()])
    schedule = solve_valid(scenario)
    found = verified_suggestions(scenario, schedule)
    team = by_code(found, "add_team")
    (change,) = team.changes
    assert isinstance(change, SetMaxTeams) and change.max_teams == 2
    assert team.gain == 2


def test_more_seats_are_suggested_and_shrunk_to_what_is_used():
    scenario = placements_only(students=[student(f"n{i}") for i in range(1, 6)])
    schedule = solve_valid(scenario)
    seats = by_code(verified_suggestions(scenario, schedule), "add_seats")
    assert seats.changes == [SetCapacity(slot="L1", capacity=5)]
    assert seats.gain == 3
    assert "add 3 NURS seat(s) to slot L1 at H1 in P1 (capacity 2 -> 5)" in seats.message


def test_a_slot_at_a_transit_site_is_suggested_for_a_transit_student():
    sites = [site("H1", transit_accessible=False), site("H2", 45.1, -75.1)]
    scenario = placements_only(students=[student("n1", travel_mode="transit")], sites=sites)
    schedule = solve_valid(scenario)
    new = by_code(verified_suggestions(scenario, schedule), "add_slot")
    (change,) = new.changes
    assert isinstance(change, AddSlot)
    assert (change.site, change.period, change.capacity) == ("H2", "P1", 1)


def test_a_slot_without_the_language_is_suggested_for_a_language_only_slot():
    scenario = placements_only(students=[student("n1")], slots=[slot(language="fr")])
    schedule = solve_valid(scenario)
    new = by_code(verified_suggestions(scenario, schedule), "add_slot")
    assert new.helps == ["n1"]


def test_the_travel_limit_is_raised_just_as_far_as_needed():
    sites = [site("H1"), site("H2", 45.5, -75.5)]
    slots = [slot("L1", capacity=1), slot("L2", site="H2", capacity=1)]
    scenario = placements_only(
        students=[student("n1", home=HOME), student("n2", home=HOME)],
        sites=sites,
        slots=slots,
        policy={"max_travel_km": 20},
    )
    schedule = solve_valid(scenario)
    travel = by_code(verified_suggestions(scenario, schedule), "relax_travel")
    assert travel.changes == [SetMaxTravel(max_travel_km=68.0)]
    assert "raise max_travel_km from 20 to 68" in travel.message


def test_suggestions_for_one_student_help_that_student():
    busy = [
        interval(f"{S1_DAY}T13:00", f"{S1_DAY}T15:00"),
        interval(f"{S2_DAY}T13:00", f"{S2_DAY}T15:00"),
    ]
    scenario = ipe_only(students=nurses_and_pts(2, 3, n1={"unavailable": busy}))
    schedule = solve_valid(scenario)
    found = verified_suggestions(scenario, schedule, student="n1")
    assert found and all("n1" in s.helps for s in found)
    assert suggest(scenario, schedule, settings=SETTINGS, student="n2") == []


def test_no_time_means_no_suggestion_and_nothing_unmet_means_none():
    scenario = placements_only(students=[student(f"n{i}") for i in range(1, 4)])
    schedule = solve_valid(scenario)
    assert suggest(scenario, schedule, settings=WhatIfSettings(time_limit_s=0)) == []
    assert suggest(ipe_only(), solve_valid(ipe_only()), settings=SETTINGS) == []


def test_progress_is_told_after_every_proposal():
    scenario = placements_only(students=[student(f"n{i}") for i in range(1, 6)])
    schedule = solve_valid(scenario)
    heard: list[WhatIfProgress] = []
    settings = WhatIfSettings(time_limit_s=20, solve_s=5, workers=2, on_progress=heard.append)
    found = suggest(scenario, schedule, settings=settings)
    assert heard, "no progress was told"
    assert [p.tried for p in heard] == list(range(1, heard[0].proposals + 1))
    assert {p.proposals for p in heard} == {heard[0].proposals}
    assert heard[-1].found >= len(found) >= 1
    assert [p.elapsed_s for p in heard] == sorted(p.elapsed_s for p in heard)
