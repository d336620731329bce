"""The equity report: planted disparities are found and flagged, small groups never shown,
and the `equity_gap` value is the validator's (docs/objectives.md, docs/equity.md)."""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from fractions import Fraction
from typing import Any

import pytest
from factories import make_scenario, make_schedule, placement, site, slot, student
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain.equity import (
    METRICS,
    EquityReport,
    GroupOutcome,
    csv_columns,
    equity_report,
    to_csv,
)
from scheduler.domain.equity_groups import all_groups, gap_groups, travel_gap_metres
from scheduler.domain.equity_svg import charts
from scheduler.domain.geo import travel_between
from scheduler.domain.scenario import GeoPoint, Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values, validate_schedule

CITY = {"lat": 45.0, "lon": -75.0}
FAR = {"lat": 45.45, "lon": -75.0}  # 50.0 km north of the city (0.45 degrees of latitude)
FAR_KM = 50.0
SMALL_GROUP = {"c1", "t1", "t2"}  # first_generation: 3 students, never shown


def planted_students() -> list[dict[str, Any]]:
    """Six car students at home in the city and six transit students 50 km out; the transit
    students rank H2 first, the car students H1."""
    students = []
    for i in range(1, 7):
        students.append(
            student(
                f"c{i}",
                home=CITY,
                site_preferences=["H1", "H2"],
                attributes={"rural_origin": False, "first_generation": f"c{i}" in SMALL_GROUP},
            )
        )
        students.append(
            student(
                f"t{i}",
                travel_mode="transit",
                home=FAR,
                site_preferences=["H2", "H1"],
                languages=["en", "fr"] if i == 3 else ["en"],
                attributes={"rural_origin": True, "first_generation": f"t{i}" in SMALL_GROUP},
            )
        )
    return students


def planted_term(**overrides: Any) -> Scenario:
    """Placements only: H1 in the city, H2 (tagged underserved) 7.9 km east, room for all."""
    fields: dict[str, Any] = {
        "students": planted_students(),
        "activities": [],
        "sites": [site("H1", 45.0, -75.0), site("H2", 45.0, -74.9, tags=["underserved"])],
        "slots": [slot("L1", site="H1", capacity=12), slot("L2", site="H2", capacity=12)],
        "placement_requirements": [{"profession": "NURS", "count": 1, "tags": {}}],
    }
    return make_scenario(**{**fields, **overrides})


def everyone_at(slot_of: dict[str, str] | None = None, default: str = "L1") -> Schedule:
    """Every planted student placed, at `default` unless `slot_of` says otherwise."""
    slot_of = slot_of or {}
    ids = [f"{kind}{i}" for i in range(1, 7) for kind in "ct"]
    return make_schedule(
        sessions=[], placements=[placement(s, slot_of.get(s, default)) for s in ids]
    )


def group(report: EquityReport, label: str) -> GroupOutcome:
    return next(g for g in report.groups if g.label == label)


def flagged(outcome: GroupOutcome) -> dict[str, bool | None]:
    return {flag.metric: flag.worse for flag in outcome.flags}


@pytest.fixture
def planted() -> tuple[Scenario, Schedule, EquityReport]:
    scenario, schedule = planted_term(), everyone_at()
    assert validate_schedule(scenario, schedule) == []
    return scenario, schedule, equity_report(scenario, schedule)


# --- planted disparity ---------------------------------------------------------------------


def test_the_planted_distance_is_what_the_contract_measures() -> None:
    assert travel_between(GeoPoint(**FAR), GeoPoint(**CITY)) == FAR_KM


def test_transit_students_travel_farther_and_are_flagged(planted) -> None:
    _, _, report = planted
    transit = group(report, "travel_mode=transit")
    assert transit.students == 6
    assert transit.outcome.mean_travel_km == FAR_KM
    assert transit.rest.mean_travel_km == 0.0
    assert transit.gap.mean_travel_km == FAR_KM
    assert transit.gap.p90_travel_km == FAR_KM
    assert flagged(transit)["mean_travel_km"] is True  # worse off
    car = group(report, "travel_mode=car")
    assert car.gap.mean_travel_km == -FAR_KM
    assert flagged(car)["mean_travel_km"] is False


def test_preference_gaps_are_flagged(planted) -> None:
    _, _, report = planted
    transit = group(report, "travel_mode=transit")
    assert transit.outcome.top_choice_rate == 0.0  # all at H1, ranked second
    assert transit.rest.top_choice_rate == 1.0
    assert transit.gap.mean_rank == 1.0
    assert flagged(transit)["top_choice_rate"] is True
    assert flagged(transit)["mean_rank"] is True


