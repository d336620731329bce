"""Placement bounds follow the clash rule of the contract, whatever the periods look like.

A placement occupies its period's weekly windows on every date of the period: a period
without weekly hours occupies no time (several placements in it never clash), and two
distinct periods whose hours overlap clash like one. The flow relaxation behind every
bound must see both: a cap of one placement per period made a false `optimal` on
placements-only terms without weekly hours, and ignoring overlapping periods gave bounds
of "everything". Each case compares with an exhaustive count on a tiny term.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations, product

from factories import site, slot, student, weekly
from solver_helpers import level, placements_only, solve_valid

from scheduler.domain.scenario import Scenario
from solver.bounds import TermBounds
from solver.prepare import prepare

TUESDAY = [weekly("tue", "08:00", "16:00")]


def _period(period_id: str, start: str, end: str, hours: list) -> dict:
    return {"id": period_id, "start": start, "end": end, "weekly": hours}


def _term(periods: list[dict], students: int, count: int, sites: int = 3) -> Scenario:
    """`students` nurses needing `count` placements; one seat per site and period."""
    return placements_only(
        students=[student(f"n{i}") for i in range(students)],
        sites=[site(f"H{k}", lat=45.0 + k / 100) for k in range(sites)],
        periods=periods,
        slots=[
            slot(f"L{k}-{p['id']}", site=f"H{k}", period=p["id"], capacity=1)
            for k in range(sites)
            for p in periods
        ],
        placement_requirements=[{"profession": "NURS", "count": count, "tags": {}}],
    )


def _periods_clash(scenario: Scenario, first: str, second: str) -> bool:
    """The contract's rule, written out: on some date of both periods, a weekly window of
    each falls on that weekday and the two overlap by more than zero minutes."""
    a, b = (next(p for p in scenario.periods if p.id == i) for i in (first, second))
    day = max(a.start, b.start)
    while day <= min(a.end, b.end):
        weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.weekday()]
        for x, y in product(a.weekly, b.weekly):
            if x.day == y.day == weekday and x.start < y.end and y.start < x.end:
                return True
        day += timedelta(days=1)
    return False


def clash_free_placements(scenario: Scenario, held: list[str]) -> bool:
    period = {s.id: s.period for s in scenario.slots}
    return not any(_periods_clash(scenario, period[x], period[y]) for x, y in combinations(held, 2))


def _most_placements(scenario: Scenario) -> int:
    """Exhaustive optimum: every way to give each student a clash-free set of seats."""
    best = 0
    per_student = [
        [
            held
            for size in range(len(scenario.slots) + 1)
            for held in combinations([s.id for s in scenario.slots], size)
            if size <= scenario.placement_requirements[0].count
            and clash_free_placements(scenario, list(held))
        ]
        for _ in scenario.students
    ]
    for choice in product(*per_student):
        seats = [s for held in choice for s in held]
        if len(seats) == len(set(seats)):
            best = max(best, len(seats))
    return best


def _coverage_bound(scenario: Scenario) -> int:
    return TermBounds.of(prepare(scenario), 0).coverage()


def test_periods_without_hours_take_several_placements() -> None:
    scenario = _term([_period("P1", "2027-03-01", "2027-03-26", [])], students=2, count=3)
    truth = _most_placements(scenario)
    assert truth == 3
    assert _coverage_bound(scenario) >= truth
    schedule = solve_valid(scenario)
    assert level(schedule, "coverage").value == truth
    assert level(schedule, "coverage").bound >= truth


def test_overlapping_periods_cap_the_bound_at_what_one_student_can_hold() -> None:
    periods = [
        _period("P1", "2027-03-01", "2027-03-12", TUESDAY),
        _period("P2", "2027-03-08", "2027-03-19", TUESDAY),  # overlaps P1
        _period("P3", "2027-03-22", "2027-04-02", TUESDAY),
    ]
    scenario = _term(periods, students=2, count=3)
    truth = _most_placements(scenario)
    assert truth == 4  # each student: P1 or P2, and P3
    assert _coverage_bound(scenario) == truth
    schedule = solve_valid(scenario)
    assert schedule.status == "optimal"
    assert level(schedule, "coverage").value == truth


def test_touching_and_nested_periods() -> None:
    periods = [
        _period("P1", "2027-03-01", "2027-03-31", TUESDAY),
        _period("P2", "2027-03-08", "2027-03-12", TUESDAY),  # inside P1
        _period("P3", "2027-04-01", "2027-04-09", []),  # no hours
        _period("P4", "2027-04-01", "2027-04-30", [weekly("wed", "08:00", "12:00")]),
    ]
    scenario = _term(periods, students=2, count=4, sites=2)
    truth = _most_placements(scenario)
    bound = _coverage_bound(scenario)
    assert truth <= bound
    schedule = solve_valid(scenario)
    assert level(schedule, "coverage").value == truth
    assert level(schedule, "coverage").bound >= truth


def test_unmet_placements_are_headed_by_the_overlapping_periods() -> None:
    """Seats are free (9 seats, 4 held), so `seats_taken` would mislead: each student's own
    overlapping periods are what keeps their third placement out of reach."""
    periods = [
        _period("P1", "2027-03-01", "2027-03-12", TUESDAY),
        _period("P2", "2027-03-08", "2027-03-19", TUESDAY),
        _period("P3", "2027-03-22", "2027-04-02", TUESDAY),
    ]
    schedule = solve_valid(_term(periods, students=2, count=3))
    unmet = [entry for entry in schedule.unassigned if entry.requirement is not None]
    assert len(unmet) == 2
    for entry in unmet:
        assert entry.reasons[0].code == "too_few_periods"
        assert "at most 2 of 3 placements" in entry.reasons[0].message
