"""The independent validator: each hard rule valid, violated and at its boundary."""

from __future__ import annotations

import time
from typing import Any

import pytest
from factories import (
    activity,
    base_scenario_data,
    interval,
    make_scenario,
    make_schedule,
    placement,
    replace_item,
    session,
    session_entry,
    site,
    slot,
    student,
    team,
    unassigned_activity,
    unassigned_requirement,
    weekly,
)
from long_run import LONG

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import (
    RULES,
    Violation,
    objective_values,
    travel_km,
    validate_schedule,
)


def violations(scenario: Scenario | None = None, schedule: Schedule | None = None) -> list:
    """Violations of a (by default the base) schedule in a (by default the base) scenario."""
    return validate_schedule(scenario or make_scenario(), schedule or make_schedule())


def codes(found: list[Violation]) -> set[str]:
    """The violation codes found."""
    return {v.code for v in found}


def only(found: list[Violation], code: str) -> list[Violation]:
    """Violations of one code."""
    return [v for v in found if v.code == code]


def assert_violation(found: list[Violation], code: str, *ids: str) -> None:
    """Some violation with `code` names every id in `ids`, with the code's rule number."""
    matches = [v for v in only(found, code) if set(ids) <= set(v.related)]
    assert matches, f"no {code} naming {ids}: {found}"
    assert all(v.rule == RULES[code] for v in matches)
    assert all(all(i in v.message for i in ids) for v in matches)


def with_ot_activity(*sessions: dict[str, Any], **fields: Any) -> Scenario:
    """Base scenario plus activity A2 for OT (no OT students) and accessible room R2."""
    data = base_scenario_data()
    data["professions"].append({"code": "OT", "name": "Occupational Therapy"})
    data["rooms"].append({"id": "R2", "name": "Room 2", "accessible": True})
    team_rule = {"min_size": 1, "max_size": 4, "min_professions": 1}
    extra = activity(
        "A2", participants=[{"profession": "OT"}], team=team_rule, sessions=list(sessions)
    )
    data["activities"].append(extra)
    data.update(fields)
    return Scenario.model_validate(data)


def test_base_scenario_and_schedule_are_valid() -> None:
    assert check_scenario(make_scenario()) == []
    assert violations() == []


def test_every_code_has_a_rule_between_0_and_9() -> None:
    """Rules 1-7 of the spec, 0 for structure, 8 for pinned assignments and 9 for student
    plans (extensions)."""
    assert set(RULES.values()) <= set(range(10))


# --- structural (rule 0) -------------------------------------------------------------------


def test_wrong_term() -> None:
    assert_violation(violations(schedule=make_schedule(term="T9")), "wrong_term", "T9")


def test_unknown_ids_are_reported() -> None:
    schedule = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1", "p1", "zz")),
            session_entry("S2", team("t1", "n2", "p2"), facilitators=("F9",)),
            session_entry("S9", team("t1", "n1")),
        ],
        placements=[placement("n1"), placement("n2", "L9"), placement("x1")],
        unassigned=[unassigned_activity("n1", "A9")],
    )
    found = violations(schedule=schedule)
    assert_violation(found, "unknown_student", "zz", "S1")
    assert_violation(found, "unknown_facilitator", "F9", "S2")
    assert_violation(found, "unknown_session", "S9")
    assert_violation(found, "unknown_slot", "L9", "n2")
    assert_violation(found, "unknown_student", "x1")
    assert_violation(found, "unknown_activity", "A9")


def test_activity_mismatch_and_duplicate_session() -> None:
    schedule = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1", "p1"), activity_id="A2"),
            session_entry("S2", team("t1", "n2", "p2")),
            session_entry("S2", team("t1", "n2", "p2")),
        ]
    )
    found = violations(schedule=schedule)
    assert_violation(found, "activity_mismatch", "S1", "A2")
    assert_violation(found, "duplicate_session", "S2")


def test_duplicate_team_ids_and_students_within_a_session() -> None:
    schedule = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1", "p1"), team("t1", "n2", "p2", "p1")),
        ]
    )
    found = violations(schedule=schedule)
    assert_violation(found, "duplicate_team", "S1", "t1")
    assert_violation(found, "student_in_two_teams", "p1", "S1")


