"""The compliance report of the compliance fixture: every blocked and at-risk student by
credential and by site, `placed` from the schedule given, the CSV and today's states."""

from __future__ import annotations

from datetime import date

from fixtures import fixture_path
from scheduler.domain.compliance import compliance_report, credential_state, report_csv
from scheduler.domain.credential_model import Credential
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule


def _scenario() -> Scenario:
    return Scenario.model_validate_json(fixture_path("compliance").read_text())


def test_blocked_and_at_risk_lines_of_the_fixture() -> None:
    report = compliance_report(_scenario(), None)
    found = {(line.student, line.period, line.credential, line.state) for line in report.lines}
    assert found == {
        ("C02", "P2", "BLS", "at_risk"),
        ("C03", "P1", "BLS", "blocked"),
        ("C03", "P2", "BLS", "blocked"),
        ("C04", "P1", "MMR", "blocked"),
        ("C04", "P2", "MMR", "blocked"),
        ("C06", "P1", "BLS", "blocked"),
        ("C06", "P2", "BLS", "blocked"),
        ("C07", "P2", "BLS", "at_risk"),
    }
    assert [(t.key, t.blocked, t.at_risk) for t in report.by_credential] == [
        ("BLS", 2, 2),
        ("MMR", 1, 0),
    ]
    assert [(t.key, t.blocked, t.at_risk) for t in report.by_site] == [("SITE-H", 3, 2)]
    assert not any(line.placed for line in report.lines)


def test_placed_follows_the_schedule_and_the_csv_has_every_line() -> None:
    scenario = _scenario()
    schedule = Schedule.model_validate(
        {
            "term": scenario.term.id,
            "status": "feasible",
            "placements": [{"student": "C02", "slot": "H-P2"}],
        }
    )
    report = compliance_report(scenario, schedule)
    assert {line.student for line in report.lines if line.placed} == {"C02"}
    rows = report_csv(report).strip().splitlines()
    assert len(rows) == 1 + len(report.lines)
    assert "C02,Bo Nakamura,NURS,SITE-H,P2,BLS,at_risk,BLS expires 2027-03-02,yes" in rows


def test_credential_states_today() -> None:
    today = date(2027, 1, 1)
    assert credential_state(Credential(code="X", status="pending"), today) == "pending"
    assert credential_state(Credential(code="X", expires=date(2027, 1, 1)), today) == "expired"
    assert credential_state(Credential(code="X", expires=date(2027, 2, 1)), today) == "expiring"
    assert credential_state(Credential(code="X", issued=date(2027, 1, 2)), today) == "not_yet_valid"
    assert credential_state(Credential(code="X"), today) == "valid"
