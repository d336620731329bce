"""Pydantic models of the `ipe-schedule/1` document: the solver's answer for one term."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.domain.scenario_types import Identifier

SCHEDULE_FORMAT = "ipe-schedule/1"

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
