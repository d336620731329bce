"""What-if suggestions: try each proposal by re-solving, keep only what provably helps.

For each proposal the changed scenario's affected part is re-solved with `solver.solve`
(coverage only, a small time limit) and stitched into the frozen rest of the schedule
(`solver.explain.focus`). The stitched schedule is checked by the independent validator
against the whole changed scenario, so it *proves* the changed scenario can meet that many
needs. The gain is measured against the better of the schedule and an unchanged re-solve of
the same part, so a change is never credited with what a longer solve would find anyway.
Changes are then shrunk to what the proof uses (seats held, travel driven, teams formed).
Everything runs within a total time budget; proposals left over are skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.domain.changes import apply_changes
from scheduler.domain.credentials import required_codes
from scheduler.domain.geo import travel_between
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import (
    AddSession,
    AddSlot,
    RenewCredential,
    ScenarioChange,
    Schedule,
    SetCapacity,
    SetMaxTeams,
    SetMaxTravel,
    Suggestion,
)
from scheduler.domain.validator import validate_schedule
from solver.api import SolveOptions, solve
from solver.explain.facts import Facts
from solver.explain.focus import Focus, needs_met, part_met, part_scenario, stitch
from solver.explain.proposals import Proposal, proposals
from solver.explain.reasons import Explainer
from solver.prepare import Prepared, prepare

MIN_SOLVE_S = 1.0


@dataclass(frozen=True)
class WhatIfProgress:
    """How far a what-if search is: proposals tried of all, suggestions verified so far."""

    tried: int
    proposals: int
    found: int
    elapsed_s: float


@dataclass(frozen=True)
class WhatIfSettings:
    """The total budget, the limit of each re-solve, and CP-SAT parameters."""

    time_limit_s: float = 30.0
    solve_s: float | None = None
    """Per re-solve (default: a quarter of the budget, 1 to 20 s)."""
    workers: int | None = None
    seed: int = 0
    on_progress: Callable[[WhatIfProgress], None] | None = None
    """Told after each proposal (tried or skipped), e.g. to show a job's progress."""

    def per_solve(self) -> float:
        if self.solve_s is not None:
            return self.solve_s
        return min(20.0, max(MIN_SOLVE_S, self.time_limit_s / 4))


@dataclass
class _Proof:
    """A validated schedule of a changed scenario, and what its part meets."""

    schedule: Schedule
    part: int


@dataclass
class _Run:
    scenario: Scenario
    schedule: Schedule
    settings: WhatIfSettings
    deadline: float
    references: dict[Focus, int] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)
    took: dict[Focus, float] = field(default_factory=dict)
    """Seconds the last re-solve of each part took: a new one starts only if it fits."""

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def fits(self, focus: Focus) -> bool:
        return self.remaining() >= max(MIN_SOLVE_S, self.took.get(focus, 0.0))


def suggest(
    scenario: Scenario,
    schedule: Schedule,
    *,
    settings: WhatIfSettings | None = None,
    student: str | None = None,
    prep: Prepared | None = None,
) -> list[Suggestion]:
    """Verified suggestions for the schedule's unmet needs, largest gain first; with
    `student`, only those whose proof meets a need of that student. `prep`, when given,
    must be `prepare(scenario)`."""
    settings = settings or WhatIfSettings()
    run = _Run(scenario, schedule, settings, time.monotonic() + settings.time_limit_s)
    facts = Facts.of(prep or prepare(scenario), schedule)
    explainer = Explainer(facts, [])
    entries = [e for e in schedule.unassigned if student is None or e.student == student]
    found = proposals(facts, [explainer.explain(e) for e in entries])
    mine = [p for p in found if student is None or student in p.targets]
    started = time.monotonic()
    for tried, proposal in enumerate(mine, start=1):
        if run.fits(proposal.focus):
            suggestion = _try(run, proposal)
            if suggestion is not None:
                run.suggestions.append(suggestion)
        if settings.on_progress is not None:
            elapsed = time.monotonic() - started
            settings.on_progress(WhatIfProgress(tried, len(mine), len(run.suggestions), elapsed))
    kept = [s for s in run.suggestions if student is None or student in s.helps]
    return sorted(kept, key=lambda s: (-s.gain, s.code))


