"""Message texts from the version diff: each line says what changed, in names (activities,
rooms, sites, dates), and a partner never reads a student as both arriving and leaving."""

from __future__ import annotations

import sys

sys.path.insert(0, "tests/domain")

from factories import (  # noqa: E402
    activity,
    make_scenario,
    placement,
    session,
    session_entry,
    site,
    slot,
    team,
)

from scheduler.domain.diff import diff_schedules, slot_sites  # noqa: E402
from scheduler.domain.schedule import Schedule  # noqa: E402
from scheduler.services.outbox import MessageTexts, site_changes  # noqa: E402

SCENARIO = make_scenario(
    rooms=[{"id": "R1", "name": "Simulation Lab"}, {"id": "R2", "name": "Lecture Hall B"}],
    activities=[
        activity(
            sessions=[
                session("S1", "2027-02-03T13:00", "2027-02-03T15:00", room="R1"),
                session("S2", "2027-02-10T13:00", "2027-02-10T15:00", room="R1"),
                session("S3", "2027-02-03T13:00", "2027-02-03T15:00", room="R2"),
            ]
        )
    ],
    sites=[site("H1", name="Beacon Hospital"), site("H2", name="Harbour Clinic")],
    periods=[
        {"id": "P1", "start": "2027-03-01", "end": "2027-03-12"},
        {"id": "P2", "start": "2027-03-15", "end": "2027-03-26"},
    ],
    slots=[
        slot("L1", site="H1", period="P1"),
        slot("L2", site="H1", period="P2"),
        slot("L3", site="H2", period="P1"),
    ],
)
BEFORE = Schedule.model_validate(
    {
        "term": "T1",
        "status": "feasible",
        "sessions": [
            session_entry("S1", team("t1", "n1", "p1"), team("t2", "n2", "p2")),
        ],
        "placements": [placement("n1", "L1"), placement("n2", "L1")],
    }
)


def after(sessions, placements) -> Schedule:
    return Schedule.model_validate(
        {"term": "T1", "status": "feasible", "sessions": sessions, "placements": placements}
    )


def student_lines(new: Schedule, student: str) -> list[str]:
    diff = diff_schedules(BEFORE, new, sites_of=slot_sites(SCENARIO))
    texts = MessageTexts(SCENARIO, "Winter 2027", first=False)
    body = texts.student_body(student, diff.for_student(student))
    return [line for line in body.splitlines() if line.startswith("- ")]


def partner_lines(new: Schedule, site_id: str) -> list[str]:
    diff = diff_schedules(BEFORE, new, sites_of=slot_sites(SCENARIO))
    texts = MessageTexts(SCENARIO, "Winter 2027", first=False)
    changes = site_changes(diff, slot_sites(SCENARIO))[site_id]
    body = texts.partner_body(site_id, changes)
    return [line for line in body.splitlines() if line[:2] in ("+ ", "- ", "~ ")]


def test_a_move_within_a_site_names_the_new_and_old_dates_not_the_site_twice():
    new = after(BEFORE.sessions, [placement("n1", "L2"), placement("n2", "L1")])
    [line] = student_lines(new, "n1")
    assert "Beacon Hospital" in line
    assert line.count("Beacon Hospital") == 1
    assert "Mon 15 Mar to Fri 26 Mar 2027" in line and "Mon 01 Mar to Fri 12 Mar 2027" in line
    assert line.index("Mon 01 Mar") < line.index("Mon 15 Mar"), "from the old to the new dates"


def test_a_move_between_sites_in_one_period_names_both_sites():
    new = after(BEFORE.sessions, [placement("n1", "L3"), placement("n2", "L1")])
    [line] = student_lines(new, "n1")
    assert "from Beacon Hospital to Harbour Clinic" in line
    assert "Mon 01 Mar to Fri 12 Mar 2027" in line


