"""Rules 1 and 2 for sessions: one session per activity, never while the student is busy."""

from __future__ import annotations

from factories import activity, interval, session, student, weekly
from solver_helpers import (
    activity_reasons,
    assert_proven,
    attendees,
    ipe_only,
    solve_valid,
)

S1_DAY, S2_DAY = "2027-02-03", "2027-02-10"
STUDENTS = ["n1", "n2", "p1", "p2"]


def attended_sessions(schedule, student_id: str) -> list[str]:
    return [e.session for e in schedule.sessions for t in e.teams if student_id in t.students]


def test_every_student_attends_exactly_one_session_of_the_activity():
    schedule = solve_valid(ipe_only())
    assert all(len(attended_sessions(schedule, s)) == 1 for s in STUDENTS)
    assert schedule.unassigned == []
    assert_proven(schedule, "coverage", 4)


def test_personal_busy_interval_keeps_student_out_of_that_session():
    busy = [interval(f"{S1_DAY}T14:00", f"{S1_DAY}T14:30")]
    students = [
        student("n1", unavailable=busy),
        student("n2"),
        student("p1", "PT"),
        student("p2", "PT"),
    ]
    schedule = solve_valid(ipe_only(students=students))
    assert "n1" not in attendees(schedule, "S1")
    assert "n1" in attendees(schedule, "S2")
    assert_proven(schedule, "coverage", 4)


def test_weekly_busy_window_keeps_student_out_of_every_matching_session():
    busy = [weekly("wed", "14:30", "16:00")]
    students = [student("n1", weekly_unavailable=busy), student("p1", "PT")]
    schedule = solve_valid(ipe_only(students=students))
    assert attended_sessions(schedule, "n1") == []
    assert activity_reasons(schedule, "n1") == ["no_free_session"]
    assert_proven(schedule, "coverage", 0)


def test_program_calendar_keeps_its_profession_out_of_the_session():
    calendar = {"profession": "PT", "unavailable": [interval(f"{S2_DAY}T08:00", f"{S2_DAY}T18:00")]}
    schedule = solve_valid(ipe_only(program_calendars=[calendar]))
    assert attendees(schedule, "S2") & {"p1", "p2"} == set()
    assert {"p1", "p2"} <= attendees(schedule, "S1")
    assert_proven(schedule, "coverage", 4)


def test_student_busy_at_every_session_is_unassigned_with_no_free_session():
    busy = [interval(f"{day}T12:00", f"{day}T13:30") for day in (S1_DAY, S2_DAY)]
    students = [
        student("n1", unavailable=busy),
        student("n2"),
        student("p1", "PT"),
        student("p2", "PT"),
    ]
    schedule = solve_valid(ipe_only(students=students))
    assert attended_sessions(schedule, "n1") == []
    assert activity_reasons(schedule, "n1") == ["no_free_session"]
    assert [u.student for u in schedule.unassigned] == ["n1"]
    assert_proven(schedule, "coverage", 3)


def test_busy_interval_touching_the_session_does_not_block_it():
    touching = [
        interval(f"{S1_DAY}T11:00", f"{S1_DAY}T13:00"),
        interval(f"{S1_DAY}T15:00", f"{S1_DAY}T17:00"),
        interval(f"{S2_DAY}T12:00", f"{S2_DAY}T14:00"),
    ]
    students = [student("n1", unavailable=touching), student("p1", "PT")]
    schedule = solve_valid(ipe_only(students=students))
    assert attended_sessions(schedule, "n1") == ["S1"]
    assert_proven(schedule, "coverage", 2)


def test_weekly_window_touching_the_session_does_not_block_it():
    students = [
        student("n1", weekly_unavailable=[weekly("wed", "15:00", "16:00")]),
        student("p1", "PT"),
    ]
    schedule = solve_valid(ipe_only(students=students))
    assert len(attended_sessions(schedule, "n1")) == 1
    assert_proven(schedule, "coverage", 2)


def test_student_never_attends_two_overlapping_sessions_of_different_activities():
    a1 = activity(
        "A1",
        teams_per_facilitator=0,
        sessions=[session("S1", f"{S1_DAY}T13:00", f"{S1_DAY}T15:00")],
    )
    a2 = activity(
        "A2",
        teams_per_facilitator=0,
        sessions=[session("S3", f"{S1_DAY}T14:00", f"{S1_DAY}T16:00", room="R2")],
    )
    rooms = [{"id": "R1", "name": "Room 1"}, {"id": "R2", "name": "Room 2"}]
    students = [student("n1"), student("p1", "PT")]
    schedule = solve_valid(ipe_only(activities=[a1, a2], rooms=rooms, students=students))
    assert len(attended_sessions(schedule, "n1")) == 1
    assert_proven(schedule, "coverage", 2)
