"""Reasons of unassigned entries: each test plants one cause and checks the explanation
names it, with the ids to change (sessions, slots, sites, JSON paths of busy time)."""

from __future__ import annotations

from explain_helpers import S1_DAY, S2_DAY, codes, entry, nurses_and_pts, pairs, reason
from factories import activity, interval, site, slot, student, weekly
from solver_helpers import ipe_only, placements_only, solve_valid

# --- activities -------------------------------------------------------------------------


def test_personal_busy_time_at_every_session_is_named_with_its_path():
    busy = [
        interval(f"{S1_DAY}T13:00", f"{S1_DAY}T15:00"),
        interval(f"{S2_DAY}T14:00", f"{S2_DAY}T16:00"),
    ]
    students = nurses_and_pts(2, 2, n1={"unavailable": busy})
    schedule = solve_valid(ipe_only(students=students))
    item = entry(schedule, "n1")
    assert codes(item)[0] == "no_free_session"
    assert "busy at all 2 sessions of A1 (personal time)" in item.reasons[0].message
    personal = [r for r in item.reasons if r.code == "busy_personal"]
    assert [r.related for r in personal] == [
        ["S1", "students[0].unavailable[0]"],
        ["S2", "students[0].unavailable[1]"],
    ]
    assert "2027-02-10 14:00-16:00" in personal[1].message


def test_program_calendar_of_a_cohort_is_named_and_blocks_the_team_rule():
    calendar = {
        "profession": "PT",
        "cohort": "2027",
        "weekly_unavailable": [weekly("wed", "12:00", "16:00")],
    }
    students = nurses_and_pts(2, 2, p1={"cohort": "2027"}, p2={"cohort": "2027"})
    schedule = solve_valid(ipe_only(students=students, program_calendars=[calendar]))
    busy = reason(entry(schedule, "p1"), "busy_program_calendar")
    assert busy.message.startswith("program calendar PT 2027 Wed 12:00-16:00 blocks S1, S2")
    assert busy.related == ["S1", "S2", "program_calendars[0].weekly_unavailable[0]"]
    # No PT is ever free, and every team needs one: the nurses' entries name that conflict.
    conflict = reason(entry(schedule, "n1"), "team_rule_unsatisfiable")
    assert "activities[0].team.professions.PT.min" in conflict.related
    assert "every team needs 1 PT" in conflict.message


def test_inaccessible_room_is_named_for_a_student_who_needs_access():
    students = nurses_and_pts(2, 2, n1={"needs": ["accessible"]})
    schedule = solve_valid(ipe_only(students=students))
    room = reason(entry(schedule, "n1"), "room_inaccessible")
    assert room.related == ["S1", "S2", "R1"]
    assert "room R1" in room.message


def test_full_sessions_name_their_team_limit():
    schedule = solve_valid(ipe_only(students=nurses_and_pts(3, 3), activities=[pairs()]))
    left_out = [e for e in schedule.unassigned if e.student.startswith("n")]
    assert len(left_out) == 1
    item = left_out[0]
    assert codes(item)[0] == "sessions_full"
    full = reason(item, "session_full")
    assert set(full.related) == {"S1", "S2"}
    assert "maximum of 1 team" in full.message
    assert "maximum 1 NURS" in full.message


def test_missing_partner_profession_at_the_only_free_session_is_named():
    s1_busy = {"unavailable": [interval(f"{S1_DAY}T13:00", f"{S1_DAY}T15:00")]}
    s2_busy = {"unavailable": [interval(f"{S2_DAY}T13:00", f"{S2_DAY}T15:00")]}
    students = nurses_and_pts(1, 2, n1=s2_busy, p2=s1_busy)
    schedule = solve_valid(ipe_only(students=students, activities=[pairs()]))
    partner = reason(entry(schedule, "p2"), "partner_unavailable")
    assert partner.related == ["S2", "NURS"]
    assert "no NURS student is free at S2" in partner.message


def test_session_without_a_free_facilitator_is_named():
    facilitator = {
        "id": "F1",
        "name": "F",
        "profession": "NURS",
        "unavailable": [interval(f"{S2_DAY}T08:00", f"{S2_DAY}T18:00")],
    }
    a1 = pairs(teams_per_facilitator=1)
    schedule = solve_valid(
        ipe_only(students=nurses_and_pts(2, 2), activities=[a1], facilitators=[facilitator])
    )
    item = next(e for e in schedule.unassigned if e.student.startswith("n"))
    assert reason(item, "no_facilitator").related == ["S2"]
    assert reason(item, "session_full").related == ["S1"]


