"""Pydantic models of the `ipe-scenario/1` document: everything known about one term.

Field names follow ../shared/spec/scenario-format.md exactly. Structural problems (types,
unknown fields, negative numbers) are caught here by pydantic; cross-references and rules
that need the whole document are checked in `scheduler.domain.checks`.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, NaiveDatetime

from scheduler.domain.scenario_types import ClockTime, Identifier, Weekday
from scheduler.domain.schedule import Schedule

SCENARIO_FORMAT: Final = "ipe-scenario/1"

ObjectiveName = Literal[
    "coverage",
    "preferences",
    "travel_fairness",
    "travel_total",
    "team_balance",
    "stability",
    "equity_gap",
]
DEFAULT_OBJECTIVES: list[ObjectiveName] = [
    "coverage",
    "preferences",
    "travel_fairness",
    "travel_total",
    "team_balance",
]

AttributeValue = str | bool | int | float


class Frozen(BaseModel):
    """Base of every contract model: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(Frozen):
    """A half-open local wall-clock interval [start, end)."""

    start: NaiveDatetime
    end: NaiveDatetime


class WeeklyWindow(Frozen):
    """A window that repeats every week on `day` between the dates that bound it."""

    day: Weekday
    start: ClockTime
    end: ClockTime


class Term(Frozen):
    id: Identifier
    name: str
    start: date
    end: date
    timezone: str


class Profession(Frozen):
    code: Identifier
    name: str


class GeoPoint(Frozen):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Student(Frozen):
    id: Identifier
    name: str
    email: str = ""
    profession: Identifier
    cohort: str | None = None
    unavailable: list[Interval] = Field(default_factory=list)
    weekly_unavailable: list[WeeklyWindow] = Field(default_factory=list)
    travel_mode: Literal["car", "transit"] = "car"
    home: GeoPoint | None = None
    languages: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    site_preferences: list[Identifier] = Field(default_factory=list)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    directory_opt_out: bool | None = None
    """Extension: the student opted out of directory information (their name is withheld
    from other students). Absent (None) means no opt-out; exports write it only when true."""

    @property
    def needs_accessible(self) -> bool:
        return "accessible" in self.needs


class ProgramCalendar(Frozen):
    """Busy time of every student of a profession (and cohort, when given)."""

    profession: Identifier
    cohort: str | None = None
    unavailable: list[Interval] = Field(default_factory=list)
    weekly_unavailable: list[WeeklyWindow] = Field(default_factory=list)


class Room(Frozen):
    id: Identifier
    name: str
    accessible: bool = False


class Facilitator(Frozen):
    id: Identifier
    name: str
    profession: Identifier
    unavailable: list[Interval] = Field(default_factory=list)
    weekly_unavailable: list[WeeklyWindow] = Field(default_factory=list)
    max_sessions: int | None = Field(default=None, ge=0)


class Participant(Frozen):
    """Students of `profession` (and `cohort`, when given) take part in an activity."""

    profession: Identifier
    cohort: str | None = None


class ProfessionLimit(Frozen):
    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)


class TeamRule(Frozen):
    min_size: int = Field(ge=1)
    max_size: int = Field(ge=1)
    min_professions: int = Field(default=1, ge=0)
    professions: dict[str, ProfessionLimit] = Field(default_factory=dict)


class Session(Frozen):
    id: Identifier
    start: NaiveDatetime
    end: NaiveDatetime
    room: Identifier
    max_teams: int = Field(ge=0)


class Activity(Frozen):
    id: Identifier
    name: str
    participants: list[Participant]
    team: TeamRule
    teams_per_facilitator: int = Field(default=0, ge=0)
    sessions: list[Session] = Field(default_factory=list)


class Site(Frozen):
    id: Identifier
    name: str
    location: GeoPoint
    transit_accessible: bool = False
    accessible: bool = False
    tags: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)


class Period(Frozen):
    """A placement block: its dates and the weekly hours a placed student is on site."""

    id: Identifier
    start: date
    end: date
    weekly: list[WeeklyWindow] = Field(default_factory=list)


class Slot(Frozen):
    """Seats a partner site offers to one profession in one period."""

    id: Identifier
    site: Identifier
    period: Identifier
    profession: Identifier
    capacity: int = Field(ge=0)
    language: str | None = None
    status: Literal["offered", "confirmed", "declined"] = "offered"


class PlacementRequirement(Frozen):
    """Each matching student needs `count` placements, `tags[t]` of them at sites tagged t.

    `id` is an extension of the contract: when omitted it is `PROFESSION` or
    `PROFESSION/COHORT`, and it names the requirement in `unassigned` entries.
    """

    id: str | None = None
    profession: Identifier
    cohort: str | None = None
    count: int = Field(ge=0)
    tags: dict[str, int] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        if self.id:
            return self.id
        return self.profession if self.cohort is None else f"{self.profession}/{self.cohort}"


class Pin(Frozen):
    """An assignment the coordinator fixed (extension): the student attends `session`, or
    holds `slot` (exactly one of the two), in every schedule solved for the scenario.

    A repair never moves it; when pins cannot all hold, the solver answers `infeasible`
    with the reasons in `errors` instead of a schedule.
    """

    student: Identifier
    session: Identifier | None = None
    slot: Identifier | None = None


class Policy(Frozen):
    """Limits and the lexicographic objective order; every field has a default."""

    max_travel_km: float | None = Field(default=None, ge=0)
    time_limit_s: float = Field(default=60, gt=0)
    objectives: list[ObjectiveName] = Field(default_factory=lambda: list(DEFAULT_OBJECTIVES))
    previous: Schedule | None = None
    pinned: list[Pin] = Field(default_factory=list)
    """Assignments that never move (extension; see `Pin`)."""
    workers: int | None = Field(default=None, ge=1)
    seed: int = 0


class Scenario(Frozen):
    """An `ipe-scenario/1` document."""

    format: Literal["ipe-scenario/1"] = SCENARIO_FORMAT
    term: Term
    professions: list[Profession] = Field(default_factory=list)
    students: list[Student] = Field(default_factory=list)
    program_calendars: list[ProgramCalendar] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list)
    facilitators: list[Facilitator] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)
    slots: list[Slot] = Field(default_factory=list)
    placement_requirements: list[PlacementRequirement] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
