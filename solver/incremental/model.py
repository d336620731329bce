"""The local CP-SAT model: only the students who may move, everyone else fixed.

Each mover picks slots among their options; the seats the fixed students hold are taken
off each slot's capacity. Rules: a student's placements at most `count`, none in
overlapping periods (their sessions' periods were removed from their options), tag
minimums once all `count` are held, and pinned slots kept. Levels are optimised one after
another in policy order and frozen, like the full driver (`solver.driver`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from solver.objectives import OBJECTIVES
from solver.prepare import SlotOption

LEVELS = ("coverage", "stability", "preferences", "travel_fairness", "travel_total")
"""Levels this model optimises; `team_balance` is constant here (sessions stay)."""
MAXIMISED = frozenset(name for name in LEVELS if OBJECTIVES[name].maximize)


REQUIRED_LEVELS = 2
"""coverage and stability: the local answer stands only when both are solved; a later
level that finds nothing in its share keeps the answer of the levels before it."""


@dataclass(frozen=True)
class Mover:
    """A student the local model may re-seat."""

    id: str
    count: int
    before: frozenset[str]
    """Every slot held before, those now closed included."""
    options: list[SlotOption]
    """Slots open to them that clash with none of their sessions."""
    pinned: frozenset[str] = frozenset()
    tags: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalSolution:
    held: dict[str, set[str]]
    values: dict[str, int]
    """Each level's value within the model (`travel_fairness` in tenths of a km)."""
    optimal: bool
    """Every level was proven optimal within the model."""


class LocalModel:
    """The movers' placements as a small CP-SAT model (slots without a seat left for the
    movers are left out, except a mover's own)."""

    def __init__(
        self,
        movers: list[Mover],
        seats: dict[str, int],
        clash: Callable[[str, str], bool],
        fixed_worst_travel: int,
    ) -> None:
        self.cp = cp_model.CpModel()
        self.movers = movers
        self.place: dict[tuple[str, str], cp_model.IntVar] = {}
        self.options: dict[tuple[str, str], SlotOption] = {}
        changes = []
        for mover in movers:
            open_now = [
                o for o in mover.options if seats.get(o.slot, 0) > 0 or o.slot in mover.before
            ]
            changes.append(self._add_mover(replace(mover, options=open_now), clash))
        by_slot: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for (_student, slot), var in self.place.items():
            by_slot[slot].append(var)
        for slot, used in by_slot.items():
            self.cp.add(LinearExpr.sum(used) <= max(0, seats.get(slot, 0)))
        worst = self.cp.new_int_var(fixed_worst_travel, max(fixed_worst_travel, self._most()), "w")
        for key, var in self.place.items():
            self.cp.add(worst >= self.options[key].travel).only_enforce_if(var)
        self._hint_before()
        keys = list(self.place)
        variables = [self.place[k] for k in keys]
        self.levels: dict[str, Any] = {
            "coverage": LinearExpr.sum(variables),
            "stability": LinearExpr.sum(changes),
            "preferences": LinearExpr.weighted_sum(variables, [self.options[k].rank for k in keys]),
            "travel_fairness": worst,
            "travel_total": LinearExpr.weighted_sum(
                variables, [self.options[k].travel for k in keys]
            ),
        }

    def _add_mover(self, mover: Mover, clash: Callable[[str, str], bool]) -> cp_model.IntVar:
        """The mover's placement variables and rules; returns their count of changes."""
        mine = []
        for option in mover.options:
            var = self.cp.new_bool_var(f"place[{mover.id},{option.slot}]")
            self.place[mover.id, option.slot] = var
            self.options[mover.id, option.slot] = option
            mine.append((option, var))
        held = LinearExpr.sum([var for _, var in mine])
        self.cp.add(held <= mover.count)
        by_period: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for option, var in mine:
            by_period[option.period].append(var)
        for first, second in combinations(sorted(by_period), 2):
            if clash(first, second):
                self.cp.add_at_most_one(by_period[first] + by_period[second])
        for period, used in by_period.items():
            if clash(period, period):
                self.cp.add_at_most_one(used)
        for tag, minimum in mover.tags.items():
            tagged = LinearExpr.sum([var for option, var in mine if tag in option.tags])
            self.cp.add(tagged + minimum * (mover.count - held) >= minimum)
        for option, var in mine:
            if option.slot in mover.pinned:
                self.cp.add(var == 1)
        kept = LinearExpr.sum([var for option, var in mine if option.slot in mover.before])
        change = self.cp.new_int_var(0, max(len(mover.before), mover.count), f"changes[{mover.id}]")
        self.cp.add(change >= len(mover.before) - kept)
        self.cp.add(change >= held - kept)
        return change

    def _hint_before(self) -> None:
        """Hint the slots each mover keeps (those still open): a valid answer to start from,
        so the first level never ends without one (on a shared machine its share of the
        time can pass before CP-SAT finds any: "found no answer in its time")."""
        before = {mover.id: mover.before for mover in self.movers}
        for (student, slot), var in self.place.items():
            self.cp.add_hint(var, int(slot in before[student]))

    def _most(self) -> int:
        return max((o.travel for o in self.options.values()), default=0)

    def solve(self, levels: list[str], seconds: float, seed: int) -> LocalSolution | None:
        """Optimise `levels` in order, freezing each; None when no solution was found."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        values: dict[str, int] = {}
        optimal = True
        held: dict[str, set[str]] | None = None
        for index, name in enumerate(levels):
            expression = self.levels[name]
            if name in MAXIMISED:
                self.cp.maximize(expression)
            else:
                self.cp.minimize(expression)
            solver.parameters.max_time_in_seconds = max(0.05, seconds * _share(index, levels))
            status = solver.solve(self.cp)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                if index < REQUIRED_LEVELS or held is None:
                    return None
                optimal = False  # a later level ran out of time: keep the answer so far
                break
            optimal = optimal and status == cp_model.OPTIMAL
            value = round(solver.objective_value)
            values[name] = value
            held = self._held(solver)
            self._hint(solver)
            if name in MAXIMISED:
                self.cp.add(expression >= value)
            else:
                self.cp.add(expression <= value)
        return LocalSolution(dict(held or {}), values, optimal)

    def _held(self, solver: cp_model.CpSolver) -> dict[str, set[str]]:
        held: dict[str, set[str]] = defaultdict(set)
        for (student, slot), var in self.place.items():
            if solver.value(var):
                held[student].add(slot)
        return held

    def _hint(self, solver: cp_model.CpSolver) -> None:
        self.cp.clear_hints()
        for var in self.place.values():
            self.cp.add_hint(var, solver.value(var))


def _share(index: int, levels: list[str]) -> float:
    """Most of the time to coverage and stability, whose proof decides whether the local
    answer stands; the rest split among the later levels."""
    required = min(REQUIRED_LEVELS, len(levels))
    if len(levels) == required:
        return 1 / len(levels)
    return 0.4 if index < required else (1 - 0.4 * required) / (len(levels) - required)
