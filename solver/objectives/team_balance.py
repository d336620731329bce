"""Team balance: per held session, largest team size minus smallest (summed, minimised)."""

from __future__ import annotations

from solver.model import TermModel
from solver.objectives import Objective


def build(model: TermModel) -> Objective:
    gaps = []
    for session, teams in model.teams.items():
        if len(teams) < 2:
            continue
        largest = teams[0].size
        high = model.prep.activities[model.prep.sessions[session].activity].team.max_size
        smallest = model.cp.new_int_var(0, high, f"smallest_team[{session}]")
        model.smallest_team[session] = smallest
        model.cp.add(smallest <= largest)
        for team in teams[1:]:
            model.cp.add(smallest <= team.size + high * (1 - team.used))
        gaps.append(largest - smallest)
    return Objective("team_balance", sum(gaps), maximize=False)