def test_duplicate_placement_and_malformed_unassigned() -> None:
    schedule = make_schedule(
        placements=[placement("n1"), placement("n1"), placement("n2")],
        unassigned=[{"student": "n1", "reasons": []}],
    )
    found = violations(schedule=schedule)
    assert_violation(found, "duplicate_placement", "n1", "L1")
    assert_violation(found, "malformed_unassigned", "n1")
    assert "slot_over_capacity" not in codes(found)


# --- rule 1: one session per activity, unassigned entries ----------------------------------


def test_rule1_student_in_two_sessions_of_one_activity() -> None:
    schedule = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1", "p1")),
            session_entry("S2", team("t1", "n2", "p2", "n1")),
        ]
    )
    assert_violation(violations(schedule=schedule), "multiple_sessions", "n1", "A1", "S1", "S2")


def test_rule1_missing_unassigned_entry() -> None:
    schedule = make_schedule(sessions=[session_entry("S1", team("t1", "n1", "p1"))])
    found = violations(schedule=schedule)
    assert_violation(found, "missing_unassigned", "n2", "A1")
    assert_violation(found, "missing_unassigned", "p2", "A1")
    assert len(found) == 2


def test_rule1_boundary_unassigned_listed_exactly_once_is_valid() -> None:
    schedule = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "p1"))],
        unassigned=[unassigned_activity("n2"), unassigned_activity("p2")],
    )
    assert violations(schedule=schedule) == []


def test_rule1_spurious_and_duplicate_unassigned() -> None:
    scenario = make_scenario(
        professions=[
            {"code": "NURS", "name": "N"},
            {"code": "PT", "name": "P"},
            {"code": "OT", "name": "O"},
        ],
        students=[*base_scenario_data()["students"], student("o1", "OT")],
    )
    schedule = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "p1"))],
        unassigned=[
            unassigned_activity("n1"),
            unassigned_activity("o1"),
            unassigned_activity("n2"),
            unassigned_activity("n2"),
            unassigned_activity("p2"),
        ],
    )
    found = violations(scenario, schedule)
    assert_violation(found, "spurious_unassigned", "n1", "A1")
    assert_violation(found, "spurious_unassigned", "o1", "A1")
    assert_violation(found, "duplicate_unassigned", "n2", "A1")


# --- rule 2: student time conflicts --------------------------------------------------------


@pytest.mark.parametrize(
    ("busy", "conflict"),
    [
        (interval("2027-02-03T14:00", "2027-02-03T16:00"), True),
        (interval("2027-02-03T15:00", "2027-02-03T17:00"), False),
        (interval("2027-02-03T11:00", "2027-02-03T13:00"), False),
        (interval("2027-02-01T00:00", "2027-02-05T00:00"), True),
    ],
)
def test_rule2_personal_unavailable_vs_session(busy: dict[str, str], conflict: bool) -> None:
    scenario = replace_item(make_scenario(), "students", "n1", unavailable=[busy])
    found = violations(scenario)
    assert bool(only(found, "student_busy")) is conflict
    if conflict:
        assert_violation(found, "student_busy", "n1", "S1")


@pytest.mark.parametrize(
    ("window", "conflict"),
    [
        (weekly("wed", "14:50", "15:10"), True),
        (weekly("wed", "11:00", "13:00"), False),
        (weekly("wed", "15:00", "24:00"), False),
        (weekly("thu", "13:00", "15:00"), False),
    ],
)
def test_rule2_weekly_unavailable_vs_session(window: dict[str, str], conflict: bool) -> None:
    scenario = replace_item(make_scenario(), "students", "n2", weekly_unavailable=[window])
    found = violations(scenario)
    assert bool(only(found, "student_busy")) is conflict
    if conflict:
        assert_violation(found, "student_busy", "n2", "S2")


