"""The equity use cases: the baseline term drops only `equity_gap`, charts come through."""

from __future__ import annotations

from factories import make_scenario, make_schedule

from scheduler.services.reports import (
    equity,
    equity_charts,
    has_fairness_level,
    without_fairness,
)


def test_without_fairness_drops_only_the_equity_level():
    scenario = make_scenario(
        policy={"objectives": ["coverage", "equity_gap", "preferences", "travel_total"]}
    )
    assert has_fairness_level(scenario)
    plain = without_fairness(scenario)
    assert plain.policy.objectives == ["coverage", "preferences", "travel_total"]
    assert not has_fairness_level(plain)
    assert plain.students == scenario.students
    assert scenario.policy.objectives[1] == "equity_gap"  # the original is untouched


def test_equity_report_and_charts_through_the_service():
    scenario, schedule = make_scenario(), make_schedule()
    report = equity(scenario=scenario, schedule=schedule, threshold=0.2)
    assert report.threshold == 0.2
    assert report.groups == []  # four students: every group is too small
    assert equity_charts(report) == {}
