"""The objective protocol: what every objective level module declares.

Each objective is one module exposing one `ObjectiveModule` value (registered in
`solver.objectives.OBJECTIVES`): how to build its CP-SAT expression, how to evaluate it on
solution values, its whole-term bound (may be None), and how the driver's helpers treat it
(the polish LP, tie-breaks, when its bound is worth computing). The driver, the bounds and
the polish ask the module instead of branching on the objective's name.
Imports only the model types; never the driver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.model import TermModel
from solver.prepare import SlotOption

if TYPE_CHECKING:
    from solver.bounds import TermBounds


@dataclass(frozen=True)
class Objective:
    """One level as built into a model."""

    name: str
    expression: cp_model.LinearExprT
    maximize: bool
    unit: float = 1.0
    """Reported value = model value * unit (travel is modelled in 0.1 km)."""


@dataclass(frozen=True)
class TieBreak:
    """A later level folded into this one with a weight that keeps this level first:
    `weight` exceeds any value the tie-break expression can take."""

    expression: cp_model.LinearExprT
    weight: int
    stops_at_bound: bool = True
    """Whether reaching the level's own bound still ends the search (False: the tie-break
    has more to gain, as stability on a repair)."""


ValueOf = Callable[[cp_model.IntVar], int]
Build = Callable[[TermModel], Objective | None]
Evaluate = Callable[[TermModel, ValueOf], float]
Bound = Callable[["TermBounds", dict[str, float]], float | None]
TieBreaker = Callable[[TermModel], TieBreak | None]


def no_bound(bounds: TermBounds, fixed: dict[str, float]) -> float | None:
    """No relaxation bound of the whole term (the level reports CP-SAT's when it may)."""
    return None


@dataclass(frozen=True)
class ObjectiveModule:
    """An objective level: one per policy name."""

    name: str
    maximize: bool
    build: Build
    """The level's expression in the model (None: the level is empty for this term)."""
    evaluate: Evaluate
    """Its value (reported units) in solution values given variable by variable."""
    bound: Bound = no_bound
    """A relaxation bound valid for the whole term given the levels fixed before it
    (`solver.bounds`; None: none)."""
    model_bound: Callable[[TermModel], float | None] | None = None
    """A bound valid for the whole term read from the model alone, taken always and in
    place of `bound` (stability: the changes no schedule avoids)."""
    bound_always: bool = False
    """Computed whenever the relaxations exist (else only when it fits in the time left)."""
    bound_cost: float = 1.2
    """Its relaxation bound takes about this many times the last bound's time."""
    polish_cost: Callable[[SlotOption], int] | None = None
    """The per-placement cost the polish LP minimises for this level (None: not polished)."""
    polish_holds: bool = False
    """Whether the polish LP keeps this level when it was fixed before."""
    tie_break: TieBreaker | None = None
    """This level folded as a tie-break into the level before it (None: never)."""
    takes_tie_breaks: tuple[str, ...] = ()
    """Levels that, coming right after this one, break its ties."""

    def value(self, model: TermModel, values: dict[int, int]) -> float:
        """The level's value in solution values given by variable index."""
        return self.evaluate(model, lambda var: values.get(var.index, 0))


def held_options(model: TermModel, value_of: ValueOf) -> list[SlotOption]:
    """The placement options a solution holds."""
    return [
        option
        for info in model.prep.students.values()
        for option in info.options
        if value_of(model.place[info.id, option.slot])
    ]
