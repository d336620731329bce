"""Per-student study plans, qualifications and cardinal scores (extension of `ipe-scenario/1`).

Clerkship students each complete their own set of disciplines, each a rotation at most
once, some before others, as in the medical-student-scheduling benchmark (Zanazzo et al.,
J. Scheduling 2024). These models are fields of `Student` (`plan`, `qualifications`,
`scores`, `score_weight`) and are checked against the rest of the scenario in
`scheduler.domain.plan_checks`. Imports only pydantic and the contract's value types.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

from scheduler.domain.scenario_types import Identifier

MAX_PLAN_COUNT: Final = 1_000_000
MAX_SCORE: Final = 1_000
"""Scores and weights are small integers: a weighted score sum stays exact in CP-SAT."""

Score = Annotated[int, Field(ge=0, le=MAX_SCORE)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ElectiveGroup(_Frozen):
    """Choose `choose` disciplines among `among` (each at most once)."""

    choose: int = Field(ge=0, le=MAX_PLAN_COUNT)
    among: list[Identifier]


class Precedence(_Frozen):
    """If the student holds `after`, they hold `before` too and it ends before `after` starts."""

    before: Identifier
    after: Identifier


class StudentPlan(_Frozen):
    """One student's disciplines: `required` each exactly once plus `electives`.

    The plan replaces the count of the student's placement requirement (its tag minimums
    still apply): the student needs len(required) + sum(choose) placements, each a slot of a
    plan discipline, no discipline twice, rotations never sharing a date.
    """

    required: list[Identifier] = Field(default_factory=list)
    electives: list[ElectiveGroup] = Field(default_factory=list)
    precedences: list[Precedence] = Field(default_factory=list)
    min_gap_days: int | None = Field(default=None, ge=0, le=MAX_PLAN_COUNT)
    """Whole days at least between two consecutive rotations."""
    max_gap_days: int | None = Field(default=None, ge=0, le=MAX_PLAN_COUNT)
    """Whole days at most between two consecutive rotations."""
    max_per_site: int | None = Field(default=None, ge=0, le=MAX_PLAN_COUNT)
    """At most this many rotations at one site."""
    max_site_changes: int | None = Field(default=None, ge=0, le=MAX_PLAN_COUNT)
    """At most this many consecutive rotations at different sites."""

    @property
    def count(self) -> int:
        """Placements the plan asks for."""
        return len(self.required) + sum(group.choose for group in self.electives)

    @property
    def disciplines(self) -> set[str]:
        """Every discipline the student may hold."""
        return set(self.required) | {d for group in self.electives for d in group.among}

    def without(self, done: set[str]) -> StudentPlan:
        """The plan left once the disciplines `done` in earlier terms are counted: none of
        them is required or chosen again (so none may be held again), an elective group
        needs that many fewer, and a precedence with either side done is met."""
        if not done & self.disciplines:
            return self
        electives = [
            ElectiveGroup(
                choose=max(0, group.choose - len(done & set(group.among))),
                among=[d for d in group.among if d not in done],
            )
            for group in self.electives
        ]
        return self.model_copy(
            update={
                "required": [d for d in self.required if d not in done],
                "electives": electives,
                "precedences": [
                    p for p in self.precedences if p.before not in done and p.after not in done
                ],
            }
        )


class StudentScores(_Frozen):
    """Cardinal satisfaction of a placement: the site's score plus the discipline's score."""

    sites: dict[Identifier, Score] = Field(default_factory=dict)
    disciplines: dict[Identifier, Score] = Field(default_factory=dict)

    def of(self, site: str, discipline: str | None) -> int:
        """The score of one placement at `site` in `discipline`."""
        own = self.disciplines.get(discipline, 0) if discipline is not None else 0
        return self.sites.get(site, 0) + own
