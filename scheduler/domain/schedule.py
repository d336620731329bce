"""Pydantic models of the `ipe-schedule/1` document: the solver's answer for one term."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.domain.scenario_types import Identifier, LocalDateTime

SCHEDULE_FORMAT: Final = "ipe-schedule/1"

ScheduleStatus = Literal["optimal", "feasible", "infeasible", "invalid"]


class Frozen(BaseModel):
    """Base of every contract model: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ObjectiveResult(Frozen):
    """One lexicographic level: the value reached and the best proven bound."""

    name: str
    value: float | None = None
    bound: float | None = None


class Team(Frozen):
    id: Identifier
    students: list[Identifier] = Field(default_factory=list)


class SessionAssignment(Frozen):
    session: Identifier
    activity: Identifier
    facilitators: list[Identifier] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)


class Placement(Frozen):
    student: Identifier
    slot: Identifier


class Reason(Frozen):
    """Why a need is unmet: a stable code, a plain sentence and the ids it concerns."""

    code: str
    message: str
    related: list[str] = Field(default_factory=list)


class Unassigned(Frozen):
    """One unmet need: an activity session not attended, or one placement not held."""

    student: Identifier
    activity: Identifier | None = None
    requirement: str | None = None
    reasons: list[Reason] = Field(default_factory=list)


class ErrorItem(Frozen):
    """A validation problem: a JSON path into the scenario and a plain sentence."""

    path: str
    message: str


class SolveInfo(Frozen):
    seconds: float = 0.0
    solver: str = ""
    workers: int = 0
    time_limit_s: float | None = None
    seed: int | None = None


class AddSession(Frozen):
    """What-if change: a new session of an activity (`op` = "add_session")."""

    op: Literal["add_session"] = "add_session"
    activity: Identifier
    session: Identifier
    start: LocalDateTime
    end: LocalDateTime
    room: Identifier
    max_teams: int = Field(ge=0)


class SetMaxTeams(Frozen):
    """What-if change: a session may hold `max_teams` teams (`op` = "set_max_teams")."""

    op: Literal["set_max_teams"] = "set_max_teams"
    session: Identifier
    max_teams: int = Field(ge=0)


class SetCapacity(Frozen):
    """What-if change: a slot offers `capacity` seats (`op` = "set_capacity")."""

    op: Literal["set_capacity"] = "set_capacity"
    slot: Identifier
    capacity: int = Field(ge=0)


class AddSlot(Frozen):
    """What-if change: a new offered slot at a site and period (`op` = "add_slot")."""

    op: Literal["add_slot"] = "add_slot"
    slot: Identifier
    site: Identifier
    period: Identifier
    profession: Identifier
    capacity: int = Field(ge=0)


class SetMaxTravel(Frozen):
    """What-if change: the policy's travel limit becomes `max_travel_km`."""

    op: Literal["set_max_travel_km"] = "set_max_travel_km"
    max_travel_km: float = Field(ge=0)


ScenarioChange = Annotated[
    AddSession | SetMaxTeams | SetCapacity | AddSlot | SetMaxTravel, Field(discriminator="op")
]
"""One edit of a scenario; `scheduler.domain.changes.apply_changes` applies a list of them."""


class Suggestion(Frozen):
    """A what-if: changes to the scenario and the needs a re-solve met with them (extension).

    `needs_met` is the coverage of a schedule found for the changed scenario and accepted by
    the independent validator: the changes provably allow at least that many; `gain` is
    `needs_met` minus the coverage of the schedule being explained.
    """

    code: str
    message: str
    changes: list[ScenarioChange]
    needs_met: int
    gain: int
    related: list[str] = Field(default_factory=list)
    helps: list[Identifier] = Field(default_factory=list)
    """Students with a need unmet now and met in the verifying schedule."""


class Schedule(Frozen):
    """An `ipe-schedule/1` document."""

    format: Literal["ipe-schedule/1"] = SCHEDULE_FORMAT
    term: Identifier
    status: ScheduleStatus
    objectives: list[ObjectiveResult] = Field(default_factory=list)
    sessions: list[SessionAssignment] = Field(default_factory=list)
    placements: list[Placement] = Field(default_factory=list)
    unassigned: list[Unassigned] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    errors: list[ErrorItem] = Field(default_factory=list)
    solve: SolveInfo = Field(default_factory=SolveInfo)
    suggestions: list[Suggestion] = Field(default_factory=list)
    """What-if suggestions (extension, docs/explanations.md): only from `ipe explain`."""