def test_rule2_weekly_unavailable_ends_with_the_term() -> None:
    data = base_scenario_data()
    data["term"]["end"] = "2027-02-09"
    data["activities"][0]["sessions"][1] = session("S2", "2027-02-10T13:00", "2027-02-10T15:00")
    data["students"][1]["weekly_unavailable"] = [weekly("wed", "13:00", "15:00")]
    data["placement_requirements"] = []
    schedule = make_schedule(placements=[])
    assert only(validate_schedule(Scenario.model_validate(data), schedule), "student_busy") == []


def test_rule2_program_calendar() -> None:
    calendars = [
        {"profession": "NURS", "weekly_unavailable": [weekly("wed", "12:00", "13:30")]},
        {
            "profession": "PT",
            "cohort": "2028",
            "unavailable": [interval("2027-02-03T13:00", "2027-02-03T14:00")],
        },
        {"profession": "PT", "unavailable": [interval("2027-02-10T10:00", "2027-02-10T13:00")]},
    ]
    found = violations(make_scenario(program_calendars=calendars))
    assert_violation(found, "program_calendar_busy", "n1", "S1")
    assert_violation(found, "program_calendar_busy", "n2", "S2")
    assert {v.related[0] for v in found} == {"n1", "n2"}


def test_rule2_two_sessions_of_different_activities_overlap() -> None:
    data = base_scenario_data()
    second = activity("A2", sessions=[session("S3", "2027-02-03T14:59", "2027-02-03T16:00", "R2")])
    second["participants"] = [{"profession": "NURS", "cohort": "X"}]
    second["team"] = {"min_size": 1, "max_size": 4, "min_professions": 1}
    second["teams_per_facilitator"] = 0
    data["activities"].append(second)
    data["rooms"].append({"id": "R2", "name": "Room 2"})
    data["students"][0]["cohort"] = "X"
    scenario = Scenario.model_validate(data)
    schedule = make_schedule(
        sessions=[
            *make_schedule().sessions,
            session_entry("S3", team("t1", "n1"), activity_id="A2"),
        ]
    )
    assert_violation(violations(scenario, schedule), "sessions_overlap", "n1", "S1", "S3")
    touching = replace_item(
        scenario,
        "activities",
        "A2",
        sessions=[session("S3", "2027-02-03T15:00", "2027-02-03T16:00", "R2")],
    )
    assert violations(touching, schedule) == []


def placement_vs_session(start: str, end: str) -> list[Violation]:
    """Violations when n1 (holding L1, P1 Mon/Tue 08-16) also attends session S3 start..end."""
    data = base_scenario_data()
    second = activity("A2", sessions=[session("S3", start, end, "R1")])
    second["participants"] = [{"profession": "NURS", "cohort": "X"}]
    second["team"] = {"min_size": 1, "max_size": 4, "min_professions": 1}
    second["teams_per_facilitator"] = 0
    data["activities"].append(second)
    data["students"][0]["cohort"] = "X"
    schedule = make_schedule(
        sessions=[
            *make_schedule().sessions,
            session_entry("S3", team("t1", "n1"), activity_id="A2"),
        ]
    )
    return validate_schedule(Scenario.model_validate(data), schedule)


def test_rule2_placement_vs_session() -> None:
    found = placement_vs_session("2027-03-01T10:00", "2027-03-01T12:00")
    assert_violation(found, "placement_session_overlap", "n1", "S3", "L1")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2027-03-01T16:00", "2027-03-01T18:00"),  # touches the end of Monday's window
        ("2027-03-01T06:00", "2027-03-01T08:00"),  # touches its start
        ("2027-03-03T10:00", "2027-03-03T12:00"),  # a Wednesday: not a placement day
        ("2027-03-29T10:00", "2027-03-29T12:00"),  # a Monday after the period
        ("2027-02-22T10:00", "2027-02-22T12:00"),  # a Monday before the period
    ],
)
def test_rule2_placement_vs_session_boundaries(start: str, end: str) -> None:
    assert placement_vs_session(start, end) == []


