"""Equity report: outcomes of a schedule by profession and student group, gaps to the rest.

Pure: a scenario and a schedule in (optionally the schedule before a repair, and the same
term solved without the fairness level), a JSON-able `EquityReport` out. Nothing here reads
files or the solver, so any stored schedule can be reported on and tests need no solve.

For every group of `scheduler.domain.equity_groups` (profession, travel mode, language,
need, each attribute value) the report gives each metric of `METRICS` for the group and for
the rest, and the gap between them; a gap is flagged when it exceeds `threshold` times the
all-students value. Privacy: a group or rest under `MIN_GROUP_SIZE` students is left out
entirely (only the count of such groups is given), and a figure drawn from fewer than
`MIN_GROUP_SIZE` students of a group or of its rest is left blank. docs/equity.md has the
definitions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.domain.csv_text import csv_text
from scheduler.domain.diff import attendance, diff_schedules, placements
from scheduler.domain.equity_groups import (
    MIN_GROUP_SIZE,
    Group,
    all_groups,
    comparable,
    gap_groups,
    shown,
    travel_difference,
    travel_gap_metres,
)
from scheduler.domain.geo import travel_between
from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.scenario import AttributeValue, Scenario, Site, Student
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values

REPORT_FORMAT: Final = "ipe-equity-report/1"
DEFAULT_THRESHOLD = 0.1
"""A gap is flagged above 10 % of the all-students value (in the metric's own unit)."""
UNDERSERVED_TAG = "underserved"

METRICS: Final = (
    "coverage",
    "top_choice_rate",
    "mean_rank",
    "mean_travel_km",
    "p90_travel_km",
    "travel_per_student_km",
    "underserved_share",
    "moved_share",
)
BETTER: Final[dict[str, Literal["higher", "lower"] | None]] = {
    "coverage": "higher",
    "top_choice_rate": "higher",
    "mean_rank": "lower",
    "mean_travel_km": "lower",
    "p90_travel_km": "lower",
    "travel_per_student_km": "lower",
    "underserved_share": None,
    "moved_share": "lower",
}
"""Which direction is better for the student; None: neither (a fact, not a burden)."""
COST_OBJECTIVES: Final = (
    "coverage",
    "preferences",
    "travel_fairness",
    "travel_total",
    "equity_gap",
)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Outcomes(Frozen):
    """One figure per metric; None when nothing to measure or drawn from too few students."""

    coverage: float | None = None
    """Needs met / needs owed (session attendances and placements)."""
    top_choice_rate: float | None = None
    """Share of placements at the student's first-ranked site (students who ranked sites)."""
    mean_rank: float | None = None
    """Mean rank of placed sites in the student's list; unranked = len + 1 (same students)."""
    mean_travel_km: float | None = None
    """Mean km per placement (students with a known home)."""
    p90_travel_km: float | None = None
    """90th percentile (nearest rank) of km per placement (students with a known home)."""
    travel_per_student_km: float | None = None
    """Travel summed per student, averaged over students who need placements (what
    `equity_gap` compares); an unknown home counts 0 as in docs/objectives.md."""
    underserved_share: float | None = None
    """Share of placements at sites tagged `underserved`."""
    moved_share: float | None = None
    """Share of students with any change against the previous schedule (moved, added or
    dropped, as `scheduler.domain.diff` counts them for `stability`)."""


class GapFlag(Frozen):
    """A gap larger than the threshold allows: `worse` says whether the group is the worse
    off side (None for metrics with no better direction)."""

    metric: str
    gap: float
    limit: float
    worse: bool | None


class GroupOutcome(Frozen):
    dimension: str
    value: AttributeValue
    label: str
    students: int
    outcome: Outcomes
    rest: Outcomes
    gap: Outcomes
    """Group minus rest, metric by metric."""
    flags: list[GapFlag] = Field(default_factory=list)


class EquityGap(Frozen):
    """The `equity_gap` objective's value for this schedule (validator recomputation) and the
    attribute group that sets it."""

    value: float
    worst_group: str | None = None


class CostLine(Frozen):
    """An objective with the fairness level and without it (the baseline schedule)."""

    objective: str
    with_fairness: float
    without_fairness: float
    delta: float


class EquityReport(Frozen):
    format: Literal["ipe-equity-report/1"] = REPORT_FORMAT
    term: str
    threshold: float
    min_group_size: int = MIN_GROUP_SIZE
    students: int
    overall: Outcomes
    groups: list[GroupOutcome]
    suppressed_groups: int
    """Groups left out because they, or their rest, have fewer than min_group_size students
    (a group of every student has no rest and is simply not listed)."""
    equity_gap: EquityGap
    compared_with_previous: bool = False
    cost: list[CostLine] = Field(default_factory=list)
    """Empty unless a schedule without the fairness level was given."""

    def flagged(self) -> list[tuple[GroupOutcome, GapFlag]]:
        """Every flag with its group, in report order."""
        return [(group, flag) for group in self.groups for flag in group.flags]


# --- per-student facts -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What one student got from the schedule, in the units the metrics need."""

    owed: int
    met: int
    ranks: tuple[int, ...]
    """Ranks of the student's placements, empty when they ranked no sites."""
    travels: tuple[float, ...]
    """Km of each placement, empty when their home is unknown."""
    tenths: int
    """Travel of all their placements in 0.1 km (0 without a home)."""
    needs_placements: bool
    placements: int
    underserved: int
    moved: bool | None


def _student_facts(
    scenario: Scenario, schedule: Schedule, previous: Schedule | None
) -> dict[str, _Facts]:
    lookup = _Lookup.of(scenario, schedule, previous)
    return {student.id: lookup.facts(student) for student in scenario.students}


@dataclass(frozen=True)
class _Lookup:
    """The schedule digested once: attendance, placements (with their sites) and changes."""

    scenario: Scenario
    attended: dict[tuple[str, str], set[str]]
    sites_held: dict[str, list[Site]]
    moved: set[str] | None

    @classmethod
    def of(cls, scenario: Scenario, schedule: Schedule, previous: Schedule | None) -> _Lookup:
        sites = {site.id: site for site in scenario.sites}
        site_of = {slot.id: sites.get(slot.site) for slot in scenario.slots}
        sites_held = {
            student: [site for slot in sorted(slots) if (site := site_of.get(slot)) is not None]
            for student, slots in placements(schedule).items()
        }
        moved = None if previous is None else set(diff_schedules(previous, schedule).students)
        return cls(scenario, attendance(schedule), sites_held, moved)

    def facts(self, student: Student) -> _Facts:
        requirement = requirement_for(student, self.scenario.placement_requirements)
        count = requirement.count if requirement is not None else 0
        activities = [a.id for a in self.scenario.activities if participates(student, a)]
        placed = self.sites_held.get(student.id, [])
        travels = [travel_between(student.home, site.location) for site in placed]
        preferring = bool(student.site_preferences)
        return _Facts(
            owed=len(activities) + count,
            met=sum(bool(self.attended.get((student.id, a))) for a in activities)
            + min(len(placed), count),
            ranks=tuple(_rank(student, site.id) for site in placed) if preferring else (),
            travels=tuple(travels) if student.home is not None else (),
            tenths=sum(round(km * 10) for km in travels),
            needs_placements=count > 0,
            placements=len(placed),
            underserved=sum(UNDERSERVED_TAG in site.tags for site in placed),
            moved=None if self.moved is None else student.id in self.moved,
        )


def _rank(student: Student, site: str) -> int:
    preferences = student.site_preferences
    return preferences.index(site) + 1 if site in preferences else len(preferences) + 1


# --- metrics ---------------------------------------------------------------------------------

Measured = dict[str, tuple[float | None, int]]
"""Per metric: its value and how many students it is drawn from."""


def _measure(facts: Sequence[_Facts], with_moves: bool) -> Measured:
    """Every metric over a set of students, with the number of students behind each."""
    owing = [f for f in facts if f.owed]
    ranked = [f for f in facts if f.ranks]
    ranks = [r for f in ranked for r in f.ranks]
    homed = [f for f in facts if f.travels]
    travels = sorted(km for f in homed for km in f.travels)
    needing = [f for f in facts if f.needs_placements]
    placed = [f for f in facts if f.placements]
    placements = sum(f.placements for f in placed)
    measured: Measured = {
        "coverage": (_ratio(sum(f.met for f in owing), sum(f.owed for f in owing)), len(owing)),
        "top_choice_rate": (_ratio(ranks.count(1), len(ranks)), len(ranked)),
        "mean_rank": (_ratio(sum(ranks), len(ranks)), len(ranked)),
        "mean_travel_km": (_ratio(sum(travels), len(travels)), len(homed)),
        "p90_travel_km": (_p90(travels), len(homed)),
        "travel_per_student_km": (
            _ratio(sum(f.tenths for f in needing), 10 * len(needing)),
            len(needing),
        ),
        "underserved_share": (_ratio(sum(f.underserved for f in placed), placements), len(placed)),
        "moved_share": (None, 0),
    }
    if with_moves:
        measured["moved_share"] = (
            _ratio(sum(bool(f.moved) for f in facts), len(facts)),
            len(facts),
        )
    return measured


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _p90(ordered: list[float]) -> float | None:
    if not ordered:
        return None
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _shown_values(measured: Measured) -> dict[str, float | None]:
    """Figures drawn from at least MIN_GROUP_SIZE students; the others blank."""
    return {m: v if n >= MIN_GROUP_SIZE else None for m, (v, n) in measured.items()}


def _outcomes(values: dict[str, float | None]) -> Outcomes:
    return Outcomes(**{m: None if v is None else round(v, 4) for m, v in values.items()})


# --- groups ----------------------------------------------------------------------------------


def _group_outcome(
    group: Group,
    facts: dict[str, _Facts],
    overall: dict[str, float | None],
    threshold: float,
    with_moves: bool,
) -> GroupOutcome:
    inside = _shown_values(_measure([facts[s] for s in group.members], with_moves))
    rest_ids = [s for s in facts if s not in group.members]
    outside = _shown_values(_measure([facts[s] for s in rest_ids], with_moves))
    gaps = {m: _difference(inside[m], outside[m]) for m in METRICS}
    flags = [f for m in METRICS if (f := _flag(m, gaps[m], overall[m], threshold)) is not None]
    return GroupOutcome(
        dimension=group.dimension,
        value=group.value,
        label=group.label,
        students=len(group.members),
        outcome=_outcomes(inside),
        rest=_outcomes(outside),
        gap=_outcomes(gaps),
        flags=flags,
    )


def _difference(inside: float | None, outside: float | None) -> float | None:
    return None if inside is None or outside is None else inside - outside


def _flag(
    metric: str, gap: float | None, overall: float | None, threshold: float
) -> GapFlag | None:
    """A flag when |gap| exceeds threshold x |all-students value|."""
    if gap is None or overall is None:
        return None
    limit = threshold * abs(overall)
    if abs(gap) <= limit + 1e-9:
        return None
    better = BETTER[metric]
    worse = None if better is None else (gap < 0 if better == "higher" else gap > 0)
    return GapFlag(metric=metric, gap=round(gap, 4), limit=round(limit, 4), worse=worse)


# --- the report ------------------------------------------------------------------------------


def equity_report(
    scenario: Scenario,
    schedule: Schedule,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    previous: Schedule | None = None,
    baseline: Schedule | None = None,
) -> EquityReport:
    """Outcomes by group, gaps to the rest flagged above `threshold` (relative to the
    all-students value), `moved_share` against `previous` (a schedule before a repair), and
    the cost of the fairness level against `baseline` (the term solved without it)."""
    if threshold < 0:
        raise ValueError("threshold must be at least 0")
    facts = _student_facts(scenario, schedule, previous)
    with_moves = previous is not None
    overall = _shown_values(_measure(list(facts.values()), with_moves))
    size = len(scenario.students)
    groups = [g for g in all_groups(scenario.students) if comparable(g, size)]
    visible = [g for g in groups if shown(g, size)]
    return EquityReport(
        term=scenario.term.id,
        threshold=threshold,
        students=len(scenario.students),
        overall=_outcomes(overall),
        groups=[_group_outcome(g, facts, overall, threshold, with_moves) for g in visible],
        suppressed_groups=len(groups) - len(visible),
        equity_gap=_equity_gap(scenario, schedule, facts),
        compared_with_previous=with_moves,
        cost=_cost(scenario, schedule, baseline) if baseline is not None else [],
    )


def _equity_gap(scenario: Scenario, schedule: Schedule, facts: dict[str, _Facts]) -> EquityGap:
    """The validator's value, and the group that attains it (on a tie, the group that
    travels more: of a group and its complement, the one worse off)."""
    value = objective_values(scenario, schedule)["equity_gap"]
    chosen = gap_groups(scenario)
    tenths = {s: facts[s].tenths for s in chosen.population}
    worst = max(
        chosen.groups,
        key=lambda g: (
            travel_gap_metres(g.members, chosen.population, tenths),
            travel_difference(g.members, chosen.population, tenths) > 0,
        ),
        default=None,
    )
    label = worst.label if worst is not None and value > 0 else None
    return EquityGap(value=value, worst_group=label)


def _cost(scenario: Scenario, schedule: Schedule, baseline: Schedule) -> list[CostLine]:
    """Each objective with fairness and without it, from the validator's recomputation."""
    fair = objective_values(scenario, schedule)
    plain = objective_values(scenario, baseline)
    return [
        CostLine(
            objective=name,
            with_fairness=fair[name],
            without_fairness=plain[name],
            delta=round(fair[name] - plain[name], 6),
        )
        for name in COST_OBJECTIVES
    ]


# --- CSV -------------------------------------------------------------------------------------


def csv_columns() -> list[str]:
    """Header of `to_csv`: the group, then each metric for the group, the rest and the gap."""
    columns = ["dimension", "value", "label", "students"]
    for metric in METRICS:
        columns += [metric, f"{metric}_rest", f"{metric}_gap"]
    return [*columns, "flagged"]


def to_csv(report: EquityReport) -> str:
    """One row for all students, then one per group shown; blank cells are blank figures."""
    empty = Outcomes()
    rows = [_row("all", "", "all students", report.students, report.overall, empty, empty)]
    for group in report.groups:
        flagged = ";".join(flag.metric for flag in group.flags)
        value = group.label.split("=", 1)[1]
        cells = (group.outcome, group.rest, group.gap)
        rows.append(
            [*_row(group.dimension, value, group.label, group.students, *cells)[:-1], flagged]
        )
    return csv_text(csv_columns(), rows)


def _row(
    dimension: str,
    value: str,
    label: str,
    students: int,
    outcome: Outcomes,
    rest: Outcomes,
    gap: Outcomes,
) -> list[str]:
    row = [dimension, value, label, str(students)]
    for metric in METRICS:
        row += [_cell(getattr(o, metric)) for o in (outcome, rest, gap)]
    return [*row, ""]


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
