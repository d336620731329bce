"""The validator's capacity-calendar rules (extension): weekly capacity, unit min_fill,
no_repeat_site, tag limits and history in tag minimums; each valid, violated and at its
boundary, plus the scenario checks of the new fields and the diversity values."""

from __future__ import annotations

from typing import Any

from factories import make_scenario, site, slot, student
from weekly_factories import WEEK_OF_8, schedule_of, ward_term

from scheduler.domain.checks import check_scenario
from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import RULES, objective_values, validate_schedule


def found(scenario: Scenario, held: dict[str, list[str]]) -> dict[str, list[tuple[str, ...]]]:
    """Violation codes with the ids each names."""
    result: dict[str, list[tuple[str, ...]]] = {}
    for v in validate_schedule(scenario, schedule_of(scenario, held)):
        assert v.rule == RULES[v.code]
        result.setdefault(v.code, []).append(v.related)
    return result


def capacity(**row: Any) -> dict[str, Any]:
    return {"site": "H1", "unit": "W1", "capacity": 2, **row}


SHARED_WEEK = {"n1": ["L1"], "n2": ["L2"], "n3": ["L2"]}
"""Three students active on W1 in the week of Mar 8 (one in P1, two in P2)."""


# --- weekly capacity -----------------------------------------------------------------------


def test_weekly_capacity_counts_every_overlapping_period() -> None:
    term = ward_term(weekly_capacities=[capacity()])
    assert found(term, SHARED_WEEK) == {"weekly_capacity_exceeded": [("H1", "W1", WEEK_OF_8)]}


def test_weekly_capacity_boundary_and_feasible() -> None:
    term = ward_term(weekly_capacities=[capacity(capacity=3)])
    assert found(term, SHARED_WEEK) == {}
    term = ward_term(weekly_capacities=[capacity()])
    assert found(term, {"n1": ["L1"], "n2": ["L2"]}) == {}


def test_weekly_capacity_only_in_its_weeks() -> None:
    other_week = ward_term(weekly_capacities=[capacity(weeks=["2027-03-15"], capacity=1)])
    assert found(other_week, SHARED_WEEK) == {
        "weekly_capacity_exceeded": [("H1", "W1", "2027-03-15")]
    }
    ranged = ward_term(weekly_capacities=[capacity(first_week="2027-03-15", capacity=2)])
    assert found(ranged, SHARED_WEEK) == {}


def test_weekly_capacity_by_profession_cohort_and_site() -> None:
    by_cohort = ward_term(weekly_capacities=[capacity(cohort="y2", capacity=0)])
    assert found(by_cohort, SHARED_WEEK)["weekly_capacity_exceeded"] == [
        ("H1", "W1", WEEK_OF_8),
        ("H1", "W1", "2027-03-15"),
    ]
    other_profession = ward_term(weekly_capacities=[capacity(profession="PT", capacity=0)])
    assert found(other_profession, SHARED_WEEK) == {}
    whole_site = ward_term(weekly_capacities=[{"site": "H1", "capacity": 1}])
    assert ("H1", WEEK_OF_8) in found(whole_site, SHARED_WEEK)["weekly_capacity_exceeded"]


# --- unit min_fill -------------------------------------------------------------------------


def _filled(min_fill: int) -> Scenario:
    units = [{"id": "W1", "name": "Ward 1", "tags": ["peds"], "min_fill": min_fill}]
    return ward_term(sites=[site("H1", units=units + [{"id": "W2", "name": "W2"}]), site("H2")])


def test_min_fill_violated_in_each_active_week() -> None:
    weeks = found(_filled(1), {"n1": ["L1"]})["unit_under_min_fill"]
    assert weeks == [("H1", "W1", "2027-03-15")]  # L1 fills Mar 1 and 8; L2 is active Mar 15


def test_min_fill_boundary_and_feasible() -> None:
    assert found(_filled(1), {"n1": ["L1"], "n2": ["L2"]}) == {}
    # Mar 1: n1 only; Mar 8: n1, n2, n3; Mar 15: n2, n3
    assert found(_filled(2), SHARED_WEEK)["unit_under_min_fill"] == [("H1", "W1", "2027-03-01")]
    assert found(_filled(0), {}) == {}


# --- no_repeat_site ------------------------------------------------------------------------


def test_no_repeat_site() -> None:
    term = ward_term(policy={"no_repeat_site": True})
    assert found(term, {"n1": ["L1", "L4"]}) == {"site_repeated": [("n1", "H1")]}
    assert found(term, {"n1": ["L1", "L3"]}) == {}
    assert found(ward_term(), {"n1": ["L1", "L4"]}) == {}  # off by default


