"""Alternative schedules of one term: how close to the best each must stay, how different
they are, and the comparison table a coordinator chooses from.

Pure and solver-free, so the solver (which searches within the tolerance), the CLI, the
services and the pages all judge alternatives the same way (docs/alternatives.md):
- a level is *within tolerance* of the best when a maximised level (coverage) is at least
  `best - t * |best|` and a minimised level at most `best + t * |best|`, with `t` the
  level's tolerance (a fraction: 0.02 is 2 %). `t = 0` asks for the best value itself;
  a minimised level whose best is 0 therefore allows only 0, whatever `t` is;
- two schedules differ for a student when the student's placements (slots held) or the
  session they attend in some activity differ (a new team in the same session does not
  count).
Every figure of the comparison is recomputed here from the scenario and the schedules
(`validator.objective_values`, `metrics.schedule_metrics`, `equity.equity_report`), never
taken from what a schedule claims.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.domain.claims import MAXIMISED, TOLERANCE
from scheduler.domain.diff import attendance, placements
from scheduler.domain.equity import equity_report
from scheduler.domain.metrics import schedule_metrics
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values, validate_schedule

COMPARISON_FORMAT = "ipe-alternatives/1"
DEFAULT_TOLERANCE = 0.02
"""Every level but coverage may be 2 % worse than the best by default."""
DEFAULT_LEVEL_TOLERANCES: Mapping[str, float] = {"coverage": 0.0}
"""Coverage (needs met) stays equal to the best unless asked otherwise."""
MAX_ALTERNATIVES = 10


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A tolerance: a fraction of the best value, from 0 to 1."""


class Tolerance(Frozen):
    """How much worse than the best each level may be, as a fraction of the best value."""

    default: Share = DEFAULT_TOLERANCE
    levels: dict[str, Share] = Field(default_factory=dict)
    """Per level name; a level not named here takes `default` (coverage: 0)."""

    def of(self, level: str) -> float:
        if level in self.levels:
            return self.levels[level]
        return DEFAULT_LEVEL_TOLERANCES.get(level, self.default)

    def with_levels(self, levels: Mapping[str, float]) -> Tolerance:
        """This tolerance with some levels set (each a fraction in [0, 1])."""
        for name, value in levels.items():
            if not 0 <= value <= 1:
                raise ValueError(f"tolerance of {name} must be between 0 and 1, not {value}")
        return self.model_copy(update={"levels": {**self.levels, **levels}})


def parse_tolerance(texts: Sequence[str], levels: Sequence[str]) -> Tolerance:
    """A tolerance from `FRACTION` (every level but coverage) and `LEVEL=FRACTION` items,
    e.g. ["0.05", "travel_total=0.1"]; ValueError naming the item that is wrong."""
    tolerance = Tolerance()
    named: dict[str, float] = {}
    for text in texts:
        name, _, share = text.rpartition("=")
        try:
            value = float(share)
        except ValueError:
            raise ValueError(f"{text!r}: not a fraction such as 0.02 or preferences=0.02") from None
        if not 0 <= value <= 1 or value != value:
            raise ValueError(f"{text!r}: a tolerance is a fraction between 0 and 1")
        if not name:
            tolerance = tolerance.model_copy(update={"default": value})
        elif name not in levels:
            raise ValueError(
                f"{text!r}: {name!r} is not a level of the policy ({', '.join(levels)})"
            )
        else:
            named[name] = value
    return tolerance.with_levels(named)


def allowed(level: str, best: float, tolerance: float) -> float:
    """The worst value of `level` still within `tolerance` of `best`."""
    slack = tolerance * abs(best)
    return best - slack if level in MAXIMISED else best + slack


def within(level: str, value: float, best: float, tolerance: float) -> bool:
    """Whether `value` is within `tolerance` of `best` on `level` (better is always in)."""
    limit = allowed(level, best, tolerance)
    if level in MAXIMISED:
        return value >= limit - TOLERANCE
    return value <= limit + TOLERANCE


def model_limit(level: str, best: float, tolerance: float, unit: float) -> int:
    """`allowed` in a model's integer units (value = model value * unit), rounded inwards so
    that every model value satisfying it is within tolerance."""
    limit = allowed(level, best, tolerance) / unit
    return math.ceil(limit - 1e-9) if level in MAXIMISED else math.floor(limit + 1e-9)


def differing_students(first: Schedule, second: Schedule) -> set[str]:
    """Students whose placements, or whose session in some activity, differ."""
    held_a, held_b = placements(first), placements(second)
    seen_a, seen_b = attendance(first), attendance(second)
    moved = {
        s for s in held_a.keys() | held_b.keys() if held_a.get(s, set()) != held_b.get(s, set())
    }
    moved |= {
        student
        for student, activity in seen_a.keys() | seen_b.keys()
        if seen_a.get((student, activity), set()) != seen_b.get((student, activity), set())
    }
    return moved


class LevelCell(Frozen):
    """One objective level of one alternative, recomputed by the validator."""

    name: str
    value: float | None
    bound: float | None = None
    """The bound the schedule claims, if it holds for it (see docs/alternatives.md)."""
    proven: bool = False
    """The value equals a valid bound: nothing better exists (given the earlier levels)."""
    best: float | None = None
    """The first (best) schedule's value."""
    allowed: float | None = None
    """The worst value within tolerance."""
    tolerance: float = 0.0
    within: bool = True