def test_equal_outcomes_are_not_flagged(planted) -> None:
    _, _, report = planted
    transit = group(report, "travel_mode=transit")
    assert transit.gap.coverage == 0.0
    assert "coverage" not in flagged(transit)
    assert "underserved_share" not in flagged(transit)


def test_gaps_are_flagged_by_profession_too() -> None:
    students = planted_students()
    for entry in students:
        if entry["id"].startswith("t"):
            entry["profession"] = "PT"
    requirements = [{"profession": p, "count": 1, "tags": {}} for p in ("NURS", "PT")]
    slots = [slot("L1", site="H1", capacity=12), slot("L9", site="H1", profession="PT")]
    slots[1]["capacity"] = 6
    scenario = planted_term(students=students, placement_requirements=requirements, slots=slots)
    schedule = everyone_at({f"t{i}": "L9" for i in range(1, 7)})
    assert validate_schedule(scenario, schedule) == []
    report = equity_report(scenario, schedule)
    assert flagged(group(report, "profession=PT"))["mean_travel_km"] is True


def test_the_threshold_is_configurable(planted) -> None:
    scenario, schedule, _ = planted
    assert equity_report(scenario, schedule, threshold=10.0).flagged() == []
    loose = equity_report(scenario, schedule, threshold=0.5)
    # overall mean travel is 25 km: a 50 km gap exceeds 0.5 x 25, a 0 km gap never does
    assert "mean_travel_km" in flagged(group(loose, "travel_mode=transit"))
    assert "coverage" not in flagged(group(loose, "travel_mode=transit"))
    with pytest.raises(ValueError):
        equity_report(scenario, schedule, threshold=-0.1)


def test_a_gap_exactly_at_the_limit_is_not_flagged(planted) -> None:
    scenario, schedule, _ = planted
    # overall 25 km, gap 50 km: threshold 2.0 puts the limit exactly at the gap
    at_limit = equity_report(scenario, schedule, threshold=2.0)
    assert "mean_travel_km" not in flagged(group(at_limit, "travel_mode=transit"))


def test_underserved_share_by_group(planted) -> None:
    scenario, _, _ = planted
    schedule = everyone_at({f"t{i}": "L2" for i in range(1, 7)})
    report = equity_report(scenario, schedule)
    transit = group(report, "travel_mode=transit")
    assert transit.outcome.underserved_share == 1.0
    assert transit.rest.underserved_share == 0.0
    assert flagged(transit)["underserved_share"] is None  # a fact, not a burden


def test_coverage_gap_when_a_group_is_left_unplaced(planted) -> None:
    scenario, _, _ = planted
    placed = [placement(f"c{i}") for i in range(1, 7)] + [placement("t1"), placement("t2")]
    schedule = make_schedule(sessions=[], placements=placed)
    report = equity_report(scenario, schedule)
    transit = group(report, "travel_mode=transit")
    assert transit.outcome.coverage == pytest.approx(2 / 6, abs=1e-4)
    assert flagged(transit)["coverage"] is True


def test_moved_share_after_a_repair(planted) -> None:
    scenario, schedule, _ = planted
    before = everyone_at({f"c{i}": "L2" for i in range(1, 6)})
    report = equity_report(scenario, schedule, previous=before)
    assert report.compared_with_previous
    car = group(report, "travel_mode=car")
    assert car.outcome.moved_share == pytest.approx(5 / 6, abs=1e-4)
    assert car.rest.moved_share == 0.0
    assert flagged(car)["moved_share"] is True
    assert report.overall.moved_share == pytest.approx(5 / 12, abs=1e-4)


def test_without_previous_nobody_is_counted_as_moved(planted) -> None:
    _, _, report = planted
    assert not report.compared_with_previous
    assert report.overall.moved_share is None
    assert all(g.outcome.moved_share is None for g in report.groups)


# --- small groups ----------------------------------------------------------------------------


def test_groups_under_five_are_never_shown(planted) -> None:
    _, _, report = planted
    labels = {g.label for g in report.groups}
    assert labels == {
        "travel_mode=car",
        "travel_mode=transit",
        "attributes.rural_origin=false",
        "attributes.rural_origin=true",
    }
    # first_generation=true (3 students), =false (rest of 3) and language=fr (2) are left
    # out; NURS and English are everyone, so they have no rest and are not groups at all
    assert report.suppressed_groups == 3


