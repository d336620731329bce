"""Term-wide options and the vectorised flow network equal their plain definitions.

`solver.options` computes every student's eligible slots with numpy and
`solver.relaxation` numbers the flow network with numpy; both must give exactly what a
student-by-student, option-by-option construction gives (same options in the same order,
same travel rounding as the validator, same flows), since later steps and the validator
depend on it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from factories import site, student
from ortools.graph.python import min_cost_flow

from scheduler.domain.geo import haversine_km, travel_between
from scheduler.domain.scenario import Scenario, Site, Student
from scheduler.synthetic import generate_term
from solver.availability import PeriodTime
from solver.options import OptionList, SlotOption, travel_tenths
from solver.prepare import BlockIndex, Prepared, SlotCatalog, _slot_options, prepare
from solver.relaxation import PlacementNetwork, _single_tag


def _reference_options(
    scenario: Scenario, person: Student, period_free: dict[str, bool]
) -> list[SlotOption]:
    """Rules 2 and 6 read literally, one slot at a time in scenario order."""
    sites = {s.id: s for s in scenario.sites}
    ranks = {site_id: i + 1 for i, site_id in enumerate(person.site_preferences)}
    max_km = scenario.policy.max_travel_km
    result = []
    for slot in scenario.slots:
        place = sites[slot.site]
        km = travel_between(person.home, place.location)
        if (
            slot.profession != person.profession
            or slot.status == "declined"
            or slot.capacity <= 0
            or not period_free[slot.period]
            or (slot.language is not None and slot.language not in person.languages)
            or (person.travel_mode == "transit" and not place.transit_accessible)
            or (person.needs_accessible and not place.accessible)
            or (person.home is not None and max_km is not None and km > max_km)
        ):
            continue
        rank = ranks.get(place.id, len(person.site_preferences) + 1)
        result.append(
            SlotOption(slot.id, slot.period, place.id, rank, round(km * 10), frozenset(place.tags))
        )
    return result


def _varied(scenario: Scenario, max_km: float | None) -> Scenario:
    """Every fifth student without a home, every seventh needing access, the given reach."""
    students = [
        s.model_copy(
            update={
                "home": None if i % 5 == 0 else s.home,
                "needs": ["accessible"] if i % 7 == 0 else s.needs,
            }
        )
        for i, s in enumerate(scenario.students)
    ]
    policy = scenario.policy.model_copy(update={"max_travel_km": max_km})
    return scenario.model_copy(update={"students": students, "policy": policy})


@pytest.mark.parametrize(
    "students,seed,max_km", [(120, 1, None), (200, 7, 25.0), (300, 2027, 60.0)]
)
def test_options_equal_the_rules_read_one_slot_at_a_time(
    students: int, seed: int, max_km: float | None
) -> None:
    scenario = _varied(generate_term(students=students, seed=seed), max_km)
    prep = prepare(scenario)
    periods = {p.id: PeriodTime.of(p) for p in scenario.periods}
    blocks = BlockIndex(scenario, {}, periods)
    catalog = SlotCatalog.of(scenario)
    languages = {s.language for s in scenario.slots} - {None}
    assert languages and any(s.home is None for s in scenario.students)
    compared = 0
    for person in scenario.students:
        info = prep.students[person.id]
        if info.count == 0:
            assert len(info.all_options) == 0
            continue
        blocked = blocks.blocked(person)[1]
        period_free = {p.id: p.id not in blocked for p in scenario.periods}
        expected = _reference_options(scenario, person, period_free)
        assert list(info.all_options) == expected, person.id
        assert _slot_options(scenario, person, period_free, catalog) == expected
        assert info.options is info.all_options
        compared += len(expected)
    assert compared > 10 * students


def test_an_option_list_reads_like_a_list() -> None:
    prep = prepare(generate_term(students=40, seed=3))
    options = next(i.all_options for i in prep.students.values() if len(i.all_options) > 2)
    assert isinstance(options, OptionList)
    made = list(options)
    assert [options[0], options[-1], options[1:3]] == [made[0], made[-1], made[1:3]]
    assert all(type(o.rank) is int and type(o.travel) is int for o in made)
    with pytest.raises(IndexError):
        options[len(made)]
    wanted = [made[-1].slot, made[0].slot, "no-such-slot"]
    assert options.among(wanted) == {o.slot: o for o in made if o.slot in wanted}


def _boundary_longitude(lat: float, lon: float, tenths: float) -> float:
    """A longitude due east of (lat, lon) at `tenths` / 10 km, to the last bits."""
    low, high = lon, lon + 170.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (
            (middle, high) if haversine_km(lat, lon, lat, middle) * 10 < tenths else (low, middle)
        )
    return low


def test_travel_at_a_rounding_boundary_is_the_validators() -> None:
    """Near x.x5 km numpy and math may round apart; the contract's rounding must win.
    Thousands of km away one longitude step is about one step of the distance, so the
    sites straddle the boundary as closely as doubles allow."""
    lat, lon = 42.3601, -71.0589
    person = Student.model_validate(student("S", home={"lat": lat, "lon": lon}))
    places = []
    for tenths in (80000.5, 95432.5, 101234.5):
        edge = _boundary_longitude(lat, lon, tenths)
        nearby = [edge]
        for direction in (-1.0, 1.0):
            point = edge
            for _ in range(40):
                point = float(np.nextafter(point, point + direction))
                nearby.append(point)
        places += [
            Site.model_validate(site(f"H{len(places) + i}", lat=lat, lon=x))
            for i, x in enumerate(nearby)
        ]
    got = travel_tenths([person], places, None)[0].tolist()
    expected = [round(travel_between(person.home, p.location) * 10) for p in places]
    assert got == expected
    assert len(set(expected)) == 6


def _reference_arcs(prep: Prepared, tag_aware: bool, options_of) -> list[tuple]:  # noqa: ANN001
    """(tail, head, capacity, rank, travel, (student, slot) of an option arc) added one
    option at a time."""
    arcs: list[tuple] = []
    nodes = itertools.count(2)
    slot_node: dict[str, int] = {}
    capacity = {s.id: s.capacity for s in prep.scenario.slots}
    for info in prep.students.values():
        options = list(options_of(info))
        if info.count <= 0 or not options:
            continue
        student_node = next(nodes)
        most = min(info.count, len({o.period for o in options}))  # one per period at most
        arcs.append((0, student_node, most, 0, 0, None))
        tag = _single_tag(info) if tag_aware else None
        if tag is not None:
            untagged = next(nodes)
            arcs.append((student_node, untagged, info.count - tag[1], 0, 0, None))
        period_node: dict[tuple[str, bool], int] = {}
        for option in options:
            via = tag is not None and tag[0] not in option.tags
            if (option.period, via) not in period_node:
                period_node[option.period, via] = next(nodes)
                upstream = untagged if via else student_node
                arcs.append((upstream, period_node[option.period, via], 1, 0, 0, None))
            if option.slot not in slot_node:
                slot_node[option.slot] = next(nodes)
                arcs.append((slot_node[option.slot], 1, capacity[option.slot], 0, 0, None))
            tail, head = period_node[option.period, via], slot_node[option.slot]
            held = (info.id, option.slot)
            arcs.append((tail, head, 1, option.rank, option.travel, held))
    return arcs


def _reference_chosen(arcs: list[tuple], weights: tuple[int, int], supply: int) -> dict:
    """Who holds which slot in OR-Tools' flow over the reference arcs."""
    tails, heads, caps, ranks, travels = (np.array([a[i] for a in arcs]) for i in range(5))
    flow = min_cost_flow.SimpleMinCostFlow()
    costs = weights[0] * ranks + weights[1] * travels
    handles = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(0, supply)
    flow.set_node_supply(1, -supply)
    flow.solve_max_flow_with_min_cost()
    chosen: dict[str, list[str]] = {}
    for arc, amount in zip(arcs, flow.flows(handles).tolist(), strict=True):
        if amount and arc[5] is not None:
            chosen.setdefault(arc[5][0], []).append(arc[5][1])
    return chosen