class EquityFlagCell(Frozen):
    """A flagged gap of the equity report (`equity.equity_report`, default threshold)."""

    group: str
    """The group's label (e.g. `first_generation = true`), or `group N` where attribute
    names must not appear (the API: docs/privacy.md)."""
    group_number: int
    """The group's place in the equity report's groups (1 = first), the same in every
    column."""
    metric: str
    gap: float
    worse: bool | None


class AlternativeColumn(Frozen):
    """One alternative in the comparison table."""

    index: int
    """1 is the best schedule; others follow in the order they were found."""
    status: str
    valid: bool
    violations: int = 0
    objectives: list[LevelCell] = Field(default_factory=list)
    within_tolerance: bool = True
    coverage_by_activity: dict[str, float] = Field(default_factory=dict)
    """Share of the activity's participants who attend a session (0-1)."""
    coverage_by_requirement: dict[str, float] = Field(default_factory=dict)
    """Share of the requirement's placements held (0-1)."""
    equity_flags: list[EquityFlagCell] = Field(default_factory=list)
    moved_vs_first: int = 0
    """Students whose placements or sessions differ from alternative 1."""
    fewest_differing: int | None = None
    """Fewest students differing from any earlier alternative (None for the first)."""
    version: int | None = None
    """The stored draft version holding it (runs only)."""


class Comparison(Frozen):
    """Alternatives side by side; every value recomputed from the scenario."""

    format: Literal["ipe-alternatives/1"] = "ipe-alternatives/1"
    term: str
    tolerance: Tolerance
    levels: list[str]
    alternatives: list[AlternativeColumn]

    def without_group_names(self) -> Comparison:
        """The same table with each flagged group named by its number only."""
        columns = [
            column.model_copy(
                update={
                    "equity_flags": [
                        flag.model_copy(update={"group": f"group {flag.group_number}"})
                        for flag in column.equity_flags
                    ]
                }
            )
            for column in self.alternatives
        ]
        return self.model_copy(update={"alternatives": columns})

    @property
    def pairwise_different(self) -> bool:
        return all(
            column.fewest_differing is None or column.fewest_differing > 0
            for column in self.alternatives
        )


def compare(
    scenario: Scenario,
    schedules: Sequence[Schedule],
    tolerance: Tolerance,
    versions: Sequence[int | None] | None = None,
) -> Comparison:
    """The comparison table of `schedules` (the first is the best) on `scenario`."""
    levels = list(scenario.policy.objectives)
    best = objective_values(scenario, schedules[0]) if schedules else {}
    columns = []
    for index, schedule in enumerate(schedules):
        earlier = schedules[:index]
        version = versions[index] if versions is not None else None
        columns.append(_column(scenario, schedule, index, earlier, best, tolerance, version))
    return Comparison(
        term=scenario.term.id, tolerance=tolerance, levels=levels, alternatives=columns
    )


def _column(
    scenario: Scenario,
    schedule: Schedule,
    index: int,
    earlier: Sequence[Schedule],
    best: Mapping[str, float],
    tolerance: Tolerance,
    version: int | None,
) -> AlternativeColumn:
    violations = validate_schedule(scenario, schedule)
    values = objective_values(scenario, schedule)
    cells = [
        _cell(level, values, best, tolerance, schedule) for level in scenario.policy.objectives
    ]
    metrics = schedule_metrics(scenario, schedule)["coverage"]
    report = equity_report(scenario, schedule)
    flags = [
        EquityFlagCell(
            group=group.label,
            group_number=report.groups.index(group) + 1,
            metric=flag.metric,
            gap=flag.gap,
            worse=flag.worse,
        )
        for group, flag in report.flagged()
    ]
    differing = [len(differing_students(other, schedule)) for other in earlier]
    return AlternativeColumn(
        index=index + 1,
        status=schedule.status,
        valid=not violations,
        violations=len(violations),
        objectives=cells,
        within_tolerance=all(cell.within for cell in cells),
        coverage_by_activity={k: v["rate"] for k, v in metrics["activities"].items()},
        coverage_by_requirement={k: v["rate"] for k, v in metrics["requirements"].items()},
        equity_flags=flags,
        moved_vs_first=differing[0] if differing else 0,
        fewest_differing=min(differing) if differing else None,
        version=version,
    )


def _cell(
    level: str,
    values: Mapping[str, float],
    best: Mapping[str, float],
    tolerance: Tolerance,
    schedule: Schedule,
) -> LevelCell:
    value, top = values.get(level), best.get(level)
    claimed = next((o for o in schedule.objectives if o.name == level), None)
    bound = claimed.bound if claimed is not None else None
    proven = value is not None and bound is not None and abs(value - bound) < TOLERANCE
    share = tolerance.of(level)
    if value is None or top is None:
        return LevelCell(name=level, value=value, bound=bound, proven=proven, tolerance=share)
    return LevelCell(
        name=level,
        value=value,
        bound=bound,
        proven=proven,
        best=top,
        allowed=round(allowed(level, top, share), 6),
        tolerance=share,
        within=within(level, value, top, share),
    )
