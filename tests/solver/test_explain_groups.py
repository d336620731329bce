"""Group causes: many needs that fail for one cause are said once, with their count."""

from __future__ import annotations

from explain_helpers import S1_DAY, S2_DAY, busy_on, gc_only_free_without_nurses, groups
from factories import student
from solver_helpers import ipe_only, placements_only, solve_valid


def test_students_free_only_without_a_required_partner_form_one_group():
    schedule = solve_valid(gc_only_free_without_nurses())
    (group,) = groups(schedule)
    assert group["needs"] == 3
    assert group["professions"] == {"GC": 3}
    assert group["code"] == "partner_unavailable"
    assert group["message"] == (
        "3 GC students (3 needs of A1): free only at sessions of A1 where no NURS student is "
        "free, and every team needs 1 NURS"
    )
    assert {"A1", "S2", "NURS"} <= set(group["related"])
    assert group["sample"] == ["g1", "g2", "g3"]


def test_seats_taken_in_one_period_form_one_group_with_the_seat_count():
    students = [student(f"n{i}") for i in range(1, 6)]
    schedule = solve_valid(placements_only(students=students))
    (group,) = groups(schedule)
    assert group["needs"] == 3
    assert group["code"] == "capacity_taken"
    assert "all 2 NURS seats in P1 they are eligible for (L1) are taken" in group["message"]


def test_one_cause_across_professions_is_one_group_with_the_mix():
    everyone_busy = busy_on(S1_DAY)["unavailable"] + busy_on(S2_DAY)["unavailable"]
    students = [
        student("n1", unavailable=everyone_busy),
        student("p1", "PT", unavailable=everyone_busy),
    ]
    students += [student("n2"), student("p2", "PT")]
    schedule = solve_valid(ipe_only(students=students))
    (group,) = groups(schedule)
    assert group["needs"] == 2
    assert group["professions"] == {"NURS": 1, "PT": 1}
    assert group["message"].startswith("2 students (1 NURS, 1 PT) (2 needs of A1): ")
    assert "their own busy time blocks S1, S2" in group["message"]


def test_nothing_unmet_means_no_group():
    schedule = solve_valid(ipe_only())
    assert schedule.metrics["explanations"] == {"unmet": 0, "groups": [], "conflicts": []}
