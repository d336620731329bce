"""Onboarding compliance in the contract: credentials held by students, required by sites
and slots; the validator's rule (feasible, violated, boundary on the expiry date) and the
domain helper the solver, explanations and pages read."""

from __future__ import annotations

from datetime import date

import pytest
from factories import make_scenario, make_schedule, replace_item
from pydantic import ValidationError

from scheduler.domain.credential_model import Credential
from scheduler.domain.credentials import gap_for, placement_gaps
from scheduler.domain.scenario import Scenario
from scheduler.domain.validator import RULES, validate_schedule

# Base scenario: n1 and n2 hold L1 at H1 in P1, 2027-03-01 .. 2027-03-26.


def _requiring(codes: list[str], **n1: object) -> Scenario:
    scenario = replace_item(make_scenario(), "sites", "H1", required_credentials=codes)
    covered = [{"code": c, "issued": "2026-01-01", "expires": "2028-01-01"} for c in codes]
    scenario = replace_item(scenario, "students", "n2", credentials=covered)
    return replace_item(scenario, "students", "n1", **n1)


def _codes(scenario: Scenario) -> list[str]:
    return [v.code for v in validate_schedule(scenario, make_schedule())]


def test_covering_credentials_are_valid() -> None:
    scenario = _requiring(["BLS"], credentials=[{"code": "BLS", "issued": "2027-03-01"}])
    assert _codes(scenario) == []


def test_missing_credential_is_a_violation_naming_student_slot_and_code() -> None:
    scenario = _requiring(["BLS"], credentials=[])
    violations = validate_schedule(scenario, make_schedule())
    assert [v.code for v in violations] == ["credential_not_valid"]
    assert violations[0].related == ("n1", "L1", "BLS")
    assert RULES["credential_not_valid"] == 6


def test_pending_credential_is_a_violation() -> None:
    scenario = _requiring(["BLS"], credentials=[{"code": "BLS", "status": "pending"}])
    assert _codes(scenario) == ["credential_not_valid"]


def test_expiry_on_the_last_date_of_the_period_is_a_violation() -> None:
    scenario = _requiring(["BLS"], credentials=[{"code": "BLS", "expires": "2027-03-26"}])
    assert _codes(scenario) == ["credential_not_valid"]


def test_expiry_the_day_after_the_period_is_valid() -> None:
    scenario = _requiring(["BLS"], credentials=[{"code": "BLS", "expires": "2027-03-27"}])
    assert _codes(scenario) == []


def test_issued_after_the_first_date_is_a_violation() -> None:
    scenario = _requiring(["BLS"], credentials=[{"code": "BLS", "issued": "2027-03-02"}])
    assert _codes(scenario) == ["credential_not_valid"]


def test_a_renewal_covering_the_rest_of_the_period_is_valid() -> None:
    renewed = [
        {"code": "BLS", "expires": "2027-03-10"},
        {"code": "BLS", "issued": "2027-03-10", "expires": "2029-03-10"},
    ]
    assert _codes(_requiring(["BLS"], credentials=renewed)) == []
    gap = [{"code": "BLS", "expires": "2027-03-10"}, {"code": "BLS", "issued": "2027-03-11"}]
    assert _codes(_requiring(["BLS"], credentials=gap)) == ["credential_not_valid"]


def test_slot_requirements_add_to_the_sites() -> None:
    scenario = _requiring(["BLS"], credentials=[{"code": "BLS"}])
    scenario = replace_item(scenario, "slots", "L1", required_credentials=["MMR"])
    violations = validate_schedule(scenario, make_schedule())
    assert sorted(v.related[2] for v in violations) == ["MMR", "MMR"]


def test_older_documents_without_credentials_stay_valid() -> None:
    scenario = make_scenario()
    assert scenario.students[0].credentials == []
    assert scenario.sites[0].required_credentials == []
    assert _codes(scenario) == []


def test_expiry_before_issue_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        Credential.model_validate({"code": "BLS", "issued": "2027-03-02", "expires": "2027-03-01"})
    assert "expires must be after issued" in str(error.value)
    with pytest.raises(ValidationError):
        Credential.model_validate({"code": "BLS", "status": "expired"})


def test_gaps_say_which_credential_and_when() -> None:
    scenario = _requiring(
        ["BLS", "MMR", "TB"],
        credentials=[
            {"code": "BLS", "issued": "2025-03-02", "expires": "2027-03-02"},
            {"code": "TB", "status": "pending"},
        ],
    )
    n1 = scenario.students[0]
    texts = [
        g.text()
        for g in placement_gaps(n1, scenario.sites[0], scenario.slots[0], scenario.periods[0])
    ]
    assert texts == ["BLS expires 2027-03-02", "MMR missing", "TB pending"]
    later = Scenario.model_validate(
        replace_item(
            scenario, "students", "n1", credentials=[{"code": "BLS", "issued": "2027-03-05"}]
        )
    )
    gap = gap_for(later.students[0], "BLS", date(2027, 3, 1), date(2027, 3, 26))
    assert gap is not None and gap.text() == "BLS not valid until 2027-03-05"
    old = replace_item(
        scenario, "students", "n1", credentials=[{"code": "BLS", "expires": "2026-01-01"}]
    )
    gap = gap_for(old.students[0], "BLS", date(2027, 3, 1), date(2027, 3, 26))
    assert gap is not None and gap.text() == "BLS expired 2026-01-01"