def test_a_team_change_is_told_to_the_student():
    new = after(
        [session_entry("S1", team("t1", "n1", "p2"), team("t2", "n2", "p1"))], BEFORE.placements
    )
    lines = student_lines(new, "p1")
    assert lines == [
        "- Activity A1, Wed 03 Feb 2027, 13:00-15:00 in room Simulation Lab: "
        "you are now in team t2 (was team t1)"
    ]
    assert diff_schedules(BEFORE, new).changes == 0, "a team change is not a stability change"


def test_a_room_change_names_both_rooms_and_keeps_the_time():
    new = after(
        [
            session_entry("S3", team("t1", "n1", "p1")),
            session_entry("S1", team("t2", "n2", "p2")),
        ],
        BEFORE.placements,
    )
    [line] = student_lines(new, "n1")
    assert "in room Lecture Hall B (was Simulation Lab)" in line
    assert "moves from" not in line, "same time: only the room changed"
    assert "R2" not in line and "R1" not in line, "rooms by name, never by id"


def test_a_session_move_says_the_new_time_and_team():
    new = after(
        [
            session_entry("S2", team("t5", "n1", "p1")),
            session_entry("S1", team("t2", "n2", "p2")),
        ],
        BEFORE.placements,
    )
    [line] = student_lines(new, "n1")
    assert "moves from Wed 03 Feb 2027, 13:00-15:00 to Wed 10 Feb 2027, 13:00-15:00" in line
    assert "still in room Simulation Lab" in line and "team t5 (was team t1)" in line


def test_additions_and_drops():
    new = after(
        [session_entry("S1", team("t1", "n1", "p1", "n2"))],
        [placement("n1", "L1"), placement("p2", "L3")],
    )
    assert student_lines(new, "p2") == [
        "- Activity A1: you no longer attend Wed 03 Feb 2027, 13:00-15:00 in room Simulation Lab",
        "- Placement: Harbour Clinic, Mon 01 Mar to Fri 12 Mar 2027",
    ]
    [dropped] = [line for line in student_lines(new, "n2") if "Placement" in line]
    assert dropped == (
        "- Placement: you are no longer placed at Beacon Hospital, Mon 01 Mar to Fri 12 Mar 2027"
    )


def test_a_partner_reads_a_student_moved_inside_the_site_once():
    new = after(BEFORE.sessions, [placement("n1", "L2"), placement("n2", "L1")])
    lines = partner_lines(new, "H1")
    assert lines == [
        "~ Student n1 (NURS): now Mon 15 Mar to Fri 26 Mar 2027 (was Mon 01 Mar to Fri 12 Mar 2027)"
    ]


def test_partners_of_both_sites_read_a_move_between_them_as_leaving_and_arriving():
    new = after(BEFORE.sessions, [placement("n1", "L3"), placement("n2", "L1")])
    assert partner_lines(new, "H1") == [
        "- Student n1 (NURS), Mon 01 Mar to Fri 12 Mar 2027 (no longer placed)"
    ]
    assert partner_lines(new, "H2") == ["+ Student n1 (NURS), Mon 01 Mar to Fri 12 Mar 2027 (new)"]


def test_a_site_address_is_shown_when_the_term_gives_one():
    texts = MessageTexts(SCENARIO, "Winter 2027", first=True)
    assert texts.site_label("H1") == "Beacon Hospital"
    with_address = SCENARIO.model_copy(
        update={
            "sites": [
                SCENARIO.sites[0].model_copy(update={"address": "5 Quay Street"}),
                SCENARIO.sites[1],
            ]
        }
    )
    texts = MessageTexts(with_address, "Winter 2027", first=False)
    new = after(BEFORE.sessions, [placement("n1", "L2"), placement("n2", "L1")])
    diff = diff_schedules(BEFORE, new, sites_of=slot_sites(with_address))
    body = texts.student_body("n1", diff.for_student("n1"))
    assert "Beacon Hospital (5 Quay Street)" in body
    partner = texts.partner_body("H1", site_changes(diff, slot_sites(with_address))["H1"])
    assert "placed at Beacon Hospital (5 Quay Street)" in partner
