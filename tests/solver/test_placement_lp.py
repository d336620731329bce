"""Placements re-chosen by LP around fixed sessions (`solver.placement_lp`).

The LP keeps every placement rule exactly (tag minimums included), holds at least the
plan's placements at no worse rank sum, stays within each student's allowed options, and
rounds a fractional optimum exactly in the seats the integral students leave."""

from __future__ import annotations

import time
from collections import Counter

from factories import site, slot, student, weekly
from solver_helpers import placements_only

from scheduler.domain.scenario import Scenario
from scheduler.synthetic import generate_term
from solver.options import options_among, without_periods
from solver.placement_flow import flow_plan
from solver.placement_lp import Column, lp_placements, rounded
from solver.placement_lp import _columns as lp_columns
from solver.placement_repair import repair_placements
from solver.prepare import Prepared, StudentInfo, prepare
from solver.relaxation import PlacementTotals


def _all(info: StudentInfo) -> list:
    return list(info.all_options)


def _rank(prep: Prepared, chosen: dict[str, list[str]]) -> int:
    return sum(
        o.rank
        for holder, slots in chosen.items()
        for o in options_among(prep.students[holder].all_options, slots).values()
    )


def _assert_valid(prep: Prepared, chosen: dict[str, list[str]], options_of=_all) -> None:
    """Each slot an allowed option, capacities, one placement per clashing period pair,
    the count, and the tag minimums of every student holding all placements."""
    capacity = {s.id: s.capacity for s in prep.scenario.slots}
    used = Counter(slot_id for slots in chosen.values() for slot_id in slots)
    assert all(used[s] <= capacity[s] for s in used)
    for holder, slots in chosen.items():
        info = prep.students[holder]
        allowed = {o.slot: o for o in options_of(info)}
        assert set(slots) <= set(allowed), holder
        assert len(slots) <= info.count
        periods = [allowed[s].period for s in slots]
        for i, first in enumerate(periods):
            for second in periods[i + 1 :]:
                assert frozenset({first, second}) not in prep.period_clashes, holder
        if info.requirement is not None and len(slots) == info.count:
            for tag, least in info.requirement.tags.items():
                assert sum(tag in allowed[s].tags for s in slots) >= least, holder


def _repaired_flow(prep: Prepared, options_of=None) -> dict[str, list[str]]:
    """Flow placements without tag rounds, made valid by the repair: a weak plan."""
    network = PlacementTotals(prep, options_of=options_of)
    plan = flow_plan(prep, network, rounds=0, options_of=options_of)
    return repair_placements(prep, plan.chosen, options_of=options_of)


def test_the_lp_keeps_the_placements_at_a_lower_rank_sum() -> None:
    prep = prepare(generate_term(students=600, seed=5))
    plan = _repaired_flow(prep)
    _assert_valid(prep, plan)
    chosen = lp_placements(prep, plan, _all)
    assert chosen is not None
    _assert_valid(prep, chosen)
    held = sum(len(slots) for slots in chosen.values())
    assert held >= sum(len(slots) for slots in plan.values())
    assert _rank(prep, chosen) < _rank(prep, plan)


def test_the_lp_stays_within_each_students_allowed_options() -> None:
    prep = prepare(generate_term(students=400, seed=7))
    first_period = prep.scenario.periods[0].id
    barred = {s.id for i, s in enumerate(prep.scenario.students) if i % 2}

    def allowed(info: StudentInfo):
        blocked = {first_period} if info.id in barred else set()
        return list(without_periods(info.all_options, blocked))

    plan = _repaired_flow(prep, allowed)
    chosen = lp_placements(prep, plan, allowed)
    assert chosen is not None
    _assert_valid(prep, chosen, allowed)
    assert any(holder in barred for holder in chosen)
    assert sum(len(s) for s in chosen.values()) >= sum(len(s) for s in plan.values())


def test_a_passed_deadline_gives_nothing() -> None:
    prep = prepare(generate_term(students=150, seed=3))
    plan = _repaired_flow(prep)
    assert lp_placements(prep, plan, _all, deadline=time.monotonic() - 1) is None


def _two_students_two_seats() -> Prepared:
    """s1 and s2 each need one placement; both rank site H1 (slot A, one seat) first and
    H2 (slot B, one seat) second."""
    period = {
        "id": "P1",
        "start": "2027-03-01",
        "end": "2027-03-26",
        "weekly": [weekly("mon", "08:00", "16:00")],
    }
    scenario: Scenario = placements_only(
        students=[student(s, site_preferences=["H1", "H2"]) for s in ("s1", "s2")],
        sites=[site("H1"), site("H2", 45.2, -75.2)],
        periods=[period],
        slots=[slot("A", capacity=1), slot("B", site="H2", capacity=1)],
        placement_requirements=[{"profession": "NURS", "count": 1}],
    )
    return prepare(scenario)


def _columns(prep: Prepared) -> list[list[Column]]:
    return [
        [Column(sid, o, (o.slot,)) for o in sorted(prep.students[sid].all_options)]
        for sid in ("s1", "s2")
    ]


def test_fractional_students_are_placed_exactly() -> None:
    """Both half at A and half at B: the rounding seats one at each, nobody twice."""
    prep = _two_students_two_seats()
    chosen = rounded(prep, _columns(prep), [0.5, 0.5, 0.5, 0.5], needed=2)
    assert chosen is not None
    assert sorted(slot_id for slots in chosen.values() for slot_id in slots) == ["A", "B"]


def test_the_rounding_uses_only_the_seats_integral_students_leave() -> None:
    """s1 holds A outright; s2, fractional, can only have B."""
    prep = _two_students_two_seats()
    chosen = rounded(prep, _columns(prep), [1.0, 0.0, 0.5, 0.5], needed=2)
    assert chosen == {"s1": ["A"], "s2": ["B"]}


def test_a_rounding_short_of_the_plan_gives_nothing() -> None:
    prep = _two_students_two_seats()
    assert rounded(prep, _columns(prep), [0.5, 0.5, 0.5, 0.5], needed=3) is None


def test_students_may_move_to_near_unranked_seats_they_do_not_hold() -> None:
    """Room to free a ranked seat for someone else: each student's columns hold unranked
    seats beyond their own, whole slot groups in one column."""
    prep = prepare(generate_term(students=400, seed=7))
    plan = _repaired_flow(prep)
    columns = lp_columns(prep, plan, _all)
    spare = 0
    for mine in columns:
        info = prep.students[mine[0].student]
        worst = max(o.rank for o in info.all_options)
        held = set(plan.get(info.id, ()))
        spare += any(c.option.rank == worst and not held & set(c.seats) for c in mine)
    assert spare > len(columns) // 2
    assert any(len(c.seats) > 1 for mine in columns for c in mine)
