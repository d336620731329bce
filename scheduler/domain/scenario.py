"""Pydantic models of the `ipe-scenario/1` document: everything known about one term.

Field names follow ../shared/spec/scenario-format.md exactly. Structural problems (types,
unknown fields, negative numbers) are caught here by pydantic; cross-references and rules
that need the whole document are checked in `scheduler.domain.checks`.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from scheduler.domain.credential_model import Credential
from scheduler.domain.plans import MAX_SCORE, StudentPlan, StudentScores
from scheduler.domain.scenario_types import (
    ClockTime,
    Identifier,
    LocalDateTime,
    Text,
    Weekday,
)
from scheduler.domain.schedule import Schedule
from scheduler.domain.text_rules import check_text

SCENARIO_FORMAT: Final = "ipe-scenario/1"

ObjectiveName = Literal[
    "coverage",
    "preferences",
    "travel_fairness",
    "travel_total",
    "team_balance",
    "stability",
    "equity_gap",
    "distinct_sites",
    "distinct_tags",
    "scores",
    "worst_satisfaction",
    "compactness",
]
DEFAULT_OBJECTIVES: list[ObjectiveName] = [
    "coverage",
    "preferences",
    "travel_fairness",
    "travel_total",
    "team_balance",
]


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Input should be a finite number")
    return value


def _attribute_text(value: bool | int | float | str) -> bool | int | float | str:
    return check_text(value) if isinstance(value, str) else value


MAX_COUNT: Final = 1_000_000
"""The largest count, capacity or size: far above any real term, and small enough that no
database column or solver variable overflows."""

AttributeValue = Annotated[
    bool | int | float | str, BeforeValidator(_finite), AfterValidator(_attribute_text)
]


class Frozen(BaseModel):
    """Base of every contract model: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Interval(Frozen):
    """A half-open local wall-clock interval [start, end)."""

    start: LocalDateTime
    end: LocalDateTime


class WeeklyWindow(Frozen):
    """A window that repeats every week on `day` between the dates that bound it."""

    day: Weekday
    start: ClockTime
    end: ClockTime


class Term(Frozen):
    id: Identifier
    name: Text
    start: date
    end: date
    timezone: Text


class Profession(Frozen):
    code: Identifier
    name: Text


class GeoPoint(Frozen):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class HistoryPlacement(Frozen):
    """Extension: a placement the student held in an earlier term. It counts toward tag
    minimums and limits, `no_repeat_site` and the diversity levels; `site` and `unit` need
    not be sites of this term. `discipline` is carried for discipline plans."""

    site: Identifier
    unit: Identifier | None = None
    tags: list[Text] = Field(default_factory=list)
    start: date
    end: date
    discipline: Text | None = None


class Student(Frozen):
    id: Identifier
    name: Text
    email: Text = ""
    profession: Identifier
    cohort: Text | None = None
    unavailable: list[Interval] = Field(default_factory=list)
    weekly_unavailable: list[WeeklyWindow] = Field(default_factory=list)
    travel_mode: Literal["car", "transit"] = "car"
    home: GeoPoint | None = None
    languages: list[Text] = Field(default_factory=list)
    needs: list[Text] = Field(default_factory=list)
    site_preferences: list[Identifier] = Field(default_factory=list)
    attributes: dict[Text, AttributeValue] = Field(default_factory=dict)
    directory_opt_out: bool | None = None
    """Extension: the student opted out of directory information (their name is withheld
    from other students). Absent (None) means no opt-out; exports write it only when true."""
    credentials: list[Credential] = Field(default_factory=list)
    """Extension: documents the student holds (`scheduler.domain.credentials`)."""
    history: list[HistoryPlacement] = Field(default_factory=list)
    """Extension: placements of earlier terms (see `HistoryPlacement`)."""
    plan: StudentPlan | None = None
    """Extension: the student's own disciplines (`scheduler.domain.plans`)."""
    qualifications: list[Identifier] | None = None
    """Extension: what the student holds; a slot's `requires` must all be among them
    (absent: none; None defaults keep older documents byte-identical when written back)."""
    scores: StudentScores | None = None
    """Extension: cardinal scores of sites and disciplines (objectives `scores`,
    `worst_satisfaction`)."""
    score_weight: int | None = Field(default=None, ge=0, le=MAX_SCORE)
    """Extension: multiplies the student's scores (absent: 1)."""

    @property
    def term_plan(self) -> StudentPlan | None:
        """The plan this term asks for: the disciplines of `history` are done, not required
        or held again (`StudentPlan.without`). Every rule and level reads this one."""
        if self.plan is None:
            return None
        return self.plan.without({h.discipline for h in self.history if h.discipline})

    @property
    def held_qualifications(self) -> set[str]:
        return set(self.qualifications or ())

    @property
    def weight(self) -> int:
        """The multiplier of the student's scores."""
        return 1 if self.score_weight is None else self.score_weight

    @property
    def needs_accessible(self) -> bool:
        return "accessible" in self.needs


class ProgramCalendar(Frozen):
    """Busy time of every student of a profession (and cohort, when given)."""

    profession: Identifier
    cohort: Text | None = None
    unavailable: list[Interval] = Field(default_factory=list)
    weekly_unavailable: list[WeeklyWindow] = Field(default_factory=list)