def _try(run: _Run, proposal: Proposal) -> Suggestion | None:
    """Verify one proposal; None when it gains nothing provable within the budget."""
    reference = _reference(run, proposal.focus)
    if reference is None or not run.fits(proposal.focus):
        return None
    verified = _verify(run, proposal.changes, proposal.focus, reference)
    if verified is None:
        return None
    changes, proof = verified
    gain = proof.part - reference
    tighter = _tighten(run.scenario, changes, gain)
    if tighter != changes and run.fits(proposal.focus):
        again = _verify(run, tighter, proposal.focus, reference)
        if again is not None and again[1].part - reference >= gain:
            changes, proof = again
    return Suggestion(
        code=proposal.code,
        message=f"{describe(run.scenario, changes)}: meets {gain} more need(s)",
        changes=list(changes),
        needs_met=needs_met(run.schedule) + gain,
        gain=gain,
        related=_related(changes),
        helps=_helped(run.schedule, proof.schedule, proposal.focus, run.scenario),
    )


def _verify(
    run: _Run, changes: tuple[ScenarioChange, ...], focus: Focus, reference: int
) -> tuple[tuple[ScenarioChange, ...], _Proof] | None:
    """Re-solve with the changes; the changes cut to what the proof uses, and the proof,
    when it beats the reference and still holds under the cut changes."""
    proof = _prove(run, apply_changes(run.scenario, changes), focus)
    if proof is None or proof.part <= reference:
        return None
    used = _shrink(run.scenario, changes, proof.schedule)
    if not used:
        return None  # the proof uses none of the change: the gain is search luck
    if validate_schedule(apply_changes(run.scenario, used), proof.schedule):
        return None
    return used, proof


def _tighten(
    scenario: Scenario, changes: tuple[ScenarioChange, ...], gain: int
) -> tuple[ScenarioChange, ...]:
    """Seats added beyond the gain went to students moved for nothing: ask for `gain` only."""
    capacity = {s.id: s.capacity for s in scenario.slots}
    result: list[ScenarioChange] = []
    for change in changes:
        if isinstance(change, SetCapacity) and change.capacity - capacity[change.slot] > gain:
            change = change.model_copy(update={"capacity": capacity[change.slot] + gain})
        elif isinstance(change, AddSlot) and change.capacity > gain:
            change = change.model_copy(update={"capacity": gain})
        result.append(change)
    return tuple(result)


def _reference(run: _Run, focus: Focus) -> int | None:
    """What the part meets without any change: the schedule's own, or an unchanged re-solve
    when that finds more (then reported as a suggestion with no change)."""
    if focus in run.references:
        return run.references[focus]
    if not run.fits(focus):
        return None
    own = part_met(focus, run.schedule, run.scenario)
    proof = _prove(run, run.scenario, focus)
    best = own if proof is None else max(own, proof.part)
    run.references[focus] = best
    if proof is not None and proof.part > own:
        gain = proof.part - own
        run.suggestions.append(
            Suggestion(
                code="resolve",
                message=f"re-solve {focus.label} with a longer time limit: a re-solve of it "
                f"alone meets {gain} more need(s) with no change",
                changes=[],
                needs_met=needs_met(run.schedule) + gain,
                gain=gain,
                helps=_helped(run.schedule, proof.schedule, focus, run.scenario),
            )
        )
    return best


def _prove(run: _Run, scenario: Scenario, focus: Focus) -> _Proof | None:
    """Re-solve the part of `scenario`, stitch it in and validate the whole."""
    started = time.monotonic()
    limit = min(run.settings.per_solve(), run.remaining())
    policy = {"objectives": ["coverage"], "time_limit_s": limit, "seed": run.settings.seed}
    part = part_scenario(scenario, run.schedule, focus, policy)
    options = SolveOptions(time_limit_s=limit, workers=run.settings.workers, seed=run.settings.seed)
    answer = solve(part, options=options)
    run.took[focus] = time.monotonic() - started
    whole = stitch(scenario, run.schedule, focus, answer)
    if validate_schedule(scenario, whole):
        return None
    return _Proof(whole, part_met(focus, whole, scenario))