def test_activity_without_sessions_says_so():
    schedule = solve_valid(ipe_only(activities=[activity(sessions=[])]))
    assert codes(entry(schedule, "n1")) == ["no_sessions"]


# --- placements -------------------------------------------------------------------------


def test_seats_taken_name_the_full_slot_its_period_and_its_holders():
    students = [student("n1"), student("n2"), student("n3")]
    schedule = solve_valid(placements_only(students=students))
    (item,) = [e for e in schedule.unassigned if e.requirement == "NURS"]
    assert codes(item)[0] == "seats_taken"
    taken = reason(item, "capacity_taken")
    assert taken.related == ["P1", "L1"]
    assert "all 2 seats of 1 eligible slot in P1 are taken" in taken.message
    assert "2 by students with no other free seat" in taken.message


def test_site_unreachable_by_transit_is_named():
    students = [student("n1", travel_mode="transit")]
    sites = [site("H1", transit_accessible=False)]
    schedule = solve_valid(placements_only(students=students, sites=sites))
    item = entry(schedule, "n1", "NURS")
    assert codes(item) == ["no_eligible_slot", "transit_inaccessible"]
    assert reason(item, "transit_inaccessible").related == ["H1", "L1"]
    assert "H1 is not transit-accessible" in item.reasons[0].message


def test_language_only_slot_is_named_with_its_language():
    schedule = solve_valid(placements_only(students=[student("n1")], slots=[slot(language="fr")]))
    item = entry(schedule, "n1", "NURS")
    assert codes(item) == ["no_eligible_slot", "language_required"]
    assert reason(item, "language_required").related == ["fr", "L1"]


def test_travel_limit_is_named_with_the_distance():
    home = {"lat": 45.0, "lon": -75.0}
    sites = [site("H1", 45.5, -75.5)]
    scenario = placements_only(
        students=[student("n1", home=home)], sites=sites, policy={"max_travel_km": 45}
    )
    far = reason(entry(solve_valid(scenario), "n1", "NURS"), "too_far")
    assert far.related == ["H1", "L1"]
    assert "45 km travel limit (nearest: H1 68 km)" in far.message


def test_declined_slot_is_named():
    schedule = solve_valid(
        placements_only(students=[student("n1")], slots=[slot(status="declined")])
    )
    assert reason(entry(schedule, "n1", "NURS"), "slot_declined").related == ["L1"]


def test_busy_period_names_the_program_calendar():
    calendar = {"profession": "NURS", "weekly_unavailable": [weekly("mon", "09:00", "10:00")]}
    schedule = solve_valid(placements_only(students=[student("n1")], program_calendars=[calendar]))
    busy = reason(entry(schedule, "n1", "NURS"), "busy_period")
    assert busy.related[:2] == ["P1", "program_calendars[0].weekly_unavailable[0]"]


def test_tag_minimum_rules_out_the_untagged_seats():
    sites = [site("H1"), site("H2", 45.1, -75.1, tags=["community"])]
    slots = [slot("L1", capacity=1), slot("L2", site="H2", capacity=5)]
    scenario = placements_only(students=[student("n1"), student("n2")], sites=sites, slots=slots)
    schedule = solve_valid(scenario)
    (item,) = [e for e in schedule.unassigned if e.requirement == "NURS"]
    assert reason(item, "tag_minimum").related[:3] == ["NURS", "acute", "L2"]
    assert reason(item, "capacity_taken").related == ["P1", "L1"]


def test_too_few_usable_periods_for_the_count_leads():
    periods = [
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
    busy = [interval("2027-04-12T09:00", "2027-04-12T10:00")]
    scenario = placements_only(
        students=[student("n1", unavailable=busy)],
        periods=periods,
        slots=[slot("L1", period="P1"), slot("L2", period="P2")],
        placement_requirements=[{"profession": "NURS", "count": 2}],
    )
    item = entry(solve_valid(scenario), "n1", "NURS")
    # the student's own periods bind (free seats elsewhere cannot help): it heads the reasons
    assert codes(item)[0] == "too_few_periods"
    assert "seats_taken" not in codes(item)
    assert "at most 1 of 2 placements" in item.reasons[0].message
    assert reason(item, "busy_period").related[:2] == ["P2", "students[0].unavailable[0]"]