@pytest.mark.parametrize(
    ("changes", "conflict"),
    [
        ({"weekly_unavailable": [weekly("tue", "15:00", "17:00")]}, True),
        ({"weekly_unavailable": [weekly("tue", "16:00", "18:00")]}, False),
        ({"weekly_unavailable": [weekly("thu", "08:00", "16:00")]}, False),
        ({"unavailable": [interval("2027-02-27T00:00", "2027-03-01T08:00")]}, False),
        ({"unavailable": [interval("2027-02-27T00:00", "2027-03-01T08:01")]}, True),
        ({"unavailable": [interval("2027-03-26T16:00", "2027-03-30T08:00")]}, False),
    ],
)
def test_rule2_placement_vs_student_busy(changes: dict[str, Any], conflict: bool) -> None:
    found = violations(replace_item(make_scenario(), "students", "n1", **changes))
    assert bool(only(found, "student_busy")) is conflict
    if conflict:
        assert_violation(found, "student_busy", "n1", "L1")


def test_rule2_weekly_busy_on_a_weekday_outside_a_short_period() -> None:
    scenario = replace_item(make_scenario(), "periods", "P1", start="2027-03-02", end="2027-03-08")
    scenario = replace_item(
        scenario, "students", "n1", weekly_unavailable=[weekly("tue", "09:00", "10:00")]
    )
    assert_violation(violations(scenario), "student_busy", "n1", "L1")
    short = replace_item(scenario, "periods", "P1", start="2027-03-03", end="2027-03-07")
    assert violations(short) == []


def two_placements(p2: dict[str, Any]) -> list[Violation]:
    """Violations when n1 holds L1 (P1) and L2 (period P2), with a two-placement requirement."""
    data = base_scenario_data()
    data["periods"].append(p2)
    data["slots"].append(slot("L2", period="P2"))
    data["placement_requirements"] = [{"profession": "NURS", "count": 2}]
    schedule = make_schedule(
        placements=[placement("n1"), placement("n1", "L2"), placement("n2")],
        unassigned=[unassigned_requirement("n2")],
    )
    return validate_schedule(Scenario.model_validate(data), schedule)


def test_rule2_placements_overlap() -> None:
    p2 = {
        "id": "P2",
        "start": "2027-03-15",
        "end": "2027-04-09",
        "weekly": [weekly("tue", "12:00", "13:00")],
    }
    assert_violation(two_placements(p2), "placements_overlap", "n1", "L1", "L2")


@pytest.mark.parametrize(
    "p2",
    [
        {
            "id": "P2",
            "start": "2027-03-27",
            "end": "2027-04-09",
            "weekly": [weekly("tue", "12:00", "13:00")],
        },
        {
            "id": "P2",
            "start": "2027-03-15",
            "end": "2027-04-09",
            "weekly": [weekly("wed", "12:00", "13:00")],
        },
        {
            "id": "P2",
            "start": "2027-03-15",
            "end": "2027-04-09",
            "weekly": [weekly("tue", "16:00", "18:00")],
        },
    ],
)
def test_rule2_placements_boundaries(p2: dict[str, Any]) -> None:
    assert two_placements(p2) == []


# --- rule 3: teams -------------------------------------------------------------------------


def test_rule3_team_too_small() -> None:
    schedule = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1")),
            session_entry("S2", team("t1", "n2", "p2", "p1")),
        ]
    )
    found = violations(schedule=schedule)
    assert_violation(found, "team_too_small", "S1", "t1")
    assert_violation(found, "team_too_few_professions", "S1", "t1")
    assert_violation(found, "team_profession_below_min", "S1", "t1", "PT")


def test_rule3_team_too_large_and_profession_above_max() -> None:
    students = [*base_scenario_data()["students"], student("n3"), student("p3", "PT")]
    schedule = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "n2", "n3", "p1", "p2"))],
        unassigned=[unassigned_activity("p3")],
    )
    found = violations(make_scenario(students=students), schedule)
    assert_violation(found, "team_too_large", "S1", "t1")
    assert_violation(found, "team_profession_above_max", "S1", "t1", "NURS")


def test_rule3_boundary_exact_min_and_max_sizes_are_valid() -> None:
    schedule = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "n2", "p1", "p2"))],
    )
    assert violations(schedule=schedule) == []
    assert violations() == []  # base teams have exactly min_size 2 and min_professions 2


