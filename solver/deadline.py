"""The whole run's deadline: what each stage may still start, and the answers when it may not.

The time limit covers everything `solver.driver.run` does, preparation and read-out
included: the solve ends by the limit plus `allowance` (5 %, at least 2 s). Stages that
cannot be cut short (preparing the term, building the model, the relaxation bounds, the
read-out) are estimated from the term's size before they begin, with `StageCosts`; then

- a term whose cheapest schedule (prepare, one flow start, one greedy draft, read it out)
  cannot come in time is answered at once, before anything is built: `too_large`;
- when the model cannot be built and read out in the time left, the best draft is read out
  directly (`draft_schedule`), valid by construction;
- when the relaxation bounds do not fit, the levels go on without them.

Costs are seconds per eligible option (per student for the read-out), measured on this
project's 2-core machine, and are scaled by how long preparation really took against its
estimate (`Pace`), so a loaded machine skips sooner. Tests pass their own costs to force
each path on tiny terms.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace

from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.metrics import schedule_metrics
from scheduler.domain.scenario import Scenario, Student
from scheduler.domain.schedule import (
    ErrorItem,
    ObjectiveResult,
    Placement,
    Schedule,
    SessionAssignment,
    SolveInfo,
    Team,
    Unassigned,
)
from scheduler.domain.validator import objective_values
from solver.explain import annotate
from solver.prepare import Prepared
from solver.warm import Draft, draft_coverage

ALLOWANCE_SHARE = 0.05
ALLOWANCE_MIN_S = 2.0
MAX_SLOWDOWN = 16.0
"""The most a run is taken to be slower than its costs (a loaded machine: wall time 6-20
times the CPU time was seen with two cores shared by a dozen processes)."""
MEASURABLE_S = 0.2
"""Below this time a stage's pace is not measured (noise)."""


def allowance(time_limit: float) -> float:
    """How far past its time limit a solve may end: 5 % of it, at least 2 s."""
    return max(ALLOWANCE_SHARE * time_limit, ALLOWANCE_MIN_S)


@dataclass(frozen=True)
class StageCosts:
    """Seconds each stage that cannot stop part-way takes per estimated option
    (`estimate_options`; the read-out: per student). Options grow with the square of the
    students (more students, more seats each may take); per option the costs hold.

    Measured (CPU seconds, generated default term, seed 1): 5,000 students, 5.4 million
    estimated options: prepare 1.3 s, the first flow starts and draft 13.1 s, the model
    3.8 s, the bounds 2.0 s; the model's read-out with explanations 0.3 ms per student
    (600 and 2,000 students). 20,000 students, 91 million (README, 2026-12-06): the model
    42 s, the bounds 27 s, the first draft at 173 s."""

    prepare: float = 0.3e-6
    starts: float = 2.5e-6
    """The first flow starts and the first greedy draft."""
    model: float = 0.8e-6
    """Building the CP-SAT model with its rules and the warm start's mapping."""
    bounds: float = 0.4e-6
    polish: float = 2e-6
    """Building the polish LP of one level (its solve stops at the level's budget)."""
    readout: float = 0.4e-3


DEFAULT_COSTS = StageCosts()


def estimate_options(scenario: Scenario) -> int:
    """An upper bound of the eligible options, from counts only (no availability, travel
    or clash checks): per student the sessions of the activities they take part in plus
    the usable slots of their profession. Students of one profession and cohort count
    alike, so this is linear in the students (50,000: well under a second)."""
    slots: dict[str, int] = defaultdict(int)
    for slot in scenario.slots:
        if slot.status != "declined":
            slots[slot.profession] += 1
    groups: dict[tuple[str, str | None], Student] = {}
    members: dict[tuple[str, str | None], int] = defaultdict(int)
    for student in scenario.students:
        key = (student.profession, student.cohort)
        groups.setdefault(key, student)
        members[key] += 1
    total = 0
    requirements = scenario.placement_requirements
    for key, student in groups.items():
        each = sum(len(a.sessions) for a in scenario.activities if participates(student, a))
        requirement = requirement_for(student, requirements)
        if requirement is not None and requirement.count:
            each += slots.get(student.profession, 0)
        total += each * members[key]
    return total


def cheapest_seconds(options: int, students: int, costs: StageCosts) -> float:
    """The least a schedule can take: prepare, a flow start and a draft, then read it out."""
    return options * (costs.prepare + costs.starts) + students * costs.readout


def too_large(
    scenario: Scenario,
    time_limit: float,
    costs: StageCosts = DEFAULT_COSTS,
    options: int | None = None,
) -> ErrorItem | None:
    """Why the term cannot be solved within `time_limit` (plus the allowance), or None.
    `options`: `estimate_options(scenario)` when already known."""
    if options is None:
        options = estimate_options(scenario)
    need = cheapest_seconds(options, len(scenario.students), costs)
    if need <= time_limit + allowance(time_limit):
        return None
    return ErrorItem(
        path="policy.time_limit_s",
        message=(
            f"the term is too large for a {time_limit:g} s time limit: "
            f"{len(scenario.students):,} students with up to {options:,} eligible options "
            f"need about {need:,.0f} s before a first schedule; give a time limit of at least "
            f"{need * 1.2:,.0f} s, or split the term"
        ),
    )


