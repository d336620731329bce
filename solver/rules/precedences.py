"""Rule 9 (extension): a student who holds `after` holds `before`, ending before `after`
starts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ortools.sat.python import cp_model

from solver.model import TermModel
from solver.options import SlotOption
from solver.rotations import period_days, planned


def add(model: TermModel) -> None:
    """place[after option] <= done[start]: the `before` options ending before that start,
    summed once per distinct start along a chain (linear in the options, not quadratic)."""
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
            afters = by_discipline.get(precedence.after, [])
            _chain(model, info.id, befores, afters, days)


def _chain(
    model: TermModel,
    student: str,
    befores: list[SlotOption],
    afters: list[SlotOption],
    days: dict[str, tuple[date, date]],
) -> None:
    ends = sorted(befores, key=lambda o: days[o.period][1])
    by_start: dict[date, list[cp_model.IntVar]] = defaultdict(list)
    for option in afters:
        by_start[days[option.period][0]].append(model.place[student, option.slot])
    done: cp_model.IntVar | None = None
    taken = 0
    for start in sorted(by_start):
        new = []
        while taken < len(ends) and days[ends[taken].period][1] < start:
            new.append(model.place[student, ends[taken].slot])
            taken += 1
        if new:
            total = model.cp.new_int_var(0, taken, f"done_before[{student},{start}]")
            model.cp.add(total == sum([*([done] if done is not None else []), *new]))
            model.helpers.append(total)
            done = total
        for var in by_start[start]:
            model.cp.add(var <= (done if done is not None else 0))
