"""A planned student's rotations on a time line: segments, and booleans read by the rules
and objectives of student plans (`scheduler.domain.plan_rules` defines them all).

The student's time is cut into segments at every boundary of their options' periods (and
of the windows their gap limits look at), so each option covers whole segments. Per
segment: `occupied` (some held rotation covers it), `before_last` (some held rotation
covers it or a later one), `any_before` (some held rotation covers it or an earlier one)
and `last_site[h]` (the latest rotation covering it or an earlier one is at site h). Each
is an exact function of the placement variables, so objectives read from them are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ortools.sat.python import cp_model

from scheduler.domain.plans import StudentPlan
from scheduler.domain.scenario import Scenario
from solver.model import TermModel
from solver.options import SlotOption
from solver.prepare import StudentInfo

Var = cp_model.IntVar


@dataclass
class Timeline:
    """One student's segments and the (lazily made) booleans over them."""

    model: TermModel
    student: str
    starts: list[date]
    """Segment t is [starts[t], starts[t + 1]); the last entry closes the last segment."""
    options: list[tuple[SlotOption, int, int]]
    """(option, first segment, last segment + 1) of every option of the student."""
    _covering: list[list[tuple[SlotOption, Var]]] = field(default_factory=list)
    _occupied: list[Var] = field(default_factory=list)
    _before_last: list[Var] = field(default_factory=list)
    _any_before: list[Var] = field(default_factory=list)
    _last_site: list[dict[str, Var]] = field(default_factory=list)
    _changes: list[Var] | None = None

    @property
    def size(self) -> int:
        return len(self.starts) - 1

    def days(self, t: int) -> int:
        return (self.starts[t + 1] - self.starts[t]).days

    def segment_at(self, day: date) -> int:
        """The segment starting on `day` (a boundary by construction)."""
        return self.starts.index(day)

    def place(self, option: SlotOption) -> Var:
        return self.model.place[self.student, option.slot]

    def covering(self, t: int) -> list[Var]:
        """The placement variables of the options covering segment t."""
        return [var for _, var in self._covers()[t]]

    def _covers(self) -> list[list[tuple[SlotOption, Var]]]:
        if not self._covering:
            self._covering = [[] for _ in range(self.size)]
            for option, first, end in self.options:
                var = self.place(option)
                for t in range(first, end):
                    self._covering[t].append((option, var))
        return self._covering

    def occupied(self, t: int) -> Var:
        if not self._occupied:
            self._occupied = [
                self._any(self.covering(s), f"occupied[{s}]") for s in range(self.size)
            ]
        return self._occupied[t]

    def before_last(self, t: int) -> Var:
        if not self._before_last:
            made: list[Var] = [None] * self.size  # type: ignore[list-item]
            later: Var | None = None
            for s in reversed(range(self.size)):
                here = [self.occupied(s)] + ([later] if later is not None else [])
                made[s] = later = self._any(here, f"before_last[{s}]")
            self._before_last = made
        return self._before_last[t]

    def any_before(self, t: int) -> Var:
        if not self._any_before:
            made: list[Var] = []
            for s in range(self.size):
                made.append(self._any([self.occupied(s), *made[-1:]], f"any_before[{s}]"))
            self._any_before = made
        return self._any_before[t]

    def last_site(self, t: int) -> dict[str, Var]:
        """Per site, whether the latest rotation covering segment t or an earlier one is there
        (needs rotations that never share a date: rule `rotation_overlap`)."""
        if not self._last_site:
            self._build_last_site()
        return self._last_site[t]

    def changes(self) -> list[Var]:
        """Per option, whether it is held and the rotation before it is at another site."""
        if self._changes is None:
            self._changes = []
            for option, first, _end in self.options:
                if first == 0:
                    continue
                elsewhere = sum(
                    v for site, v in self.last_site(first - 1).items() if site != option.site
                )
                held = self.place(option)
                change = self._new(f"change[{option.slot}]")
                cp = self.model.cp
                cp.add(change <= held)
                cp.add(change <= elsewhere)
                cp.add(change >= held + elsewhere - 1)
                self._changes.append(change)
        return self._changes

    def _build_last_site(self) -> None:
        cp = self.model.cp
        sites = sorted({o.site for o, _, _ in self.options})
        previous: dict[str, Var] | None = None
        for t in range(self.size):
            occupied = self.occupied(t)
            here = {}
            for site in sites:
                var = self._new(f"last_site[{t},{site}]")
                at = sum(v for o, v in self._covers()[t] if o.site == site)
                cp.add(var == at).only_enforce_if(occupied)
                cp.add(var == (previous[site] if previous else 0)).only_enforce_if(~occupied)
                here[site] = var
            self._last_site.append(here)
            previous = here

    def _any(self, variables: list[Var], name: str) -> Var:
        var = self._new(name)
        if variables:
            self.model.cp.add_max_equality(var, variables)
        else:
            self.model.cp.add(var == 0)
        return var

    def _new(self, name: str) -> Var:
        var = self.model.cp.new_bool_var(f"{name}[{self.student}]")
        self.model.helpers.append(var)
        return var


def timeline(model: TermModel, info: StudentInfo, plan: StudentPlan) -> Timeline:
    """The student's time line, made once per model."""
    if info.id not in model.timelines:
        model.timelines[info.id] = _make(model, info, plan)
    found: Timeline = model.timelines[info.id]
    return found


def _make(model: TermModel, info: StudentInfo, plan: StudentPlan) -> Timeline:
    scenario = model.prep.scenario
    spans = period_days(scenario)
    options = list(info.options)
    boundaries = {scenario.term.start}
    for period in {o.period for o in options}:
        first, last = spans[period]
        boundaries |= {first, last + timedelta(days=1)}
        if plan.min_gap_days:
            boundaries.add(first - timedelta(days=plan.min_gap_days))
        if plan.max_gap_days is not None:
            boundaries.add(first - timedelta(days=plan.max_gap_days + 1))
    starts = sorted(boundaries)
    position = {day: t for t, day in enumerate(starts)}
    cover = {
        period: (position[spans[period][0]], position[spans[period][1] + timedelta(days=1)])
        for period in {o.period for o in options}
    }
    placed = [(o, *cover[o.period]) for o in options]
    return Timeline(model, info.id, starts, placed)


def period_days(scenario: Scenario) -> dict[str, tuple[date, date]]:
    """Each period's first and last date."""
    return {p.id: (p.start, p.end) for p in scenario.periods}


def planned(model: TermModel) -> list[tuple[StudentInfo, StudentPlan]]:
    """Students with a plan and at least one option, with their plan."""
    plans = {s.id: s.term_plan for s in model.prep.scenario.students if s.term_plan is not None}
    return [
        (info, plans[sid])
        for sid, info in model.prep.students.items()
        if sid in plans and info.options
    ]
