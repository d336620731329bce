"""A schedule's claimed values are what the schedule is (solver.claims).

The base schedule of the factories holds 2 placements and 4 attendances (coverage 6); the
claims below are deliberately wrong in each way the search could leave them.
"""

from __future__ import annotations

from factories import make_scenario, make_schedule
from solver_helpers import level

from scheduler.domain.schedule import ObjectiveResult
from scheduler.domain.validator import objective_values
from solver.claims import settle_claims


def _claiming(status: str, *levels: tuple[str, float | None, float | None]):
    objectives = [ObjectiveResult(name=n, value=v, bound=b) for n, v, b in levels]
    return make_schedule(status=status, objectives=[o.model_dump() for o in objectives])


def test_values_are_recomputed_from_the_schedule() -> None:
    scenario = make_scenario()
    truth = objective_values(scenario, make_schedule())
    claimed = _claiming("feasible", ("coverage", 5, 6), ("team_balance", 3, 0))
    settled = settle_claims(scenario, claimed)
    assert level(settled, "coverage").value == truth["coverage"] == 6
    assert level(settled, "team_balance").value == truth["team_balance"]
    # both levels now meet their bounds: proven, so optimal
    assert settled.status == "optimal"
    assert "claims_corrected" not in settled.metrics


def test_a_bound_the_schedule_beats_is_dropped_and_optimal_withdrawn() -> None:
    scenario = make_scenario()
    claimed = _claiming("optimal", ("coverage", 5, 5), ("preferences", 4, 9))
    settled = settle_claims(scenario, claimed)
    assert level(settled, "coverage").bound is None  # 6 beats the claimed bound 5
    assert level(settled, "preferences").bound == 0.0  # the schedule's ranks beat 9
    assert settled.status == "feasible"
    assert settled.metrics["claims_corrected"] == ["coverage", "preferences"]


def test_optimal_needs_every_level_proven() -> None:
    scenario = make_scenario()
    claimed = _claiming("optimal", ("coverage", 6, 7), ("team_balance", 0, 0))
    assert settle_claims(scenario, claimed).status == "feasible"


def test_other_statuses_stand() -> None:
    scenario = make_scenario()
    claimed = _claiming("infeasible", ("coverage", None, None))
    assert settle_claims(scenario, claimed).status == "infeasible"