class Room(Frozen):
    id: Identifier
    name: Text
    accessible: bool = False


class Facilitator(Frozen):
    id: Identifier
    name: Text
    profession: Identifier
    unavailable: list[Interval] = Field(default_factory=list)
    weekly_unavailable: list[WeeklyWindow] = Field(default_factory=list)
    max_sessions: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class Participant(Frozen):
    """Students of `profession` (and `cohort`, when given) take part in an activity."""

    profession: Identifier
    cohort: Text | None = None


class ProfessionLimit(Frozen):
    min: int = Field(default=0, ge=0, le=MAX_COUNT)
    max: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class TeamRule(Frozen):
    min_size: int = Field(ge=1, le=MAX_COUNT)
    max_size: int = Field(ge=1, le=MAX_COUNT)
    min_professions: int = Field(default=1, ge=0, le=MAX_COUNT)
    professions: dict[Identifier, ProfessionLimit] = Field(default_factory=dict)


class Session(Frozen):
    id: Identifier
    start: LocalDateTime
    end: LocalDateTime
    room: Identifier
    max_teams: int = Field(ge=0, le=MAX_COUNT)


class Activity(Frozen):
    id: Identifier
    name: Text
    participants: list[Participant]
    team: TeamRule
    teams_per_facilitator: int = Field(default=0, ge=0, le=MAX_COUNT)
    sessions: list[Session] = Field(default_factory=list)


class Unit(Frozen):
    """Extension: a unit of a site (a ward, a service): slots may name it, weekly capacities
    may bound it, and its tags add to the site's for placements in it."""

    id: Identifier
    name: Text
    tags: list[Text] = Field(default_factory=list)
    min_fill: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    """Hard when given: in every week a non-declined slot of the unit is active, at least
    this many students are placed in the unit."""


class Site(Frozen):
    id: Identifier
    name: Text
    location: GeoPoint
    transit_accessible: bool = False
    accessible: bool = False
    tags: list[Text] = Field(default_factory=list)
    languages: list[Text] = Field(default_factory=list)
    address: Text | None = None
    """Extension: the street address people travel to, shown on pages, feeds and messages."""
    required_credentials: list[Identifier] = Field(default_factory=list)
    """Extension: credential codes a student must hold, valid on every date of a placement."""
    units: list[Unit] = Field(default_factory=list)
    """Extension: the site's units (see `Unit`); ids unique within the site."""


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
    capacity: int = Field(ge=0, le=MAX_COUNT)
    language: Text | None = None
    status: Literal["offered", "confirmed", "declined"] = "offered"
    required_credentials: list[Identifier] = Field(default_factory=list)
    """Extension: credential codes this slot requires on top of its site's."""
    unit: Identifier | None = None
    """Extension: the unit of `site` the seats are in."""
    discipline: Identifier | None = None
    """Extension: the discipline a rotation in this slot counts for (student plans)."""
    requires: list[Identifier] | None = None
    """Extension: qualifications a student needs to hold this slot (absent: none)."""

    @property
    def required_qualifications(self) -> set[str]:
        return set(self.requires or ())


class PlacementRequirement(Frozen):
    """Each matching student needs `count` placements, `tags[t]` of them at sites tagged t.

    `id` is an extension of the contract: when omitted it is `PROFESSION` or
    `PROFESSION/COHORT`, and it names the requirement in `unassigned` entries.
    """

    id: Text | None = None
    profession: Identifier
    cohort: Text | None = None
    count: int = Field(ge=0, le=MAX_COUNT)
    tags: dict[Text, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(default_factory=dict)
    tag_limits: dict[Text, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(default_factory=dict)
    """Extension: at most `tag_limits[t]` placements tagged t, history included, whatever
    number the student holds (a limit of 1 makes the tag's placements distinct)."""

    @property
    def key(self) -> str:
        if self.id:
            return self.id
        return self.profession if self.cohort is None else f"{self.profession}/{self.cohort}"


class WeeklyCapacity(Frozen):
    """Extension: at most `capacity` students placed at `site` (or its `unit`) in each week,
    counting every placement whose period is active that week, of `profession` and `cohort`
    when given. Weeks are ISO weeks (Monday to Sunday, term-local dates): `weeks` lists
    their Mondays, or `first_week`..`last_week` bound them (Mondays, inclusive); neither
    means every week."""

    site: Identifier
    unit: Identifier | None = None
    profession: Identifier | None = None
    cohort: Text | None = None
    weeks: list[date] = Field(default_factory=list)
    first_week: date | None = None
    last_week: date | None = None
    capacity: int = Field(ge=0, le=MAX_COUNT)


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
    workers: int | None = Field(default=None, ge=1, le=256)
    seed: int = Field(default=0, ge=-(2**31), le=2**31 - 1)
    no_repeat_site: bool = False
    """Extension: hard when true: a student never holds two placements at one site, nor one
    at a site of their history."""

    @field_validator("previous")
    @classmethod
    def _reasons_inline(cls, previous: Schedule | None) -> Schedule | None:
        """A compact previous schedule is read with its reasons inline (the solver copies
        unmet needs and must not see references to shared reasons)."""
        return previous.expanded() if previous is not None else None


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
    weekly_capacities: list[WeeklyCapacity] = Field(default_factory=list)
    """Extension: capacity calendars (see `WeeklyCapacity`)."""