def test_no_repeat_site_counts_history() -> None:
    earlier = {"site": "H2", "start": "2026-01-04", "end": "2026-02-04", "tags": []}
    students = [student("n1", history=[earlier]), student("n2")]
    term = ward_term(students=students, policy={"no_repeat_site": True})
    assert found(term, {"n1": ["L1", "L3"]}) == {"site_repeated": [("n1", "H2")]}
    assert found(term, {"n1": ["L1"], "n2": ["L1", "L3"]}) == {}


# --- tag limits and history in tag minimums ------------------------------------------------


def _limited(limit: int, history: list[dict[str, Any]] | None = None) -> Scenario:
    requirement = {"profession": "NURS", "count": 2, "tags": {}, "tag_limits": {"peds": limit}}
    return ward_term(
        students=[student("n1", history=history or [])], placement_requirements=[requirement]
    )


def test_tag_limit_binds_partial_schedules() -> None:
    # one placement held of two: a limit still binds (W1 carries `peds` as a unit tag)
    assert found(_limited(0), {"n1": ["L1"]}) == {"tag_limit_exceeded": [("n1", "NURS", "peds")]}
    assert found(_limited(1), {"n1": ["L1"]}) == {}
    assert "tag_limit_exceeded" in found(_limited(1), {"n1": ["L1", "L2"]})


def test_tag_limit_counts_history() -> None:
    earlier = [{"site": "X", "start": "2026-01-04", "end": "2026-02-04", "tags": ["peds"]}]
    assert "tag_limit_exceeded" in found(_limited(1, earlier), {"n1": ["L1"]})
    assert found(_limited(2, earlier), {"n1": ["L1"]}) == {}


def _community_minimum(history: list[dict[str, Any]]) -> Scenario:
    requirement = {"profession": "NURS", "count": 2, "tags": {"community": 1, "peds": 1}}
    return ward_term(
        students=[student("n1", history=history)], placement_requirements=[requirement]
    )


def test_tag_minimum_counts_unit_tags_and_history() -> None:
    # L1 (W1: peds) + L4 (W2): no community placement
    assert found(_community_minimum([]), {"n1": ["L1", "L4"]}) == {
        "tag_minimum_unmet": [("n1", "NURS", "community")]
    }
    earlier = [{"site": "X", "start": "2026-01-04", "end": "2026-02-04", "tags": ["community"]}]
    assert found(_community_minimum(earlier), {"n1": ["L1", "L4"]}) == {}
    # L3 (community) + L4 (W2, untagged): peds missing, unless from a unit tag
    assert "tag_minimum_unmet" in found(_community_minimum([]), {"n1": ["L3", "L4"]})
    assert found(_community_minimum([]), {"n1": ["L1", "L3"]}) == {}


# --- diversity values ----------------------------------------------------------------------


def test_distinct_values_count_history_and_units() -> None:
    earlier = {"site": "H1", "unit": "W1", "start": "2026-01-04", "end": "2026-02-04"}
    students = [student("n1", history=[{**earlier, "tags": ["peds"]}]), student("n2")]
    term = ward_term(students=students)
    values = objective_values(term, schedule_of(term, {"n1": ["L1", "L4"], "n2": ["L1", "L2"]}))
    # n1: H1/W1 (history, again now) + H1/W2 = 2 places, tags {peds, acute}; n2: H1/W1 = 1
    assert values["distinct_sites"] == 3.0
    assert values["distinct_tags"] == 4.0


# --- scenario checks -----------------------------------------------------------------------


def test_scenario_checks_of_the_new_fields() -> None:
    earlier = {"site": "X", "start": "2026-02-04", "end": "2026-01-04", "tags": []}
    term = ward_term(
        students=[student("n1", history=[earlier])],
        slots=[slot("L1", unit="W9")],
        weekly_capacities=[
            {"site": "H9", "capacity": 1},
            {"site": "H1", "unit": "W9", "capacity": 1},
            {"site": "H1", "weeks": ["2027-03-02"], "capacity": 1},
            {"site": "H1", "weeks": ["2027-03-01"], "first_week": "2027-03-01", "capacity": 1},
            {"site": "H1", "profession": "XX", "capacity": 1},
        ],
        placement_requirements=[
            {"profession": "NURS", "count": 2, "tags": {"peds": 2}, "tag_limits": {"peds": 1}}
        ],
    )
    paths = {e.path for e in check_scenario(term)}
    assert {
        "students[0].history[0].end",
        "slots[0].unit",
        "weekly_capacities[0].site",
        "weekly_capacities[1].unit",
        "weekly_capacities[2].weeks[0]",
        "weekly_capacities[3]",
        "weekly_capacities[4].profession",
        "placement_requirements[0].tag_limits.peds",
    } <= paths


def test_new_fields_are_optional() -> None:
    assert check_scenario(ward_term()) == []
    assert make_scenario().weekly_capacities == []
