"""Pydantic models of the `ipe-schedule/1` document: the solver's answer for one term."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    """One unmet need: an activity session not attended, or one placement not held.

    Its full reasons are `reasons` followed by those of `reason_group`, when given
    (`Schedule.reasons_of`)."""

    student: Identifier
    activity: Identifier | None = None
    requirement: str | None = None
    reasons: list[Reason] = Field(default_factory=list)
    reason_group: int | None = Field(default=None, ge=0)
    """Extension (compact schedules): index into `Schedule.reason_groups`."""


class ErrorItem(Frozen):
    """A validation problem: a JSON path into the scenario and a plain sentence."""

    path: str
    message: str


StageOutcome = Literal["ran", "skipped", "answered", "searched", "kept", "reached"]
StageDetail = dict[str, float | int | str | bool | None]


class StageTrace(Frozen):
    """*Extension*: one step of the solve pipeline as it ran (`solver.driver.STAGES`):
    `ran`, `skipped` (the detail says why) or `answered` (it gave the schedule); a level of
    the lexicographic solve is `searched` by CP-SAT, `kept` its start values or `reached` its
    bound without a search."""

    name: str
    seconds: float = 0.0
    outcome: StageOutcome = "ran"
    detail: StageDetail = Field(default_factory=dict)


class SolveInfo(Frozen):
    seconds: float = 0.0
    solver: str = ""
    workers: int = 0
    time_limit_s: float | None = None
    seed: int | None = None
    stages: list[StageTrace] | None = None
    """*Extension*: the pipeline's trace, stage by stage (None: not recorded)."""


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


class RenewCredential(Frozen):
    """What-if change (extension): the student holds a valid credential `code` from `issued`
    until `expires` (`op` = "renew_credential"): a renewal, or a first issue."""

    op: Literal["renew_credential"] = "renew_credential"
    student: Identifier
    code: Identifier
    issued: date
    expires: date


ScenarioChange = Annotated[
    AddSession | SetMaxTeams | SetCapacity | AddSlot | SetMaxTravel | RenewCredential,
    Field(discriminator="op"),
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
    shared_reasons: list[Reason] = Field(default_factory=list)
    """Extension (compact schedules): every distinct reason once."""
    reason_groups: list[list[Annotated[int, Field(ge=0)]]] = Field(default_factory=list)
    """Extension (compact schedules): each distinct list of reasons once, as indices into
    `shared_reasons`; unmet needs with the same causes share one group."""

    @model_validator(mode="after")
    def _references_resolve(self) -> Schedule:
        for number, group in enumerate(self.reason_groups):
            for index in group:
                if index >= len(self.shared_reasons):
                    raise ValueError(
                        f"reason_groups[{number}] refers to shared_reasons[{index}], which"
                        f" does not exist ({len(self.shared_reasons)} shared reasons)"
                    )
        for number, entry in enumerate(self.unassigned):
            if entry.reason_group is not None and entry.reason_group >= len(self.reason_groups):
                raise ValueError(
                    f"unassigned[{number}].reason_group {entry.reason_group} does not exist"
                    f" ({len(self.reason_groups)} reason groups)"
                )
        return self

    def reasons_of(self, entry: Unassigned) -> list[Reason]:
        """The entry's full reasons, wherever they are written."""
        if entry.reason_group is None:
            return list(entry.reasons)
        shared = [self.shared_reasons[i] for i in self.reason_groups[entry.reason_group]]
        return [*entry.reasons, *shared]

    def compacted(self) -> Schedule:
        """The same schedule with each distinct reason written once and each distinct list
        of reasons once (`reason_groups`); `expanded()` gives the inline form back."""
        plain = self.expanded()
        index: dict[tuple[str, str, tuple[str, ...]], int] = {}
        shared: list[Reason] = []
        groups: dict[tuple[int, ...], int] = {}
        entries = []
        for entry in plain.unassigned:
            if not entry.reasons:
                entries.append(entry)
                continue
            refs = []
            for reason in entry.reasons:
                key = (reason.code, reason.message, tuple(reason.related))
                if key not in index:
                    index[key] = len(shared)
                    shared.append(reason)
                refs.append(index[key])
            group = groups.setdefault(tuple(refs), len(groups))
            entries.append(entry.model_copy(update={"reasons": [], "reason_group": group}))
        return plain.model_copy(
            update={
                "unassigned": entries,
                "shared_reasons": shared,
                "reason_groups": [list(key) for key in groups],
            }
        )

    def expanded(self) -> Schedule:
        """The same schedule with every unmet need's reasons written inline (the form of
        the first contract version); no shared reasons or groups."""
        if not self.reason_groups and not self.shared_reasons:
            return self
        entries = [
            entry.model_copy(update={"reasons": self.reasons_of(entry), "reason_group": None})
            for entry in self.unassigned
        ]
        return self.model_copy(
            update={"unassigned": entries, "shared_reasons": [], "reason_groups": []}
        )
