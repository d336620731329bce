"""The schedule diff: what counts as one change, whom it concerns, and the `stability` value
the validator derives from it (docs/objectives.md)."""

from __future__ import annotations

from factories import make_scenario, placement, session_entry, site, slot, team

from scheduler.domain.checks import check_scenario
from scheduler.domain.diff import changed_assignments, diff_schedules, slot_sites
from scheduler.domain.repair import repair_objectives, with_previous
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values, validate_schedule


def schedule(sessions=(), placements=()) -> Schedule:
    return Schedule.model_validate(
        {
            "term": "T1",
            "status": "feasible",
            "sessions": list(sessions),
            "placements": list(placements),
        }
    )


BEFORE = schedule(
    [session_entry("S1", team("t1", "n1", "p1")), session_entry("S2", team("t1", "n2", "p2"))],
    [placement("n1", "L1"), placement("n2", "L1")],
)


def test_the_same_schedule_has_no_changes():
    diff = diff_schedules(BEFORE, BEFORE)
    assert diff.changes == 0
    assert diff.students == [] and diff.sites == []


def test_a_session_move_is_one_change():
    after = schedule(
        [session_entry("S1", team("t1", "p1")), session_entry("S2", team("t1", "n1", "n2", "p2"))],
        BEFORE.placements,
    )
    diff = diff_schedules(BEFORE, after)
    assert [(c.student, c.kind, c.before, c.after) for c in diff.moved] == [
        ("n1", "moved", "S1", "S2")
    ]
    assert diff.changes == 1 and diff.people_affected == 1


def test_a_new_team_in_the_same_session_is_no_change():
    after = schedule(
        [
            session_entry("S1", team("t9", "p1", "n1")),
            session_entry("S2", team("t1", "n2"), team("t2", "p2")),
        ],
        BEFORE.placements,
    )
    assert diff_schedules(BEFORE, after).changes == 0


def test_additions_and_drops_of_sessions_and_placements():
    after = schedule(
        [session_entry("S1", team("t1", "n1", "p1", "n3"))],
        [placement("n1", "L1"), placement("n3", "L1")],
    )
    diff = diff_schedules(BEFORE, after)
    added = {(c.student, c.need) for c in diff.added}
    dropped = {(c.student, c.need) for c in diff.dropped}
    assert added == {("n3", "session"), ("n3", "placement")}
    assert dropped == {("n2", "session"), ("p2", "session"), ("n2", "placement")}
    assert diff.changes == 5
    assert diff.students == ["n2", "n3", "p2"]


def test_trading_a_slot_for_another_is_one_move_and_touches_both_sites():
    after = schedule(BEFORE.sessions, [placement("n1", "L2"), placement("n2", "L1")])
    sites = [site("H1"), site("H2", 45.2, -75.2)]
    scenario = make_scenario(slots=[slot("L1"), slot("L2", site="H2")], sites=sites)
    diff = diff_schedules(BEFORE, after, sites_of=slot_sites(scenario))
    assert [(c.student, c.kind, c.before, c.after) for c in diff.moved] == [
        ("n1", "moved", "L1", "L2")
    ]
    assert diff.changes == 1
    assert diff.sites == ["H1", "H2"]


def test_nothing_before_makes_everything_an_addition():
    diff = diff_schedules(None, BEFORE)
    assert diff.changes == 6 and not diff.moved and not diff.dropped


def test_changed_assignments_counts_only_the_given_students():
    after = schedule([session_entry("S1", team("t1", "n1", "p1"))], [placement("n1", "L1")])
    assert changed_assignments(BEFORE, after) == 3
    assert changed_assignments(BEFORE, after, ["n1", "n2", "p1"]) == 2


def test_validator_reports_stability_only_with_a_previous_schedule():
    scenario = make_scenario()
    valid = schedule(
        [session_entry("S1", team("t1", "n1", "p1")), session_entry("S2", team("t1", "n2", "p2"))],
        [placement("n1", "L1"), placement("n2", "L1")],
    )
    assert "stability" not in objective_values(scenario, valid)
    moved = schedule(
        [session_entry("S1", team("t1", "n1", "p1", "n2", "p2"))],
        [placement("n1", "L1"), placement("n2", "L1")],
    )
    repaired = with_previous(scenario, valid)
    assert validate_schedule(repaired, moved) == []
    assert objective_values(repaired, moved)["stability"] == 2


def test_repair_puts_stability_right_after_coverage():
    assert repair_objectives(["coverage", "preferences"]) == [
        "coverage",
        "stability",
        "preferences",
    ]
    assert repair_objectives(["preferences"]) == ["stability", "preferences"]
    assert repair_objectives(["stability", "coverage"]) == ["stability", "coverage"]


def test_pins_must_name_a_known_student_and_one_known_session_or_slot():
    scenario = make_scenario(
        policy={
            "pinned": [
                {"student": "zz", "session": "S1"},
                {"student": "n1", "session": "S1", "slot": "L1"},
                {"student": "n1", "slot": "L9"},
            ]
        }
    )
    paths = [e.path for e in check_scenario(scenario)]
    assert paths == ["policy.pinned[0].student", "policy.pinned[1]", "policy.pinned[2].slot"]


def test_validator_flags_a_broken_pin():
    scenario = make_scenario(
        policy={"pinned": [{"student": "n1", "session": "S2"}, {"student": "n2", "slot": "L1"}]}
    )
    valid = schedule(
        [session_entry("S1", team("t1", "n1", "p1")), session_entry("S2", team("t1", "n2", "p2"))],
        [placement("n1", "L1"), placement("n2", "L1")],
    )
    violations = validate_schedule(scenario, valid)
    assert [(v.rule, v.code, v.related) for v in violations] == [(8, "pin_broken", ("n1", "S2"))]
