"""The constructive warm start is a valid schedule on its own, checked by the validator."""

from __future__ import annotations

import pytest

from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver.candidates import restrict_options
from solver.greedy import greedy_sessions, greedy_values
from solver.model import TermModel
from solver.prepare import prepare
from solver.readout import read_schedule
from solver.relaxation import PlacementNetwork
from solver.rules import apply_rules
from solver.warm import repair_placements


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
    schedule = read_schedule(model, values, "feasible", [], SolveInfo())
    assert validate_schedule(scenario, schedule) == []
    attended = sum(len(team.students) for entry in schedule.sessions for team in entry.teams)
    assert attended > 0.8 * sum(len(s.activities) for s in prep.students.values())
    assert len(schedule.placements) == sum(len(v) for v in placed.values())
