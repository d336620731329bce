"""Apply what-if changes (`ScenarioChange`, see `scheduler.domain.schedule`) to a scenario.

A suggestion is only worth trusting if anyone can replay it: this turns its changes into the
changed scenario, the same way for the explainer, the services and the tests. Changes that
name unknown ids raise `KeyError`; the result is re-validated by pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import (
    AddSession,
    AddSlot,
    RenewCredential,
    ScenarioChange,
    SetCapacity,
    SetMaxTeams,
    SetMaxTravel,
)


def apply_changes(scenario: Scenario, changes: Iterable[ScenarioChange]) -> Scenario:
    """A copy of the scenario with every change applied in order."""
    data = scenario.model_dump(mode="json")
    for change in changes:
        _apply(data, change)
    return Scenario.model_validate(data)


def _apply(data: dict[str, Any], change: ScenarioChange) -> None:
    if isinstance(change, AddSession):
        activity = _find(data["activities"], change.activity)
        activity["sessions"].append(
            {
                "id": change.session,
                "start": change.start.isoformat(timespec="minutes"),
                "end": change.end.isoformat(timespec="minutes"),
                "room": change.room,
                "max_teams": change.max_teams,
            }
        )
    elif isinstance(change, SetMaxTeams):
        sessions = [s for a in data["activities"] for s in a["sessions"]]
        _find(sessions, change.session)["max_teams"] = change.max_teams
    elif isinstance(change, SetCapacity):
        _find(data["slots"], change.slot)["capacity"] = change.capacity
    elif isinstance(change, AddSlot):
        data["slots"].append(
            {
                "id": change.slot,
                "site": change.site,
                "period": change.period,
                "profession": change.profession,
                "capacity": change.capacity,
                "status": "offered",
            }
        )
    elif isinstance(change, SetMaxTravel):
        data["policy"]["max_travel_km"] = change.max_travel_km
    elif isinstance(change, RenewCredential):
        student = _find(data["students"], change.student)
        student.setdefault("credentials", []).append(
            {
                "code": change.code,
                "issued": change.issued.isoformat(),
                "expires": change.expires.isoformat(),
                "status": "valid",
            }
        )


def _find(items: list[dict[str, Any]], item_id: str) -> dict[str, Any]:
    for item in items:
        if item.get("id") == item_id:
            return item
    raise KeyError(f"no item {item_id!r} to change")
