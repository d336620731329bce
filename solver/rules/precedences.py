"""Rule 9 (extension): a student who holds `after` holds `before`, ending before `after`
starts."""

from __future__ import annotations

from collections import defaultdict

from solver.model import TermModel
from solver.rotations import period_days, planned


def add(model: TermModel) -> None:
    """place[after option] <= sum of place over `before` options that end before it."""
    scenario = model.prep.scenario
    discipline = {s.id: s.discipline for s in scenario.slots}
    days = period_days(scenario)
    for info, plan in planned(model):
        if not plan.precedences:
            continue
        by_discipline = defaultdict(list)
        for option in info.options:
            by_discipline[discipline[option.slot]].append(option)
        for precedence in plan.precedences:
            befores = by_discipline.get(precedence.before, [])
            for after in by_discipline.get(precedence.after, []):
                starts = days[after.period][0]
                earlier = [
                    model.place[info.id, b.slot] for b in befores if days[b.period][1] < starts
                ]
                model.cp.add(model.place[info.id, after.slot] <= sum(earlier))