@pytest.mark.parametrize("tag_aware,filtered", [(False, False), (True, False), (False, True)])
def test_flow_network_is_the_option_by_option_network(tag_aware: bool, filtered: bool) -> None:
    """Same arcs in the same order: OR-Tools returns the very same flows, ties included."""
    prep = prepare(generate_term(students=250, seed=11))

    def options_of(info):  # noqa: ANN001, ANN202 - a plain list, as solver.warm passes
        return [o for o in info.all_options if o.period != "P2"] if filtered else info.all_options

    arcs = _reference_arcs(prep, tag_aware, options_of)
    network = PlacementNetwork(prep, tag_aware=tag_aware, options_of=options_of)
    options = {(a[5][0], a[5][1]): a for a in arcs if a[5] is not None}
    for weights, limit in (((network.rank_weight, 1), None), ((1, 0), 40), ((0, 1), None)):
        supply = network.total_need if limit is None else min(limit, network.total_need)
        plan = network.solve(rank_weight=weights[0], travel_weight=weights[1], limit=limit)
        assert plan.chosen == _reference_chosen(arcs, weights, supply)
        held = [options[student, slot] for student, slots in plan.chosen.items() for slot in slots]
        assert (plan.placements, plan.rank, plan.travel) == (
            len(held),
            sum(a[3] for a in held),
            sum(a[4] for a in held),
        )
    assert plan.placements > 100
