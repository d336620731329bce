"""Compact schedules: each distinct reason once (`shared_reasons`), each distinct list of
reasons once (`reason_groups`), referenced by the unmet needs; lossless, and old documents
with inline reasons stay valid."""

from __future__ import annotations

import pytest
from factories import base_scenario_data
from pydantic import ValidationError

from scheduler.domain.loading import load_schedule_text
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

BUSY = {"code": "no_free_session", "message": "busy at all 2 sessions", "related": ["S1", "S2"]}
FULL = {"code": "sessions_full", "message": "both sessions are full", "related": ["S1", "S2"]}
SEATS = {"code": "seats_taken", "message": "seats went to others", "related": ["L1"]}


def inline() -> Schedule:
    return Schedule.model_validate(
        {
            "term": "T1",
            "status": "feasible",
            "unassigned": [
                {"student": "n1", "activity": "A1", "reasons": [BUSY, FULL]},
                {"student": "n2", "activity": "A1", "reasons": [BUSY, FULL]},
                {"student": "p1", "activity": "A1", "reasons": [FULL]},
                {"student": "n2", "requirement": "NURS", "reasons": [SEATS]},
                {"student": "p2", "activity": "A1"},
            ],
        }
    )


def test_each_reason_and_each_list_of_reasons_is_written_once() -> None:
    compact = inline().compacted()
    assert [r.code for r in compact.shared_reasons] == [
        "no_free_session",
        "sessions_full",
        "seats_taken",
    ]
    assert compact.reason_groups == [[0, 1], [1], [2]]
    assert [e.reason_group for e in compact.unassigned] == [0, 0, 1, 2, None]
    assert all(e.reasons == [] for e in compact.unassigned)


def test_compaction_loses_nothing() -> None:
    original = inline()
    compact = original.compacted()
    assert compact.expanded() == original
    for before, after in zip(original.unassigned, compact.unassigned, strict=True):
        assert compact.reasons_of(after) == before.reasons


def test_a_compact_document_round_trips_as_json_and_is_smaller() -> None:
    text = inline().compacted().model_dump_json(exclude_none=True)
    loaded, errors = load_schedule_text(text)
    assert errors == [] and loaded is not None
    assert loaded.expanded() == inline()
    assert len(text) < len(inline().model_dump_json(exclude_none=True))


def test_old_documents_with_inline_reasons_are_still_valid() -> None:
    document = inline()
    assert document.shared_reasons == [] and document.reason_groups == []
    assert document.reasons_of(document.unassigned[0])[0].code == "no_free_session"
    assert document.expanded() is document


def test_a_reference_to_a_missing_group_or_reason_is_refused_naming_it() -> None:
    data = inline().compacted().model_dump(mode="json")
    data["unassigned"][0]["reason_group"] = 7
    with pytest.raises(ValidationError, match=r"unassigned\[0\]\.reason_group 7 does not exist"):
        Schedule.model_validate(data)
    data = inline().compacted().model_dump(mode="json")
    data["reason_groups"][1] = [9]
    with pytest.raises(ValidationError, match=r"reason_groups\[1\] refers to shared_reasons\[9\]"):
        Schedule.model_validate(data)


def test_a_compact_previous_schedule_is_read_inline_by_a_scenario() -> None:
    data = base_scenario_data()
    data["policy"] = {"previous": inline().compacted().model_dump(mode="json")}
    scenario = Scenario.model_validate(data)
    previous = scenario.policy.previous
    assert previous is not None and previous.reason_groups == []
    assert previous.unassigned == inline().unassigned
