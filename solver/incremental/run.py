"""The local repair path: re-seat the students a change unseated, prove it, or say why not.

1. `scope`: the placements the change closed (forced changes F); everything else kept.
2. A small model over the affected students (and students with unmet placements, who
   may add a seat left free to those they keep), everyone else fixed, solved level by
   level.
3. Anyone who could hold as many placements as before but is not re-seated: a bounded
   neighbourhood joins, holders of the full slots they could take who themselves fit a
   free seat (a chain of moves), and the model is solved again.
4. The answer is used only when the independent validator accepts it, `stability` is
   proven (`proof`), and everyone affected is re-seated as far as they can ever be or
   coverage is proven; otherwise `LocalOutcome.reason` says why and the driver solves
   the term in full.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from scheduler.domain.claims import MAXIMISED
from scheduler.domain.geo import travel_between
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ObjectiveResult, Schedule, SolveInfo
from scheduler.domain.validator import objective_values, validate_schedule
from solver.api import ProgressCallback, SolveProgress
from solver.incremental.eligibility import Eligibility
from solver.incremental.model import LEVELS, LocalModel, LocalSolution, Mover
from solver.incremental.proof import coverage_bound, kept_coverage, stability_bound
from solver.incremental.result import finished, local_schedule
from solver.incremental.scope import Scope, build_scope
from solver.prepare import TRAVEL_SCALE, SlotOption

CHAIN_HOLDERS_PER_STUDENT = 30
"""Holders of full slots tried as first links of a chain, per student left unseated."""
CHAIN_HOLDERS_MAX = 300
FREE_OPTIONS_KEPT = 20
"""Free slots (best ranked, then nearest) a neighbour or a student without a placement
may move to: bounds the model; a smaller neighbourhood can only mean a full solve."""
LOCAL_SHARE = 0.25
LOCAL_MAX_S = 5.0


@dataclass(frozen=True)
class LocalSettings:
    time_limit: float
    seed: int
    workers: int
    started: float
    solver_name: str


@dataclass(frozen=True)
class LocalOutcome:
    schedule: Schedule | None
    reason: str = ""
    """Why the local answer is not used (empty when it is)."""
    candidate: Schedule | None = None
    """The local answer the validator accepts but whose levels are not proven (bounds
    valid, status feasible): the driver answers with it when the full solve does worse
    (`better_repair`), and at once on a large term (`SizePolicy.large_students`), where
    the full repair solve never beat it: 5,000 students, default, facilitator-bound and
    tight-seats families, 3,656-12,645 changes against 4-19, in 60-91 s wall."""


def local_repair(
    scenario: Scenario, settings: LocalSettings, on_progress: ProgressCallback | None = None
) -> LocalOutcome:
    """The locally repaired schedule, proven, or the reason to solve in full."""
    previous = scenario.policy.previous
    assert previous is not None
    levels: list[str] = list(scenario.policy.objectives)
    if reason := _unsupported(levels):
        return LocalOutcome(None, reason)
    eligibility = Eligibility(scenario)
    scope = build_scope(previous, eligibility)
    if scope.problem is not None:
        return LocalOutcome(None, scope.problem)
    search = _Search(eligibility, scope, settings, [n for n in levels if n in LEVELS])
    solution = search.solve()
    if solution is None:
        return LocalOutcome(None, "the local model found no answer in its time")
    return _checked(eligibility, scope, search, solution, settings, on_progress)


def stability_floor(scenario: Scenario, coverage: int) -> int:
    """The whole-term bound the local path proves `stability` with (`proof`), for a repair
    reaching `coverage`: fewer changes than this, no schedule of that coverage makes. For
    tests against an exact reference model."""
    previous = scenario.policy.previous
    assert previous is not None
    eligibility = Eligibility(scenario)
    scope = build_scope(previous, eligibility)
    settings = LocalSettings(scenario.policy.time_limit_s, 0, 1, time.monotonic(), "")
    search = _Search(eligibility, scope, settings, [])
    addable = _Addable(eligibility, scope, search.relaxed)
    kept = kept_coverage(scope)
    return stability_bound(scope, search.relaxed, search.seats, coverage, kept, addable)


def _unsupported(levels: list[str]) -> str | None:
    if levels[:2] != ["coverage", "stability"]:
        return "the policy does not rank stability right after coverage"
    other = [n for n in levels[2:] if n not in LEVELS and n != "team_balance"]
    return f"the local model has no {other[0]} level" if other else None


class _Search:
    """The movers, their seats, and the neighbourhood grown when someone is left out."""

    def __init__(
        self, eligibility: Eligibility, scope: Scope, settings: LocalSettings, levels: list[str]
    ) -> None:
        self.eligibility, self.scope, self.levels = eligibility, scope, levels
        self.settings = settings
        capacity = {slot: entry[0].capacity for slot, entry in eligibility.usable.items()}
        self.seats = {s: max(0, c - len(scope.holders.get(s, ()))) for s, c in capacity.items()}
        self.capacity = capacity
        self.affected = sorted(scope.affected())
        self.relaxed = {s: eligibility.options(s) for s in self.affected}
        self.movers = {s: self._mover(s, self.relaxed[s]) for s in self.affected}
        for student in self._unplaced():
            if student not in self.movers and (found := self._free_mover(student, keep=True)):
                self.movers[student] = found
        self.neighbours = 0

    def solve(self) -> LocalSolution | None:
        solution = self._solve()
        if solution is not None and (stuck := self.unrestored(solution)):
            added = self._grow(stuck)
            if added:
                self.neighbours = added
                solution = self._solve()
        return solution

    def unrestored(self, solution: LocalSolution) -> list[str]:
        """Affected students holding fewer placements than before although they could hold
        more in some schedule (their slots' periods allow it)."""
        left = []
        for student in self.affected:
            mover = self.movers[student]
            cap = self.eligibility.placement_cap(self.relaxed[student], mover.count)
            if len(solution.held.get(student, ())) < min(len(mover.before), cap):
                left.append(student)
        return left

    def _solve(self) -> LocalSolution | None:
        fixed = {
            slot: len(holders - self.movers.keys()) for slot, holders in self.scope.holders.items()
        }
        seats = {slot: cap - fixed.get(slot, 0) for slot, cap in self.capacity.items()}
        movers = list(self.movers.values())
        model = LocalModel(movers, seats, self.eligibility.clash, self._fixed_worst())
        budget = min(LOCAL_MAX_S, max(1.0, self.settings.time_limit * LOCAL_SHARE))
        return model.solve(self.levels, budget, self.settings.seed)

    def _mover(self, student: str, options: list[SlotOption]) -> Mover:
        requirement = self.eligibility.requirement(student)
        assert requirement is not None
        blocked = self.eligibility.session_periods(self.scope.attends.get(student, ()))
        pins = {p.slot for p in self.eligibility.scenario.policy.pinned if p.student == student}
        return Mover(
            id=student,
            count=requirement.count,
            before=self.scope.held.get(student, frozenset()),
            options=[o for o in options if o.period not in blocked],
            pinned=frozenset(s for s in pins if s is not None),
            tags=dict(requirement.tags),
        )

    def _free_mover(self, student: str, keep: bool = False) -> Mover | None:
        """The student with their slots plus the best free seats they fit; None without any.

        With `keep` (a student left short of placements) they keep the slots they hold and
        may only add seats: a gain that needs a slot given up costs two changes for one
        need met, which the whole-term bound (`proof`) cannot tell from one change, so
        such an answer was never proven (5,000 default term: 25 changes against a bound of
        22, handed to a full solve that moved 12,645)."""
        held = self.scope.valid.get(student, frozenset())
        profession = self.eligibility.students[student].profession
        free = [
            slot
            for slot, n in self.seats.items()
            if n > 0
            and slot not in held
            and self.eligibility.usable[slot][0].profession == profession
        ]
        mover = self._mover(student, self.eligibility.options(student, [*held, *free]))
        new = sorted(
            (o for o in mover.options if o.slot not in held),
            key=lambda o: (o.rank, o.travel, o.slot),
        )[:FREE_OPTIONS_KEPT]
        if not new:
            return None
        kept = [o for o in mover.options if o.slot in held]
        pinned = mover.pinned | {o.slot for o in kept} if keep else mover.pinned
        return Mover(mover.id, mover.count, mover.before, kept + new, pinned, mover.tags)

    def _unplaced(self) -> list[str]:
        """Students the previous schedule left short of placements."""
        return sorted({u.student for u in self.scope.unassigned if u.requirement is not None})

    def _grow(self, stuck: list[str]) -> int:
        """Add holders of the full slots the stuck students could take, who fit a free seat."""
        added = 0
        for student in stuck:
            found = 0
            full = [o for o in self.movers[student].options if self.seats.get(o.slot, 0) == 0]
            for option in sorted(full, key=lambda o: (o.rank, o.travel, o.slot)):
                for holder in sorted(self.scope.holders.get(option.slot, ())):
                    if holder in self.movers or found >= CHAIN_HOLDERS_PER_STUDENT:
                        continue
                    if (mover := self._free_mover(holder)) is not None:
                        self.movers[holder] = mover
                        found += 1
                        added += 1
                if found >= CHAIN_HOLDERS_PER_STUDENT or added >= CHAIN_HOLDERS_MAX:
                    break
        return added

    def _fixed_worst(self) -> int:
        """The longest travel (0.1 km) of a placement no mover holds."""
        worst = 0
        for student, slots in self.scope.valid.items():
            if student in self.movers:
                continue
            home = self.eligibility.students[student].home
            for slot in slots:
                site = self.eligibility.usable[slot][1]
                worst = max(worst, round(travel_between(home, site.location) * TRAVEL_SCALE))
        return worst


def _checked(
    eligibility: Eligibility,
    scope: Scope,
    search: _Search,
    solution: LocalSolution,
    settings: LocalSettings,
    on_progress: ProgressCallback | None,
) -> LocalOutcome:
    """The local answer if the validator accepts it and its stability is proven."""
    scenario = eligibility.scenario
    held = {s: solution.held.get(s, set()) for s in search.movers}
    schedule = local_schedule(eligibility, scope, held, search.relaxed)
    if violations := validate_schedule(scenario, schedule):
        return LocalOutcome(
            None, f"the validator rejects the local answer: {violations[0].message}"
        )
    values = objective_values(scenario, schedule)
    coverage, changes = round(values["coverage"]), round(values["stability"])
    most = coverage_bound(schedule, coverage, eligibility)
    kept = kept_coverage(scope)
    addable = _Addable(eligibility, scope, search.relaxed)
    bound = stability_bound(scope, search.relaxed, search.seats, coverage, kept, addable)
    reason = ""
    if (stuck := search.unrestored(solution)) and most > coverage:
        reason = f"no local chain of moves re-seats {_named(stuck)}"
    elif changes != bound:
        reason = f"{changes} changes, not proven minimal (bound {bound})"
    exact = not reason and changes == scope.forced_changes and solution.optimal
    bounds = {"coverage": float(most), "stability": float(bound)}
    objectives = [
        ObjectiveResult(name=n, value=values[n], bound=_bound(n, values[n], bounds, exact))
        for n in scenario.policy.objectives
    ]
    elapsed = time.monotonic() - settings.started
    info = SolveInfo(
        seconds=round(elapsed, 3),
        solver=settings.solver_name,
        workers=settings.workers,
        time_limit_s=settings.time_limit,
        seed=settings.seed,
    )
    repair = _repair_metrics(scope, search, bound)
    if reason:
        repair["unproven"] = reason
        return LocalOutcome(None, reason, finished(schedule, scenario, objectives, info, repair))
    if on_progress is not None:
        for level in objectives:
            on_progress(SolveProgress(level.name, level.value or 0.0, level.bound or 0.0, elapsed))
    return LocalOutcome(finished(schedule, scenario, objectives, info, repair))


def better_repair(candidate: Schedule | None, full: Schedule) -> Schedule:
    """The full solve's schedule, unless the unproven local answer is better level by level
    (policy order): a full solve that runs short of time (a draft read out without the
    model, 5,000 default term: 12,645 changes, coverage 2 lower) never replaces a valid
    local answer that is better."""
    if candidate is None:
        return full
    mine = {o.name: o.value for o in candidate.objectives}
    theirs = {o.name: o.value for o in full.objectives}
    for level in candidate.objectives:
        a, b = mine.get(level.name), theirs.get(level.name)
        if a is None or a == b:
            continue
        if b is None or (a > b if level.name in MAXIMISED else a < b):
            if candidate.solve is None or full.solve is None:
                return candidate
            spent = candidate.solve.model_copy(update={"seconds": full.solve.seconds})
            return candidate.model_copy(update={"solve": spent})
        return full
    return full


class _Addable:
    """Whether an affected student may add a slot to the slots they keep, their previous
    sessions kept: no clash with those sessions or kept placements, tag minimums met once
    all `count` are held (`proof.stability_bound`)."""

    def __init__(
        self, eligibility: Eligibility, scope: Scope, options: dict[str, list[SlotOption]]
    ) -> None:
        self.eligibility, self.scope, self.options = eligibility, scope, options
        self._kept: dict[str, list[SlotOption]] = {}
        self._blocked: dict[str, set[str]] = {}

    def session_free(self, student: str, option: SlotOption) -> bool:
        if student not in self._blocked:
            attends = self.scope.attends.get(student, ())
            self._blocked[student] = self.eligibility.session_periods(attends)
        return option.period not in self._blocked[student]

    def fits(self, student: str, option: SlotOption) -> bool:
        if student not in self._kept:
            valid = self.scope.valid.get(student, frozenset())
            self._kept[student] = [o for o in self.options[student] if o.slot in valid]
        kept = self._kept[student]
        if not self.session_free(student, option):
            return False
        if any(self.eligibility.clash(option.period, k.period) for k in kept):
            return False
        requirement = self.eligibility.requirement(student)
        assert requirement is not None
        held = [*kept, option]
        if len(held) > requirement.count:
            return False
        return len(held) < requirement.count or all(
            sum(tag in o.tags for o in held) >= n for tag, n in requirement.tags.items()
        )


def _bound(name: str, value: float, bounds: dict[str, float], exact: bool) -> float:
    """A level's bound for the whole term. After coverage and stability the local model is
    the whole choice only when stability equals the forced changes (nobody else may move)
    and each level was proven in it; `team_balance` is never re-optimised (teams stay)."""
    if name in bounds:
        return bounds[name]
    if exact and name != "team_balance":
        return value
    return 0.0


def _repair_metrics(scope: Scope, search: _Search, bound: int) -> dict[str, Any]:
    return {
        "path": "local",
        "forced_changes": scope.forced_changes,
        "stability_bound": bound,
        "affected": len(search.affected),
        "movers": len(search.movers),
        "chain_candidates": search.neighbours,
        "withdrawn": len(scope.withdrawn),
    }


def _named(students: list[str]) -> str:
    shown = ", ".join(students[:5])
    return shown + (f" and {len(students) - 5} more" if len(students) > 5 else "")


def full_path_metrics(reason: str) -> dict[str, Any]:
    """What a full solve records about a repair the local path handed over."""
    return {"path": "full", "reason": reason}
