"""Rule 9 (extension): no discipline twice for any student; a planned student holds only
plan disciplines, at most `choose` of each elective group.

With the plan's count as the student's count (`requirement_for`), holding all of them
completes the plan: each required discipline once and `choose` of each group.
"""

from __future__ import annotations

from collections import defaultdict

from solver.model import TermModel


def add(model: TermModel) -> None:
    """At most one option per discipline; plan disciplines only; elective group limits."""
    scenario = model.prep.scenario
    discipline = {s.id: s.discipline for s in scenario.slots if s.discipline is not None}
    plans = {s.id: s.term_plan for s in scenario.students if s.term_plan is not None}
    for info in model.prep.students.values():
        by_discipline = defaultdict(list)
        for option in info.options:
            var = model.place[info.id, option.slot]
            by_discipline[discipline.get(option.slot)].append(var)
        plan = plans.get(info.id)
        for name, variables in by_discipline.items():
            if plan is not None and name not in plan.disciplines:
                for var in variables:
                    model.cp.add(var == 0)
            elif name is not None and len(variables) > 1:
                model.cp.add_at_most_one(variables)
        if plan is None:
            continue
        for group in plan.electives:
            variables = [v for d in set(group.among) for v in by_discipline.get(d, [])]
            if len(variables) > group.choose:
                model.cp.add(sum(variables) <= group.choose)
