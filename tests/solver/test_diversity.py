"""The diversity levels (extension): `distinct_sites` and `distinct_tags` spread students
over wards and specialities, history included, with values the validator recomputes and
bounds that hold (here proven on hand-built terms)."""

from __future__ import annotations

from factories import site, slot, student
from solver_helpers import assert_proven, level, solve_valid
from weekly_factories import MON_TUE, ward_term

from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import objective_values

THREE_BLOCKS = [
    {"id": f"B{i}", "start": start, "end": end, "weekly": MON_TUE}
    for i, (start, end) in enumerate(
        [("2027-03-01", "2027-03-05"), ("2027-03-08", "2027-03-12"), ("2027-03-15", "2027-03-19")]
    )
]


def _wards(objectives: list[str], history: list[dict] | None = None) -> Scenario:
    """One student, three weekly blocks, wards W1 (peds) and W2 (surgery) of H1 open in
    every block; W1 is ranked first (site preference is per site, so a tie): diversity
    is the only reason to use both wards."""
    units = [
        {"id": "W1", "name": "Ward 1", "tags": ["peds"]},
        {"id": "W2", "name": "Ward 2", "tags": ["surgery"]},
    ]
    slots = [
        slot(f"{ward}-{block['id']}", unit=ward, period=block["id"], capacity=1)
        for ward in ("W1", "W2")
        for block in THREE_BLOCKS
    ]
    return ward_term(
        students=[student("n1", history=history or [])],
        sites=[site("H1", units=units, tags=[])],
        periods=THREE_BLOCKS,
        slots=slots,
        placement_requirements=[{"profession": "NURS", "count": 3, "tags": {}}],
        policy={"objectives": ["coverage", *objectives]},
    )


def test_distinct_sites_uses_both_wards() -> None:
    schedule = solve_valid(_wards(["distinct_sites"]))
    assert_proven(schedule, "coverage", 3.0)
    assert_proven(schedule, "distinct_sites", 2.0)


def test_distinct_tags_counts_unit_tags() -> None:
    schedule = solve_valid(_wards(["distinct_tags"]))
    assert_proven(schedule, "distinct_tags", 2.0)


def test_history_counts_toward_both_levels() -> None:
    earlier = [
        {"site": "H1", "unit": "W1", "tags": ["peds"], "start": "2026-01-04", "end": "2026-02-01"},
        {"site": "H9", "tags": ["mental-health"], "start": "2026-03-01", "end": "2026-04-01"},
    ]
    schedule = solve_valid(_wards(["distinct_sites", "distinct_tags"], history=earlier))
    # H1/W1 and H9 before; W2 is the one new place: 3. Tags: peds, mental-health, surgery.
    assert_proven(schedule, "distinct_sites", 3.0)
    assert_proven(schedule, "distinct_tags", 3.0)


def test_values_are_the_validators() -> None:
    scenario = _wards(["distinct_sites", "distinct_tags"])
    schedule = solve_valid(scenario)
    recomputed = objective_values(scenario, schedule)
    for name in ("distinct_sites", "distinct_tags"):
        assert level(schedule, name).value == recomputed[name]


def test_relaxed_bound_is_valid_and_tight_on_small_terms() -> None:
    """The options-only bound (`relaxed_bound`): never below a schedule's value, equal to the
    optimum on the hand terms (each placement adds at most one new ward)."""
    from solver.objectives.diversity import relaxed_bound
    from solver.prepare import prepare

    earlier = [
        {"site": "H1", "unit": "W1", "tags": ["peds"], "start": "2026-01-04", "end": "2026-02-01"}
    ]
    for history, best_sites, best_tags in (([], 2.0, 2.0), (earlier, 2.0, 2.0)):
        scenario = _wards(["distinct_sites", "distinct_tags"], history=history)
        prep = prepare(scenario)
        assert relaxed_bound("distinct_sites", prep, most_placements=3) == best_sites
        assert relaxed_bound("distinct_tags", prep, most_placements=3) == best_tags
        schedule = solve_valid(scenario)
        assert level(schedule, "distinct_sites").value == best_sites
    # fewer placements than new wards: the placements cap it
    assert relaxed_bound("distinct_sites", prepare(_wards([])), most_placements=1) == 1.0