def _shrink(
    scenario: Scenario, changes: tuple[ScenarioChange, ...], proof: Schedule
) -> tuple[ScenarioChange, ...]:
    """Each change cut down to what the proving schedule uses; changes it does not use at
    all are dropped."""
    held: dict[str, int] = {}
    for placement in proof.placements:
        held[placement.slot] = held.get(placement.slot, 0) + 1
    teams = {e.session: len(e.teams) for e in proof.sessions}
    capacity = {s.id: s.capacity for s in scenario.slots}
    max_teams = {s.id: s.max_teams for a in scenario.activities for s in a.sessions}
    limit = scenario.policy.max_travel_km
    result: list[ScenarioChange] = []
    for change in changes:
        if (
            isinstance(change, SetCapacity)
            and held.get(change.slot, 0) > capacity[change.slot]
            or isinstance(change, AddSlot)
            and held.get(change.slot, 0) > 0
        ):
            result.append(change.model_copy(update={"capacity": held[change.slot]}))
        elif (
            isinstance(change, SetMaxTeams)
            and teams.get(change.session, 0) > max_teams[change.session]
            or isinstance(change, AddSession)
            and teams.get(change.session, 0) > 0
        ):
            result.append(change.model_copy(update={"max_teams": teams[change.session]}))
        elif isinstance(change, SetMaxTravel):
            worst = max(_travels(scenario, proof), default=0.0)
            if limit is not None and worst > limit:
                result.append(change.model_copy(update={"max_travel_km": worst}))
        elif isinstance(change, RenewCredential) and _renewal_used(scenario, change, proof):
            result.append(change)
    return tuple(result)


def _renewal_used(scenario: Scenario, change: RenewCredential, proof: Schedule) -> bool:
    """Whether the proof places the renewed student where the credential is required."""
    slots = {s.id: s for s in scenario.slots}
    sites = {s.id: s for s in scenario.sites}
    return any(
        p.student == change.student
        and p.slot in slots
        and change.code in required_codes(sites.get(slots[p.slot].site), slots[p.slot])
        for p in proof.placements
    )


def _travels(scenario: Scenario, schedule: Schedule) -> list[float]:
    students = {s.id: s for s in scenario.students}
    slots = {s.id: s for s in scenario.slots}
    sites = {s.id: s for s in scenario.sites}
    return [
        travel_between(students[p.student].home, sites[slots[p.slot].site].location)
        for p in schedule.placements
        if p.slot in slots and students[p.student].home is not None
    ]


def _helped(before: Schedule, after: Schedule, focus: Focus, scenario: Scenario) -> list[str]:
    """Students with an unmet need of the part before and fewer unmet ones after."""
    profession = {s.id: s.profession for s in scenario.students}

    def unmet(schedule: Schedule) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in schedule.unassigned:
            if focus.activity is not None:
                inside = entry.activity == focus.activity
            else:
                moves = focus.moves(entry.student, profession[entry.student])
                inside = entry.requirement is not None and moves
            if inside:
                counts[entry.student] = counts.get(entry.student, 0) + 1
        return counts

    now, then = unmet(before), unmet(after)
    return sorted(s for s, n in now.items() if then.get(s, 0) < n)


def _related(changes: tuple[ScenarioChange, ...]) -> list[str]:
    ids: list[str] = []
    for change in changes:
        if isinstance(change, AddSession):
            ids += [change.activity, change.session, change.room]
        elif isinstance(change, SetMaxTeams):
            ids.append(change.session)
        elif isinstance(change, SetCapacity):
            ids.append(change.slot)
        elif isinstance(change, AddSlot):
            ids += [change.slot, change.site, change.period]
        elif isinstance(change, RenewCredential):
            ids += [change.student, change.code]
    return ids


def describe(scenario: Scenario, changes: tuple[ScenarioChange, ...]) -> str:
    """The changes as a coordinator would say them."""
    return "; ".join(_describe_one(scenario, c) for c in changes) or "no change"


def _describe_one(scenario: Scenario, change: ScenarioChange) -> str:
    if isinstance(change, AddSession):
        return (
            f"add a session {change.session} of {change.activity} on "
            f"{change.start:%a %Y-%m-%d %H:%M}-{change.end:%H:%M} in room {change.room} "
            f"(up to {change.max_teams} team(s))"
        )
    if isinstance(change, SetMaxTeams):
        return f"allow {change.max_teams} teams in session {change.session}"
    if isinstance(change, SetCapacity):
        slot = next(s for s in scenario.slots if s.id == change.slot)
        extra = change.capacity - slot.capacity
        return (
            f"add {extra} {slot.profession} seat(s) to slot {slot.id} at {slot.site} in "
            f"{slot.period} (capacity {slot.capacity} -> {change.capacity})"
        )
    if isinstance(change, AddSlot):
        return (
            f"add a {change.profession} slot {change.slot} with {change.capacity} seat(s) at "
            f"{change.site} in {change.period}"
        )
    if isinstance(change, RenewCredential):
        return (
            f"renew {change.code} for student {change.student} (valid from "
            f"{change.issued.isoformat()} until {change.expires.isoformat()})"
        )
    before = scenario.policy.max_travel_km
    return f"raise max_travel_km from {before:g} to {change.max_travel_km:g}"
