"""The lexicographic driver: later levels never cost an earlier one; the policy sets the order
and the levels reported."""

from __future__ import annotations

from factories import student
from solver_helpers import (
    MONDAY,
    assert_proven,
    clash_term,
    level,
    make_scenario,
    placed,
    solve_valid,
)

CLASH_OBJECTIVES = ["coverage", "preferences"]


def reordered(objectives: list[str]):
    """The one-nurse clash term with the policy's objective levels replaced."""
    return clash_term(MONDAY, nurses=1, policy={"objectives": objectives})


def test_preferences_never_improve_at_the_cost_of_coverage():
    schedule = solve_valid(reordered(CLASH_OBJECTIVES))
    assert_proven(schedule, "coverage", 3)
    assert_proven(schedule, "preferences", 2)


def test_preferences_first_drops_every_placement_and_keeps_the_sessions():
    schedule = solve_valid(reordered(["preferences", "coverage"]))
    assert [o.name for o in schedule.objectives] == ["preferences", "coverage"]
    assert_proven(schedule, "preferences", 0)
    assert_proven(schedule, "coverage", 2)
    assert schedule.placements == []


def test_dropped_levels_are_not_reported():
    schedule = solve_valid(reordered(["coverage"]))
    assert [o.name for o in schedule.objectives] == ["coverage"]
    assert_proven(schedule, "coverage", 3)


def test_levels_are_reported_in_policy_order():
    schedule = solve_valid(reordered(["travel_total", "coverage", "team_balance"]))
    assert [o.name for o in schedule.objectives] == ["travel_total", "coverage", "team_balance"]
    assert level(schedule, "coverage").value == 3


def test_coverage_first_places_everyone_preferences_first_places_nobody():
    base = {"students": [student("n1"), student("n2")], "activities": []}
    default = solve_valid(make_scenario(**base))
    assert placed(default) == {"n1", "n2"}
    flipped = solve_valid(make_scenario(**base, policy={"objectives": ["preferences", "coverage"]}))
    assert flipped.placements == []
    assert_proven(flipped, "coverage", 0)


def test_the_warm_start_is_reported_before_the_first_level_ends() -> None:
    """A complete schedule exists once the warm start is built: a progress event says so
    before the coverage level's own (here the start already reaches the bound, so the
    level needs no search and would otherwise be the first word)."""
    from scheduler.synthetic import generate_term
    from solver import SolveOptions, solve

    events: list = []
    solve(
        generate_term(students=120, seed=4),
        options=SolveOptions(time_limit_s=3, workers=1),
        on_progress=events.append,
    )
    coverage = [e for e in events if e.level == "coverage"]
    assert len(coverage) >= 2
    first = coverage[0]
    assert first.value <= first.bound
    assert events[0] is first


def test_the_first_draft_is_reported_before_the_slower_drafts(monkeypatch) -> None:  # noqa: ANN001
    """The LP draft takes seconds on large terms: the first complete draft's coverage is
    reported before it starts, against the bound the drafts know."""
    import solver.warm as warm
    from scheduler.synthetic import generate_term
    from solver import SolveOptions, solve

    events: list = []
    seen_before_lp: list[int] = []
    lp_draft = warm._lp_draft

    def watched(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen_before_lp.append(len(events))
        return lp_draft(*args, **kwargs)

    monkeypatch.setattr(warm, "_lp_draft", watched)
    solve(
        generate_term(students=120, seed=4),
        options=SolveOptions(time_limit_s=3, workers=1),
        on_progress=events.append,
    )
    assert seen_before_lp and seen_before_lp[0] >= 1
    first = events[0]
    assert first.level == "coverage" and 0 < first.value <= first.bound
