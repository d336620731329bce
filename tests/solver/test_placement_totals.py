"""The grouped flow network for bounds gives exactly the per-slot network's optimal values.

`PlacementTotals` merges a student's slots of one (site, period, language, profession)
into one arc; every bound query must return the same number as over `PlacementNetwork`
(flow value, least rank, least travel, least worst travel), with tag-aware routing and
with option filters that leave a student only part of a group.
"""

from __future__ import annotations

from pathlib import Path

import factories
import pytest
from solver_helpers import placements_only

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


def _plan_is_valid(prep: Prepared, chosen: dict[str, list[str]]) -> None:
    """Each holder eligible, one seat per period, no slot over capacity."""
    capacity = {s.id: s.capacity for s in prep.scenario.slots}
    held: dict[str, int] = {}
    for student, slots in chosen.items():
        options = {o.slot: o for o in prep.students[student].all_options}
        assert set(slots) <= set(options), student
        periods = [options[s].period for s in slots]
        assert len(periods) == len(set(periods)), student
        assert len(slots) <= prep.students[student].count
        for slot in slots:
            held[slot] = held.get(slot, 0) + 1
    assert all(count <= capacity[slot] for slot, count in held.items())


@pytest.mark.parametrize("options_of", [None, _every_third_slot_dropped])
def test_grouped_plans_name_valid_seats_at_the_per_slot_optimum(
    prep: Prepared, options_of: object
) -> None:
    """Students routed into a slot group are dealt that group's seats: the plan is valid
    and as good as the per-slot network's."""
    slotwise = PlacementNetwork(prep, options_of=options_of)  # type: ignore[arg-type]
    grouped = PlacementTotals(prep, options_of=options_of)  # type: ignore[arg-type]
    a = slotwise.solve(rank_weight=slotwise.rank_weight, travel_weight=1)
    b = grouped.solve(rank_weight=grouped.rank_weight, travel_weight=1)
    assert (b.placements, b.rank, b.travel) == (a.placements, a.rank, a.travel)
    assert sum(map(len, b.chosen.values())) == b.placements
    _plan_is_valid(prep, b.chosen)


def _periods_held(prep: Prepared, chosen: dict[str, list[str]], avoid: dict) -> int:
    period = {s.id: s.period for s in prep.scenario.slots}
    return sum(period[s] in avoid.get(st, ()) for st, slots in chosen.items() for s in slots)


def test_avoided_periods_are_held_least_without_losing_placements(prep: Prepared) -> None:
    """`avoid` moves placements out of the avoided periods wherever another seat exists;
    the number of placements stays the maximum."""
    network = PlacementTotals(prep)
    periods = sorted({s.period for s in prep.scenario.slots})
    avoid = {sid: frozenset(periods[:1]) for sid in list(prep.students)[::2]}
    plain = network.solve(rank_weight=network.rank_weight, travel_weight=1)
    avoiding = network.solve(rank_weight=network.rank_weight, travel_weight=1, avoid=avoid)
    assert avoiding.placements == plain.placements
    assert _periods_held(prep, avoiding.chosen, avoid) < _periods_held(prep, plain.chosen, avoid)
    assert avoiding.rank >= plain.rank  # rank gave way to avoiding, never the reverse
    _plan_is_valid(prep, avoiding.chosen)


def test_closed_seats_are_never_used(prep: Prepared) -> None:
    network = PlacementTotals(prep)
    plain = network.solve(rank_weight=network.rank_weight, travel_weight=1)
    site_of = {s.id: s.site for s in prep.scenario.slots}
    closed = {}
    for student, slots in list(plain.chosen.items())[:20]:
        sites = {site_of[s] for s in slots}  # a whole site closes whole slot groups
        closed[student] = {o.slot for o in prep.students[student].all_options if o.site in sites}
    plan = network.solve(rank_weight=network.rank_weight, travel_weight=1, closed=closed)
    for student, slots in closed.items():
        assert not set(plan.chosen.get(student, ())) & slots
    _plan_is_valid(prep, plan.chosen)


def test_a_student_gets_at_most_one_placement_per_period_in_the_tag_aware_bound() -> None:
    """n1 needs two placements, one underserved, and has seats in one period only: one
    tagged and one untagged. The tag-aware split gives that period a tagged and an untagged
    node, so without the cap at the number of periods the bound would count two."""
    period = {
        "id": "P1",
        "start": "2027-03-01",
        "end": "2027-03-26",
        "weekly": [factories.weekly("mon", "08:00", "16:00")],
    }
    scenario = placements_only(
        students=[factories.student("n1", site_preferences=["H1", "H2"])],
        sites=[factories.site("H1"), factories.site("H2", 45.2, -75.2, tags=["underserved"])],
        periods=[period],
        slots=[factories.slot("L1"), factories.slot("L2", site="H2")],
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {"underserved": 1}}],
    )
    prep = prepare(scenario)
    for tag_aware in (False, True):
        network = PlacementTotals(prep, tag_aware=tag_aware)
        assert network.max_placements() == 1
        assert network.totals(rank_weight=1, travel_weight=0).rank == 1  # H1, ranked first