def test_suppressed_groups_appear_in_no_output(planted) -> None:
    _, _, report = planted
    texts = [report.model_dump_json(), to_csv(report), *charts(report).values()]
    for text in texts:
        assert "first_generation" not in text
        assert "language=fr" not in text


def test_a_group_of_exactly_five_is_shown() -> None:
    students = planted_students()[:10]  # c1..c5 and t1..t5
    scenario = planted_term(students=students)
    ids = [s["id"] for s in students]
    schedule = make_schedule(sessions=[], placements=[placement(s) for s in ids])
    report = equity_report(scenario, schedule)
    assert group(report, "travel_mode=transit").students == 5


def test_figures_drawn_from_fewer_than_five_students_are_blank(planted) -> None:
    scenario, schedule, _ = planted
    students = planted_students()
    for entry in students:
        if entry["id"] in {"t1", "t2"}:
            entry.pop("home")  # only four transit students with a known home
    report = equity_report(planted_term(students=students), schedule)
    transit = group(report, "travel_mode=transit")
    assert transit.outcome.mean_travel_km is None
    assert transit.gap.mean_travel_km is None
    assert transit.outcome.travel_per_student_km is not None  # drawn from all six
    assert group(report, "travel_mode=car").rest.mean_travel_km is None


# --- equity_gap ------------------------------------------------------------------------------


def test_equity_gap_is_the_validators_value_with_its_group(planted) -> None:
    scenario, schedule, report = planted
    assert report.equity_gap.value == objective_values(scenario, schedule)["equity_gap"]
    assert report.equity_gap.value == FAR_KM  # 50 km per rural student, 0 for the others
    assert report.equity_gap.worst_group == "attributes.rural_origin=true"
    rural = group(report, "attributes.rural_origin=true")
    assert rural.gap.travel_per_student_km == FAR_KM


def test_equity_gap_compares_only_attribute_groups_of_five(planted) -> None:
    scenario, _, _ = planted
    chosen = gap_groups(scenario)
    assert len(chosen.population) == 12
    assert {g.label for g in chosen.groups} == {
        "attributes.rural_origin=false",
        "attributes.rural_origin=true",
    }


def test_equity_gap_without_attributes_is_zero(planted) -> None:
    students = planted_students()
    for entry in students:
        entry["attributes"] = {}
    scenario = planted_term(students=students)
    schedule = everyone_at()
    assert objective_values(scenario, schedule)["equity_gap"] == 0.0
    report = equity_report(scenario, schedule)
    assert report.equity_gap.value == 0.0
    assert report.equity_gap.worst_group is None


def test_equity_gap_rounds_up_to_the_metre() -> None:
    students = planted_students()[:11]  # six car students (the rest), five transit
    scenario = planted_term(students=students)
    moved = {"c1": "L2", "t1": "L2"}  # 7.9 km for c1; t1's travel differs from the others
    ids = [s["id"] for s in students]
    schedule = make_schedule(
        sessions=[], placements=[placement(s, moved.get(s, "L1")) for s in ids]
    )
    h2 = GeoPoint(lat=45.0, lon=-74.9)
    rural = Fraction(4 * 500 + round(10 * travel_between(GeoPoint(**FAR), h2)), 5)
    urban = Fraction(round(10 * travel_between(GeoPoint(**CITY), h2)), 6)
    exact_metres = 100 * (rural - urban)  # tenths of a km per student -> metres
    assert exact_metres.denominator != 1  # the rounding is exercised
    expected = math.ceil(exact_metres) / 1000
    assert objective_values(scenario, schedule)["equity_gap"] == expected


def test_equity_gap_counts_students_who_need_placements_only(planted) -> None:
    scenario, schedule, _ = planted
    extra = [student(f"x{i}", "PT", home=FAR, attributes={"rural_origin": True}) for i in range(5)]
    widened = planted_term(students=[*planted_students(), *extra])
    assert validate_schedule(widened, schedule) == []
    assert objective_values(widened, schedule)["equity_gap"] == FAR_KM


def test_true_and_one_are_different_groups() -> None:
    students = [student(f"s{i}", attributes={"flag": True if i < 5 else 1}) for i in range(10)]
    groups = all_groups(make_scenario(students=students).students)
    labels = sorted(g.label for g in groups if g.dimension == "attributes.flag")
    assert labels == ["attributes.flag=1", "attributes.flag=true"]