def test_rule3_too_many_teams_and_boundary() -> None:
    schedule = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "p1"), team("t2", "n2", "p2"))]
    )
    assert violations(schedule=schedule) == []  # exactly max_teams 2
    one_team = replace_item(
        make_scenario(),
        "activities",
        "A1",
        sessions=[
            session("S1", "2027-02-03T13:00", "2027-02-03T15:00", max_teams=1),
            session("S2", "2027-02-10T13:00", "2027-02-10T15:00", max_teams=1),
        ],
    )
    assert_violation(violations(one_team, schedule), "too_many_teams", "S1")


def test_rule3_not_participant() -> None:
    data = base_scenario_data()
    data["students"][2]["cohort"] = "2028"
    data["activities"][0]["participants"] = [
        {"profession": "NURS"},
        {"profession": "PT", "cohort": "2029"},
    ]
    found = violations(Scenario.model_validate(data))
    assert_violation(found, "not_participant", "p1", "S1", "t1")
    assert_violation(found, "not_participant", "p2", "S2", "t1")


# --- rule 4: rooms and accessibility -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        ("2027-02-03T14:00", "2027-02-03T16:00", True),
        ("2027-02-03T12:00", "2027-02-03T16:00", True),
        ("2027-02-03T15:00", "2027-02-03T16:00", False),
        ("2027-02-03T11:00", "2027-02-03T13:00", False),
    ],
)
def test_rule4_room_hosts_one_session(start: str, end: str, clash: bool) -> None:
    scenario = with_ot_activity(session("S3", start, end, "R1"))
    schedule = make_schedule(
        sessions=[*make_schedule().sessions, session_entry("S3", activity_id="A2", facilitators=())]
    )
    found = violations(scenario, schedule)
    assert bool(found) is clash
    if clash:
        assert_violation(found, "room_double_booked", "R1", "S1", "S3")


def test_rule4_unlisted_session_does_not_book_its_room() -> None:
    scenario = with_ot_activity(session("S3", "2027-02-03T14:00", "2027-02-03T16:00", "R1"))
    assert violations(scenario) == []


def test_rule4_accessible_room() -> None:
    scenario = replace_item(make_scenario(), "students", "n1", needs=["accessible"])
    assert_violation(violations(scenario), "room_not_accessible", "n1", "S1", "R1")
    accessible = replace_item(scenario, "rooms", "R1", accessible=True)
    assert violations(accessible) == []


def test_rule4_accessible_site() -> None:
    scenario = replace_item(make_scenario(), "students", "n2", needs=["accessible"])
    scenario = replace_item(scenario, "rooms", "R1", accessible=True)
    assert violations(scenario) == []
    inaccessible = replace_item(scenario, "sites", "H1", accessible=False)
    found = violations(inaccessible)
    assert_violation(found, "site_not_accessible", "n2", "L1", "H1")
    assert len(found) == 1


# --- rule 5: facilitators ------------------------------------------------------------------


def test_rule5_too_few_facilitators() -> None:
    schedule = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1", "p1"), team("t2", "n2", "p2"), facilitators=())
        ]
    )
    assert_violation(violations(schedule=schedule), "too_few_facilitators", "S1")


def test_rule5_boundary_ceil_of_teams_per_facilitator() -> None:
    two_teams = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "p1"), team("t2", "n2", "p2"))]
    )
    assert violations(schedule=two_teams) == []  # 2 teams, 2 per facilitator: 1 is enough
    one_each = replace_item(make_scenario(), "activities", "A1", teams_per_facilitator=1)
    assert_violation(violations(one_each, two_teams), "too_few_facilitators", "S1")
    no_need = replace_item(make_scenario(), "activities", "A1", teams_per_facilitator=0)
    unstaffed = make_schedule(
        sessions=[
            session_entry("S1", team("t1", "n1", "p1"), team("t2", "n2", "p2"), facilitators=())
        ]
    )
    assert violations(no_need, unstaffed) == []


