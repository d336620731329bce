"""The grouped flow network for bounds gives exactly the per-slot network's optimal values.

`PlacementTotals` merges a student's slots of one (site, period, language, profession)
into one arc; every bound query must return the same number as over `PlacementNetwork`
(flow value, least rank, least travel, least worst travel), with tag-aware routing and
with option filters that leave a student only part of a group.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.domain.scenario import Scenario
from scheduler.synthetic import generate_term
from solver.bounds import TermBounds
from solver.prepare import Prepared, StudentInfo, prepare
from solver.relaxation import PlacementNetwork, PlacementTotals

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"


def _every_third_slot_dropped(info: StudentInfo) -> list:
    """A filter that leaves many students only part of a group (per-slot arcs kept)."""
    return [o for i, o in enumerate(info.all_options) if (i + len(info.id)) % 3]


def _scenarios() -> list[tuple[str, Scenario]]:
    cases = [
        (f"{n}/{seed}", generate_term(students=n, seed=seed)) for n, seed in ((150, 3), (400, 7))
    ]
    return [*cases, ("demo", Scenario.model_validate_json(DEMO.read_text()))]


@pytest.fixture(scope="module", params=_scenarios(), ids=lambda case: case[0])
def prep(request: pytest.FixtureRequest) -> Prepared:
    return prepare(request.param[1])


def _same_answers(slotwise: PlacementNetwork, grouped: PlacementTotals) -> None:
    most = slotwise.max_placements()
    assert grouped.total_need == slotwise.total_need
    assert grouped.rank_weight == slotwise.rank_weight
    assert grouped.travel_values() == slotwise.travel_values()
    assert grouped.max_placements() == most
    values = slotwise.travel_values()
    for cap in (values[len(values) // 4], values[len(values) // 2]):
        assert grouped.max_placements(cap) == slotwise.max_placements(cap)
    for needed in (1, most // 2, most):
        assert grouped.least_worst_travel(needed) == slotwise.least_worst_travel(needed)
    cap = values[len(values) // 2]
    for limit in (None, most // 2):
        for max_travel in (None, cap):
            query = {"limit": limit, "max_travel": max_travel}
            a = slotwise.solve(rank_weight=slotwise.rank_weight, travel_weight=1, **query)
            b = grouped.totals(rank_weight=grouped.rank_weight, travel_weight=1, **query)
            assert (b.placements, b.rank, b.travel) == (a.placements, a.rank, a.travel)
            a = slotwise.solve(rank_weight=1, travel_weight=0, **query)
            b = grouped.totals(rank_weight=1, travel_weight=0, **query)
            assert (b.placements, b.rank) == (a.placements, a.rank)
            a = slotwise.solve(rank_weight=0, travel_weight=1, **query)
            b = grouped.totals(rank_weight=0, travel_weight=1, **query)
            assert (b.placements, b.travel) == (a.placements, a.travel)


@pytest.mark.parametrize("tag_aware", [False, True])
def test_grouped_network_gives_the_per_slot_optima(prep: Prepared, tag_aware: bool) -> None:
    slotwise = PlacementNetwork(prep, tag_aware=tag_aware)
    grouped = PlacementTotals(prep, tag_aware=tag_aware)
    assert grouped.arc_count < slotwise.arc_count * 0.6
    assert slotwise.max_placements() > 50
    _same_answers(slotwise, grouped)


def test_partial_groups_keep_per_slot_arcs(prep: Prepared) -> None:
    """With a filter, a student's part of a group is not the group: still the same optima."""
    slotwise = PlacementNetwork(prep, options_of=_every_third_slot_dropped)
    grouped = PlacementTotals(prep, options_of=_every_third_slot_dropped)
    assert grouped.arc_count > PlacementTotals(prep).arc_count  # per-slot arcs were kept
    _same_answers(slotwise, grouped)


def test_term_bounds_equal_the_per_slot_bounds(prep: Prepared) -> None:
    """Every level's bound, over the grouped networks and over the per-slot ones."""
    grouped = TermBounds.of(prep, ipe_best=10)
    per_slot = [PlacementNetwork(prep), PlacementNetwork(prep, tag_aware=True)]
    slotwise = TermBounds(per_slot, 10)  # type: ignore[arg-type]  # same queries
    coverage = grouped.coverage()
    assert coverage == slotwise.coverage()
    for level in (coverage - 5, coverage):
        fixed: dict[str, float] = {"coverage": level}
        for name in ("preferences", "travel_fairness", "travel_total"):
            value = slotwise.bound(name, fixed)
            assert value is not None and value > 0
            assert grouped.bound(name, fixed) == value
            fixed[name] = value