# --- cost ------------------------------------------------------------------------------------


def test_cost_is_the_validators_difference(planted) -> None:
    scenario, schedule, _ = planted
    baseline = everyone_at({f"t{i}": "L2" for i in range(1, 7)})
    report = equity_report(scenario, schedule, baseline=baseline)
    fair, plain = objective_values(scenario, schedule), objective_values(scenario, baseline)
    assert [line.objective for line in report.cost] == [
        "coverage",
        "preferences",
        "travel_fairness",
        "travel_total",
        "equity_gap",
    ]
    for line in report.cost:
        assert line.with_fairness == fair[line.objective]
        assert line.without_fairness == plain[line.objective]
        assert line.delta == pytest.approx(fair[line.objective] - plain[line.objective])
    assert equity_report(scenario, schedule).cost == []


# --- outputs ---------------------------------------------------------------------------------


def test_json_round_trip(planted) -> None:
    _, _, report = planted
    assert EquityReport.model_validate_json(report.model_dump_json()) == report
    assert report.format == "ipe-equity-report/1"


def test_csv_has_one_row_per_group_and_every_metric(planted) -> None:
    _, _, report = planted
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert list(rows[0]) == csv_columns()
    assert rows[0]["label"] == "all students"
    assert [r["label"] for r in rows[1:]] == [g.label for g in report.groups]
    transit = next(r for r in rows if r["label"] == "travel_mode=transit")
    assert float(transit["mean_travel_km_gap"]) == FAR_KM
    assert "mean_travel_km" in transit["flagged"].split(";")
    assert all(f"{m}_gap" in rows[0] for m in METRICS)


def test_svg_charts_are_accessible(planted) -> None:
    _, _, report = planted
    drawn = charts(report)
    assert "gap-mean_travel_km.svg" in drawn
    namespace = "{http://www.w3.org/2000/svg}"
    for svg in drawn.values():
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        assert root.find(f"{namespace}title") is not None
        assert root.find(f"{namespace}desc") is not None
    travel = ET.fromstring(drawn["gap-mean_travel_km.svg"])
    texts = [t.text or "" for t in travel.iter(f"{namespace}text")]
    assert "travel_mode=transit" in texts
    assert any("+50.0 km flagged, worse off" in t for t in texts)
    desc = travel.find(f"{namespace}desc")
    assert desc is not None and "travel_mode=transit +50.0 km (worse off)" in (desc.text or "")


def test_svg_escapes_group_values() -> None:
    students = [student(f"s{i}", attributes={"team": "<a&b>" if i < 5 else "c"}) for i in range(10)]
    scenario = make_scenario(
        students=students, activities=[], slots=[slot("L1", capacity=10)], sites=[site("H1")]
    )
    schedule = make_schedule(sessions=[], placements=[placement(f"s{i}") for i in range(10)])
    for svg in charts(equity_report(scenario, schedule)).values():
        ET.fromstring(svg)  # well-formed despite the markup in the value


# --- the shared definition agrees with the validator's own code --------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([True, False, "a", "b", 1, 2.0]),  # an attribute value
            st.sampled_from(["L1", "L2", None]),  # where the student is placed
            st.booleans(),  # whether their home is known
        ),
        min_size=1,
        max_size=24,
    )
)
def test_gap_groups_and_validator_agree(people: list[tuple[Any, str | None, bool]]) -> None:
    """`equity_groups` (what the solver models) and the validator's independent code give
    the same equity_gap for any attributes and placements."""
    students = [
        student(f"s{i}", **({"home": FAR} if homed else {}), attributes={"k": value})
        for i, (value, _, homed) in enumerate(people)
    ]
    scenario = planted_term(students=students)
    held = [placement(f"s{i}", where) for i, (_, where, _) in enumerate(people) if where]
    schedule = make_schedule(sessions=[], placements=held)
    chosen = gap_groups(scenario)
    homes = {s.id: s.home for s in scenario.students}
    sites = {"L1": GeoPoint(lat=45.0, lon=-75.0), "L2": GeoPoint(lat=45.0, lon=-74.9)}
    tenths = {
        p.student: round(10 * travel_between(homes[p.student], sites[p.slot]))
        for p in schedule.placements
    }
    worst = max(
        (travel_gap_metres(g.members, chosen.population, tenths) for g in chosen.groups),
        default=0,
    )
    assert objective_values(scenario, schedule)["equity_gap"] == worst / 1000