@pytest.mark.parametrize(
    ("changes", "busy"),
    [
        ({"unavailable": [interval("2027-02-10T14:00", "2027-02-10T14:30")]}, True),
        ({"weekly_unavailable": [weekly("wed", "09:00", "13:01")]}, True),
        ({"weekly_unavailable": [weekly("wed", "15:00", "16:00")]}, False),
        ({"unavailable": [interval("2027-02-10T15:00", "2027-02-11T00:00")]}, False),
    ],
)
def test_rule5_facilitator_free_for_the_whole_session(changes: dict[str, Any], busy: bool) -> None:
    found = violations(replace_item(make_scenario(), "facilitators", "F1", **changes))
    assert bool(found) is busy
    if busy:
        assert_violation(found, "facilitator_busy", "F1", "S2")


def test_rule5_facilitator_in_two_conflicting_sessions() -> None:
    scenario = with_ot_activity(session("S3", "2027-02-03T14:00", "2027-02-03T16:00", "R2"))
    schedule = make_schedule(
        sessions=[*make_schedule().sessions, session_entry("S3", activity_id="A2")]
    )
    assert_violation(violations(scenario, schedule), "facilitator_double_booked", "F1", "S1", "S3")
    touching = with_ot_activity(session("S3", "2027-02-03T15:00", "2027-02-03T16:00", "R2"))
    assert violations(touching, schedule) == []


def test_rule5_max_sessions() -> None:
    capped = replace_item(make_scenario(), "facilitators", "F1", max_sessions=1)
    assert_violation(violations(capped), "facilitator_over_max_sessions", "F1")
    exact = replace_item(make_scenario(), "facilitators", "F1", max_sessions=2)
    assert violations(exact) == []


# --- rule 6: slots -------------------------------------------------------------------------


def test_rule6_slot_of_another_profession() -> None:
    schedule = make_schedule(
        placements=[placement("n1"), placement("p1")], unassigned=[unassigned_requirement("n2")]
    )
    found = violations(schedule=schedule)
    assert_violation(found, "slot_wrong_profession", "p1", "L1")


def test_rule6_declined_slot() -> None:
    for status in ("offered", "confirmed"):
        assert violations(replace_item(make_scenario(), "slots", "L1", status=status)) == []
    declined = replace_item(make_scenario(), "slots", "L1", status="declined")
    assert_violation(violations(declined), "slot_declined", "L1", "n1")


def test_rule6_capacity_exact_is_valid_and_one_over_is_not() -> None:
    assert violations() == []  # two students, capacity 2
    small = replace_item(make_scenario(), "slots", "L1", capacity=1)
    assert_violation(violations(small), "slot_over_capacity", "L1")


def test_rule6_language() -> None:
    french = replace_item(make_scenario(), "slots", "L1", language="fr")
    found = violations(french)
    assert_violation(found, "slot_language", "n1", "L1")
    assert_violation(found, "slot_language", "n2", "L1")
    bilingual = replace_item(french, "students", "n1", languages=["en", "fr"])
    bilingual = replace_item(bilingual, "students", "n2", languages=["fr"])
    assert violations(bilingual) == []


def test_rule6_transit() -> None:
    transit = replace_item(make_scenario(), "students", "n1", travel_mode="transit")
    assert violations(transit) == []
    no_bus = replace_item(transit, "sites", "H1", transit_accessible=False)
    found = violations(no_bus)
    assert_violation(found, "site_not_transit_accessible", "n1", "L1", "H1")
    assert len(found) == 1


@pytest.mark.parametrize(("limit", "too_far"), [(111.2, False), (111.1, True), (500.0, False)])
def test_rule6_travel_limit(limit: float, too_far: bool) -> None:
    scenario = replace_item(make_scenario(), "students", "n1", home={"lat": 46.0, "lon": -75.0})
    scenario = scenario.model_copy(
        update={"policy": scenario.policy.model_copy(update={"max_travel_km": limit})}
    )
    found = violations(scenario)
    assert bool(found) is too_far
    if too_far:
        assert_violation(found, "travel_too_far", "n1", "L1", "H1")


def test_rule6_travel_limit_ignored_without_home() -> None:
    scenario = make_scenario(policy={"max_travel_km": 0.0})
    assert violations(scenario) == []