def too_large_schedule(scenario: Scenario, error: ErrorItem, info: SolveInfo) -> Schedule:
    """The immediate answer for a term too large for its limit: no schedule, the reason."""
    return Schedule(
        term=scenario.term.id,
        status="infeasible",
        objectives=[ObjectiveResult(name=name) for name in scenario.policy.objectives],
        errors=[error],
        solve=info,
    )


@dataclass(frozen=True)
class Pace:
    """How much slower than `costs` this run goes: the slower of preparation against its
    estimate (a slower machine) and wall time against CPU time of the single-threaded
    stages (a machine shared with other work); never counted faster than the costs."""

    costs: StageCosts
    options: int
    students: int
    factor: float = 1.0

    @classmethod
    def measured(
        cls,
        costs: StageCosts,
        options: int,
        students: int,
        prepare_s: float,
        prepare_cpu_s: float | None = None,
    ) -> Pace:
        expected = options * costs.prepare
        speed = prepare_s / expected if expected >= MEASURABLE_S else 1.0
        pace = cls(costs, options, students, _clamp(speed))
        return pace if prepare_cpu_s is None else pace.shared(prepare_s, prepare_cpu_s)

    def shared(self, wall_s: float, cpu_s: float) -> Pace:
        """This pace, or slower when a single-threaded stage took `wall_s` for `cpu_s` of
        CPU (a few milliseconds say more about noise than pace: then unchanged)."""
        if wall_s < MEASURABLE_S or cpu_s <= 0:
            return self
        return replace(self, factor=max(self.factor, _clamp(wall_s / cpu_s)))

    def _per_option(self, cost: float) -> float:
        return self.options * cost * self.factor

    def readout_s(self) -> float:
        return self.students * self.costs.readout * self.factor

    def model_s(self) -> float:
        """Building the model, then reading its schedule out."""
        return self._per_option(self.costs.model) + self.readout_s()

    def bounds_s(self) -> float:
        return self._per_option(self.costs.bounds)

    def polish_s(self) -> float:
        return self._per_option(self.costs.polish)


def _clamp(factor: float) -> float:
    return min(max(factor, 1.0), MAX_SLOWDOWN)


def time_left(started: float, time_limit: float) -> float:
    return time_limit - (time.monotonic() - started)


def best_draft(prep: Prepared, drafts: list[Draft]) -> Draft:
    """The draft of most coverage, then least preference rank sum."""

    def rank(draft: Draft) -> int:
        return sum(
            option.rank
            for student, slots in draft.placed.items()
            for option in prep.students[student].all_options
            if option.slot in slots
        )

    return max(drafts, key=lambda d: (draft_coverage(d), -rank(d)))


def draft_schedule(
    prep: Prepared,
    drafts: list[Draft],
    info: SolveInfo,
    coverage_bound: float | None,
    deadline: float | None = None,
) -> Schedule:
    """The best draft as the answer, without the model: placements, named teams and
    facilitators as the greedy built them (valid by construction), every unmet need listed
    and explained; objective values recomputed from the schedule, coverage bounded by the
    drafts' own bound."""
    draft = best_draft(prep, drafts)
    scenario = prep.scenario
    placements = [
        Placement(student=student, slot=slot)
        for student, slots in sorted(draft.placed.items())
        for slot in slots
    ]
    sessions = []
    attended: dict[str, set[str]] = defaultdict(set)
    for session_id, teams in sorted(draft.state.teams.items()):
        teams = [team for team in teams if team]
        if not teams:
            continue
        activity = prep.sessions[session_id].activity
        for team in teams:
            for student in team:
                attended[student].add(activity)
        sessions.append(
            SessionAssignment(
                session=session_id,
                activity=activity,
                facilitators=sorted(draft.state.facilitators.get(session_id, [])),
                teams=[
                    Team(id=f"{session_id}-T{k + 1}", students=sorted(team))
                    for k, team in enumerate(teams)
                ],
            )
        )
    unassigned = []
    for student, student_info in prep.students.items():
        for activity in student_info.activities:
            if activity not in attended[student]:
                unassigned.append(Unassigned(student=student, activity=activity))
        missing = student_info.count - len(draft.placed.get(student, ()))
        if student_info.requirement is not None and missing > 0:
            key = student_info.requirement.key
            unassigned += [Unassigned(student=student, requirement=key) for _ in range(missing)]
    schedule = Schedule(
        term=scenario.term.id,
        status="feasible",
        sessions=sessions,
        placements=placements,
        unassigned=unassigned,
        solve=info,
    )
    values = objective_values(scenario, schedule)
    objectives = [
        ObjectiveResult(
            name=name,
            value=values.get(name),
            bound=coverage_bound if name == "coverage" else None,
        )
        for name in scenario.policy.objectives
    ]
    schedule = schedule.model_copy(
        update={"objectives": objectives, "metrics": schedule_metrics(scenario, schedule)}
    )
    return annotate(prep, schedule, deadline)
