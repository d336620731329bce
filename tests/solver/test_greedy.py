"""The constructive warm start is a valid schedule on its own, checked by the validator."""

from __future__ import annotations

import pytest
from factories import site, slot, student
from solver_helpers import placements_only

from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver.candidates import restrict_options
from solver.greedy import greedy_sessions, greedy_values
from solver.model import TermModel
from solver.placement_repair import repair_placements
from solver.prepare import prepare
from solver.readout import read_schedule
from solver.relaxation import PlacementNetwork
from solver.rules import apply_rules


@pytest.mark.parametrize("students,seed", [(60, 1), (300, 2027), (300, 5)])
def test_greedy_schedule_breaks_no_hard_rule(students: int, seed: int) -> None:
    scenario = generate_term(students=students, seed=seed)
    prep = prepare(scenario)
    network = PlacementNetwork(prep)
    flow = network.solve(rank_weight=network.rank_weight, travel_weight=1)
    placed = repair_placements(prep, flow.chosen)
    restrict_options(prep, placed)
    model = TermModel(prep)
    apply_rules(model)
    state = greedy_sessions(prep, placed)
    values = greedy_values(model, placed, state)
    assert values is not None
    schedule = read_schedule(model, values, "feasible", [], SolveInfo())
    assert validate_schedule(scenario, schedule) == []
    attended = sum(len(team.students) for entry in schedule.sessions for team in entry.teams)
    assert attended > 0.8 * sum(len(s.activities) for s in prep.students.values())
    assert len(schedule.placements) == sum(len(v) for v in placed.values())


def test_placements_around_sessions_never_swap_into_a_blocked_period():
    """A tag minimum met by swapping seats must keep to the options allowed (placements
    around sessions: periods clashing with a student's sessions are not allowed)."""
    scenario = placements_only(
        students=[student("n1")],
        sites=[site("H1", tags=["acute"]), site("H2", tags=["acute", "underserved"])],
        slots=[slot("L1"), slot("L2", site="H2")],
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {"underserved": 1}}],
    )
    prep = prepare(scenario)
    chosen = {"n1": ["L1"]}
    assert repair_placements(prep, chosen) == {"n1": ["L2"]}
    no_h2 = lambda info: [o for o in info.options if o.site != "H2"]  # noqa: E731
    assert repair_placements(prep, chosen, options_of=no_h2) == {"n1": []}