# --- rule 7: placement requirements --------------------------------------------------------


def test_rule7_too_many_placements() -> None:
    data = base_scenario_data()
    data["periods"].append({"id": "P2", "start": "2027-04-05", "end": "2027-04-30"})
    data["slots"].append(slot("L2", period="P2"))
    schedule = make_schedule(placements=[placement("n1"), placement("n1", "L2"), placement("n2")])
    assert_violation(
        validate_schedule(Scenario.model_validate(data), schedule),
        "too_many_placements",
        "n1",
        "NURS",
    )


def test_rule7_placement_without_requirement() -> None:
    scenario = make_scenario(placement_requirements=[])
    assert_violation(violations(scenario), "placement_without_requirement", "n1", "L1")


def test_rule7_missing_unassigned_placements() -> None:
    found = violations(schedule=make_schedule(placements=[]))
    assert_violation(found, "missing_unassigned_placement", "n1", "NURS")
    assert_violation(found, "missing_unassigned_placement", "n2", "NURS")


def test_rule7_boundary_count_minus_held_entries_is_valid() -> None:
    schedule = make_schedule(
        placements=[placement("n1")], unassigned=[unassigned_requirement("n2")]
    )
    assert violations(schedule=schedule) == []
    two = make_scenario(placement_requirements=[{"profession": "NURS", "count": 2}])
    entries = [
        unassigned_requirement("n1"),
        unassigned_requirement("n2"),
        unassigned_requirement("n2"),
    ]
    assert violations(two, make_schedule(placements=[placement("n1")], unassigned=entries)) == []


def test_rule7_extra_and_wrong_requirement_entries() -> None:
    schedule = make_schedule(
        placements=[placement("n1")],
        unassigned=[
            unassigned_requirement("n1"),
            unassigned_requirement("n2", "PT"),
            unassigned_requirement("p1", "PT"),
        ],
    )
    found = violations(schedule=schedule)
    assert_violation(found, "extra_unassigned_placement", "n1", "NURS")
    assert_violation(found, "wrong_requirement", "n2", "PT")
    assert_violation(found, "missing_unassigned_placement", "n2", "NURS")
    assert_violation(found, "wrong_requirement", "p1", "PT")


def test_rule7_requirement_id_and_cohort_specific_requirement() -> None:
    requirements = [
        {"profession": "NURS", "count": 1},
        {"id": "nurs-2028", "profession": "NURS", "cohort": "2028", "count": 2},
    ]
    scenario = replace_item(
        make_scenario(placement_requirements=requirements), "students", "n2", cohort="2028"
    )
    schedule = make_schedule(unassigned=[unassigned_requirement("n2", "nurs-2028")])
    assert violations(scenario, schedule) == []
    assert_violation(violations(scenario), "missing_unassigned_placement", "n2", "nurs-2028")


def test_rule7_tag_minimum() -> None:
    community = replace_item(make_scenario(), "sites", "H1", tags=["community"])
    found = violations(community)
    assert_violation(found, "tag_minimum_unmet", "n1", "NURS", "acute")
    assert_violation(found, "tag_minimum_unmet", "n2", "NURS", "acute")


def test_rule7_tag_minimum_only_when_all_placements_held() -> None:
    requirements = [{"profession": "NURS", "count": 2, "tags": {"acute": 2}}]
    scenario = make_scenario(placement_requirements=requirements)
    schedule = make_schedule(
        unassigned=[unassigned_requirement("n1"), unassigned_requirement("n2")]
    )
    assert violations(scenario, schedule) == []


# --- objectives ----------------------------------------------------------------------------


def objective_scenario() -> Scenario:
    """Base scenario: n1 lives 1 degree north of H1, n2 half a degree; n2 prefers H2."""
    data = base_scenario_data()
    data["sites"].append(site("H2", lat=44.0))
    data["students"][0].update(home={"lat": 46.0, "lon": -75.0}, site_preferences=["H1"])
    data["students"][1].update(home={"lat": 45.5, "lon": -75.0}, site_preferences=["H2"])
    data["students"].append(student("p3", "PT"))
    return Scenario.model_validate(data)


