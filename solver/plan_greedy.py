"""A first schedule for terms with student plans: each student's rotations laid out in
time, as a hint for the exact model.

The heuristic stages do not encode rule 9 (`solver.features`), so a term with plans
starts CP-SAT cold; on generated clerkship terms its first solutions left many plans
unfinished. This greedy gives it a start that keeps every rule 9 constraint, slot
capacity and rotations without shared dates: students in a seeded order, each student's
disciplines in a random order that respects the precedences, each at the earliest free
start after the previous rotation. It only hints: CP-SAT completes and improves it.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date

from ortools.sat.python import cp_model

from scheduler.domain.plans import StudentPlan
from solver.model import TermModel
from solver.options import SlotOption
from solver.readout import snapshot
from solver.rotations import period_days, planned


def plan_start(
    model: TermModel, make_solver: Callable[[], cp_model.CpSolver], seed: int
) -> dict[int, int] | None:
    """Every model variable's value in the greedy's schedule (None: no plan, or not found).

    A hint of the placements alone was not taken up: with two workers CP-SAT's first
    solutions of a 40-student clerkship term held 175 rotations where the greedy held 229.
    So the helpers (time lines, flags) are completed by one solve with the placements
    fixed to the greedy's, and the driver starts from the whole solution."""
    if not planned(model):
        return None
    taken = _lay_out(model, seed)
    for (student, slot), var in model.place.items():
        model.cp.add_hint(var, (student, slot) in taken)
    solver = make_solver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(model.cp)
    model.cp.clear_hints()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return snapshot(model, solver)


def _lay_out(model: TermModel, seed: int) -> set[tuple[str, str]]:
    scenario = model.prep.scenario
    rng = random.Random(seed)
    seats = {s.id: s.capacity for s in scenario.slots}
    qualified = {s.id: set(s.qualifications) for s in scenario.students}
    requires = {s.id: set(s.requires) for s in scenario.slots}
    discipline = {s.id: s.discipline for s in scenario.slots}
    days = period_days(scenario)
    students = planned(model)
    rng.shuffle(students)
    taken: set[tuple[str, str]] = set()
    for info, plan in students:
        options = [
            o
            for o in info.options
            if requires[o.slot] <= qualified[info.id] and discipline[o.slot] in plan.disciplines
        ]
        for option in _student(plan, options, discipline, days, seats, rng):
            seats[option.slot] -= 1
            taken.add((info.id, option.slot))
    return taken


def _student(
    plan: StudentPlan,
    options: list[SlotOption],
    discipline: dict[str, str | None],
    days: dict[str, tuple[date, date]],
    seats: dict[str, int],
    rng: random.Random,
) -> list[SlotOption]:
    """One student's rotations, earliest first, in a random precedence-respecting order."""
    by_discipline: dict[str, list[SlotOption]] = defaultdict(list)
    for option in sorted(options, key=lambda o: (days[o.period], o.slot)):
        by_discipline[discipline[option.slot] or ""].append(option)
    group_of = {d: g for g, group in enumerate(plan.electives) for d in group.among}
    chosen: Counter[int] = Counter()
    held: list[SlotOption] = []
    done: set[str] = set()
    for name in _order(plan, rng):
        group = group_of.get(name)
        if group is not None and chosen[group] >= plan.electives[group].choose:
            continue
        if any(p.after == name and p.before not in done for p in plan.precedences):
            continue
        pick = _first_fit(plan, by_discipline.get(name, []), held, days, seats)
        if pick is None:
            continue
        held.append(pick)
        done.add(name)
        if group is not None:
            chosen[group] += 1
    return held


def _first_fit(
    plan: StudentPlan,
    candidates: list[SlotOption],
    held: list[SlotOption],
    days: dict[str, tuple[date, date]],
    seats: dict[str, int],
) -> SlotOption | None:
    """The earliest option after the last rotation that keeps the plan's limits."""
    last_end = days[held[-1].period][1] if held else None
    sites = Counter(o.site for o in held)
    changes = sum(a.site != b.site for a, b in zip(held, held[1:], strict=False))
    for option in candidates:
        start = days[option.period][0]
        if seats[option.slot] <= 0:
            continue
        if last_end is not None:
            gap = (start - last_end).days - 1
            if gap < 0 or (plan.min_gap_days is not None and gap < plan.min_gap_days):
                continue
            if plan.max_gap_days is not None and gap > plan.max_gap_days:
                return None
            limit = plan.max_site_changes
            if limit is not None and held[-1].site != option.site and changes + 1 > limit:
                continue
        if plan.max_per_site is not None and sites[option.site] >= plan.max_per_site:
            continue
        return option
    return None


def _order(plan: StudentPlan, rng: random.Random) -> list[str]:
    """Plan disciplines in a random order where every `before` comes before its `after`."""
    names = sorted(plan.disciplines)
    waiting = {n: {p.before for p in plan.precedences if p.after == n} & set(names) for n in names}
    order: list[str] = []
    while waiting:
        ready = sorted(n for n, before in waiting.items() if not before)
        if not ready:  # a cycle: the rest in name order (the model refuses them anyway)
            ready = sorted(waiting)
        name = rng.choice(ready)
        order.append(name)
        del waiting[name]
        for before in waiting.values():
            before.discard(name)
    return order
