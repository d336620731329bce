"""Proven bounds for the whole term, valid even when CP-SAT models only candidate slots.

Each bound comes from a relaxation over *every* eligible option: the IPE part solved alone
(placements dropped) and the placement flow (tag minimums and session clashes dropped).
A solution of the joint problem is feasible in each relaxation, so:
- coverage <= best IPE attendance + most placements;
- a schedule meeting `coverage >= v` holds at least v - best IPE attendance placements,
  which bounds preferences, worst travel and total travel from below by flows.
Only flow totals matter here, so the flows run over `PlacementTotals` (slots of one group
merged: the same optimal values over about a third of the arcs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.joint_bound import JointRelaxation
from solver.prepare import TRAVEL_SCALE, Prepared
from solver.relaxation import PlacementTotals


@dataclass
class TermBounds:
    """Relaxation bounds of a term; `ipe_best` is the IPE-only coverage optimum (or bound).

    Each network is a different relaxation (see `solver.relaxation`); every bound is the
    tightest over them."""

    networks: list[PlacementTotals]
    ipe_best: int
    joint: JointRelaxation | None = None
    """The LP over sessions and placements together (`solver.joint_bound`), when built."""
    _joint_coverage: int | None = field(default=None, init=False)
    prep: Prepared | None = None
    """The prepared term, for bounds read from options alone (the diversity levels)."""

    @classmethod
    def of(cls, prep: Prepared, ipe_best: int, joint_seconds: float = 0.0) -> TermBounds:
        """The plain flow relaxation and, when students need placements, the tag-aware one;
        with `joint_seconds` > 0 the joint LP too, each of its solves capped at that."""
        networks = [PlacementTotals(prep)]
        if networks[0].total_need > 0:
            networks.append(PlacementTotals(prep, tag_aware=True))
        joint = JointRelaxation.of(prep, joint_seconds) if joint_seconds > 0 else None
        return cls(networks, ipe_best, joint, prep=prep)

    @property
    def most_placements(self) -> int:
        return min(network.max_placements() for network in self.networks)

    def coverage(self) -> int:
        flows = self.ipe_best + self.most_placements
        if self.joint is not None and self._joint_coverage is None:
            self._joint_coverage = self.joint.coverage()
        return flows if self._joint_coverage is None else min(flows, self._joint_coverage)

    def placements_needed(self, fixed: dict[str, float]) -> int:
        """Placements any schedule holds once the coverage level is fixed (0 if it is not)."""
        coverage = fixed.get("coverage")
        return 0 if coverage is None else max(0, round(coverage) - self.ipe_best)

    def bound(self, name: str, fixed: dict[str, float]) -> float | None:
        """The relaxation bound of a level given the levels fixed before it (None: unknown):
        the level's own module says which (`solver.objectives`)."""
        from solver.objectives import OBJECTIVES

        objective = OBJECTIVES.get(name)
        return None if objective is None else objective.bound(self, fixed)

    def preferences(self, fixed: dict[str, float]) -> float:
        """Least rank sum of the placements any schedule reaching the fixed coverage holds."""
        needed = self.placements_needed(fixed)
        flows = max(
            n.totals(rank_weight=1, travel_weight=0, limit=needed).rank for n in self.networks
        )
        joint = self._joint_rank(fixed)
        return float(flows if joint is None else max(flows, joint))

    def worst_travel(self, fixed: dict[str, float]) -> float:
        """Least worst travel (km) of the placements any such schedule holds."""
        needed = self.placements_needed(fixed)
        if needed == 0:
            return 0.0
        # one network: each binary-search step is a max flow over every option
        flows = self.networks[0].least_worst_travel(needed)
        joint = self._joint_worst_travel(fixed)
        return (flows if joint is None else max(flows, joint)) / TRAVEL_SCALE

    def travel_total(self, fixed: dict[str, float]) -> float:
        """Least total travel (km) of the placements any such schedule holds."""
        needed = self.placements_needed(fixed)
        if needed == 0:
            return 0.0
        return max(_travel_total(n, needed, fixed) for n in self.networks)

    def _joint_worst_travel(self, fixed: dict[str, float]) -> int | None:
        coverage = fixed.get("coverage")
        if self.joint is None or coverage is None:
            return None
        return self.joint.least_worst_travel(coverage)

    def _joint_rank(self, fixed: dict[str, float]) -> int | None:
        coverage = fixed.get("coverage")
        if self.joint is None or coverage is None:
            return None
        return self.joint.least_rank(coverage)


def _travel_total(network: PlacementTotals, needed: int, fixed: dict[str, float]) -> float:
    """Least total travel (km) with the worst-travel cap; when the preference level was fixed
    before at the flow's best rank, among plans of that rank (lexicographic in one flow).
    Without a fixed preference level rank plays no part: the least travel of any plan."""
    worst = fixed.get("travel_fairness")
    cap = None if worst is None else round(worst * TRAVEL_SCALE)
    preferences = fixed.get("preferences")
    if preferences is not None:
        plan = network.totals(
            rank_weight=network.rank_weight, travel_weight=1, limit=needed, max_travel=cap
        )
        if plan.rank == round(preferences):
            return plan.travel / TRAVEL_SCALE
    plan = network.totals(rank_weight=0, travel_weight=1, limit=needed, max_travel=cap)
    return plan.travel / TRAVEL_SCALE
