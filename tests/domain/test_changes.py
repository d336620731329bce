"""What-if changes replay on a scenario: each kind edits exactly what it names."""

from __future__ import annotations

from datetime import datetime

import pytest
from factories import make_scenario

from scheduler.domain.changes import apply_changes
from scheduler.domain.schedule import (
    AddSession,
    AddSlot,
    Schedule,
    SetCapacity,
    SetMaxTeams,
    SetMaxTravel,
    Suggestion,
)


def test_each_change_edits_its_target_and_nothing_else():
    base = make_scenario()
    changed = apply_changes(
        base,
        [
            AddSession(
                activity="A1",
                session="S3",
                start=datetime(2027, 2, 17, 13),
                end=datetime(2027, 2, 17, 15),
                room="R1",
                max_teams=1,
            ),
            SetMaxTeams(session="S1", max_teams=3),
            SetCapacity(slot="L1", capacity=4),
            AddSlot(slot="L2", site="H1", period="P1", profession="NURS", capacity=1),
            SetMaxTravel(max_travel_km=50),
        ],
    )
    sessions = {s.id: s for s in changed.activities[0].sessions}
    assert sessions["S3"].start == datetime(2027, 2, 17, 13) and sessions["S3"].max_teams == 1
    assert sessions["S1"].max_teams == 3 and sessions["S2"].max_teams == 2
    slots = {s.id: s for s in changed.slots}
    assert slots["L1"].capacity == 4
    assert (slots["L2"].site, slots["L2"].status, slots["L2"].capacity) == ("H1", "offered", 1)
    assert changed.policy.max_travel_km == 50
    assert changed.students == base.students
    assert base.slots[0].capacity == 2  # the original is untouched


def test_a_change_naming_an_unknown_id_is_refused():
    with pytest.raises(KeyError):
        apply_changes(make_scenario(), [SetCapacity(slot="nope", capacity=1)])


def test_suggestions_round_trip_through_the_schedule_json():
    suggestion = Suggestion(
        code="add_seats",
        message="add 1 seat",
        changes=[SetCapacity(slot="L1", capacity=3)],
        needs_met=3,
        gain=1,
    )
    schedule = Schedule(term="T1", status="optimal", suggestions=[suggestion])
    again = Schedule.model_validate_json(schedule.model_dump_json())
    assert again.suggestions == [suggestion]
    assert Schedule(term="T1", status="optimal").suggestions == []