def test_travel_km_rounds_to_a_tenth_and_is_zero_without_home() -> None:
    scenario = objective_scenario()
    assert travel_km(scenario, "n1", "L1") == 111.2
    assert travel_km(scenario, "n2", "L1") == 55.6
    assert travel_km(scenario, "p1", "L1") == 0.0


def test_objective_values() -> None:
    schedule = make_schedule(
        sessions=[session_entry("S1", team("t1", "n1", "p1", "p2"), team("t2", "n2", "p3"))]
    )
    values = objective_values(objective_scenario(), schedule)
    assert values == {
        "coverage": 7.0,  # 5 attendances + 2 placements
        "preferences": 3.0,  # n1 ranks H1 first (1), n2 does not rank it (1 + 1)
        "travel_fairness": 111.2,
        "travel_total": 166.8,
        "team_balance": 1.0,  # sizes 3 and 2
        "equity_gap": 0.0,  # no student attributes: no groups to compare
        "distinct_sites": 2.0,  # n1 and n2 each at one site (extension)
        "distinct_tags": 2.0,  # each at one `acute` site
    }


def test_objective_values_without_placements() -> None:
    values = objective_values(objective_scenario(), make_schedule(placements=[]))
    assert values["travel_fairness"] == 0.0
    assert values["travel_total"] == 0.0
    assert values["preferences"] == 0.0
    assert values["coverage"] == 4.0
    assert values["team_balance"] == 0.0


# --- speed ---------------------------------------------------------------------------------


def large_case(pairs: int) -> tuple[Scenario, Schedule]:
    """`pairs` NURS+PT pairs in teams of two, 25 teams a session, every NURS placed."""
    data = base_scenario_data()
    data["students"] = [
        student(
            f"{kind}{i}",
            prof,
            weekly_unavailable=[weekly("fri", "09:00", "12:00")],
            unavailable=[interval("2027-02-15T08:00", "2027-02-15T10:00")],
        )
        for i in range(pairs)
        for kind, prof in (("n", "NURS"), ("p", "PT"))
    ]
    data["program_calendars"] = [
        {
            "profession": "NURS",
            "weekly_unavailable": [weekly("thu", "08:00", "17:00")],
            "unavailable": [interval("2027-03-11T00:00", "2027-03-13T00:00")],
        },
    ]
    data["rooms"] = [{"id": f"R{r}", "name": f"Room {r}"} for r in range(10)]
    sessions_count = -(-pairs // 25)
    data["facilitators"] = [
        {"id": f"F{s}", "name": "F", "profession": "NURS"} for s in range(sessions_count)
    ]
    days = [f"2027-02-{week * 7 + day:02d}" for week in range(4) for day in (1, 2, 3)]
    data["activities"][0]["sessions"] = [
        session(f"S{s}", f"{days[s // 10]}T13:00", f"{days[s // 10]}T14:00", f"R{s % 10}", 25)
        for s in range(sessions_count)
    ]
    data["activities"][0]["teams_per_facilitator"] = 25
    data["slots"] = [slot(f"L{k}", capacity=50) for k in range(-(-pairs // 50))]
    scenario = Scenario.model_validate(data)
    entries = [
        session_entry(
            f"S{s}",
            *(team(f"t{i}", f"n{i}", f"p{i}") for i in range(s * 25, min(pairs, s * 25 + 25))),
            facilitators=(f"F{s}",),
        )
        for s in range(sessions_count)
    ]
    placements = [placement(f"n{i}", f"L{i // 50}") for i in range(pairs)]
    return scenario, make_schedule(sessions=entries, placements=placements)


def test_validates_5000_students_quickly() -> None:
    scenario, schedule = large_case(2500)
    started = time.perf_counter()
    found = validate_schedule(scenario, schedule)
    elapsed = time.perf_counter() - started
    assert found == []
    if LONG:  # a measurement: meaningful on a quiet machine only (tests/long_run.py)
        assert elapsed < 2.0, f"validation took {elapsed:.2f}s"
