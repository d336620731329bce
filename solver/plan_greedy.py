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
from solver.completion import complete
from solver.model import TermModel
from solver.options import SlotOption
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
    return complete(model, _lay_out(model, seed), make_solver)


PASSES = 8
"""Greedy passes in other student orders; the best is kept (on generated 80-student terms
one pass left 0 to 9 rotations out, the best of three none to 5)."""
REPAIR_ORDERS = 12
"""Discipline orders tried again for each student left short, with the seats then free."""


def _lay_out(model: TermModel, seed: int) -> set[tuple[str, str]]:
    """The greedy's placements: the best of `PASSES` student orders, then each student left
    short laid out again in other discipline orders."""
    scenario = model.prep.scenario
    rng = random.Random(seed)
    capacity = {s.id: s.capacity for s in scenario.slots}
    days = period_days(scenario)
    discipline = {s.id: s.discipline for s in scenario.slots}
    students = [
        (info.id, plan, _by_discipline(model, info.id, plan, discipline, days))
        for info, plan in planned(model)
    ]
    best: dict[str, list[SlotOption]] = {}
    for _ in range(PASSES):
        rng.shuffle(students)
        seats = dict(capacity)
        held = {}
        for student, plan, options in students:
            held[student] = _student(plan, options, days, seats, rng)
            for option in held[student]:
                seats[option.slot] -= 1
        if _count(held) > _count(best):
            best = held
    _repair(students, best, capacity, days, rng)
    return {(student, o.slot) for student, options in best.items() for o in options}


def _count(held: dict[str, list[SlotOption]]) -> int:
    return sum(len(options) for options in held.values())


def _repair(
    students: list[tuple[str, StudentPlan, dict[str, list[SlotOption]]]],
    held: dict[str, list[SlotOption]],
    capacity: dict[str, int],
    days: dict[str, tuple[date, date]],
    rng: random.Random,
) -> None:
    """Lay out again, in other discipline orders, each student short of their plan."""
    seats = dict(capacity)
    for rotations in held.values():
        for option in rotations:
            seats[option.slot] -= 1
    for student, plan, by_discipline in students:
        if len(held.get(student, [])) >= plan.count:
            continue
        for option in held.get(student, []):
            seats[option.slot] += 1
        for _ in range(REPAIR_ORDERS):
            tried = _student(plan, by_discipline, days, seats, rng)
            if len(tried) > len(held.get(student, [])):
                held[student] = tried
        for option in held.get(student, []):
            seats[option.slot] -= 1


def _by_discipline(
    model: TermModel,
    student: str,
    plan: StudentPlan,
    discipline: dict[str, str | None],
    days: dict[str, tuple[date, date]],
) -> dict[str, list[SlotOption]]:
    """The student's usable options per plan discipline, earliest first, best-scored first
    among those starting on the same day."""
    scenario = model.prep.scenario
    person = next(s for s in scenario.students if s.id == student)
    qualified = person.held_qualifications
    requires = {s.id: s.required_qualifications for s in scenario.slots if s.requires}
    result: dict[str, list[SlotOption]] = defaultdict(list)
    scores = person.scores

    def score(option: SlotOption) -> int:
        return scores.of(option.site, discipline[option.slot]) if scores is not None else 0

    # earliest first; on one start, the site the student scores highest
    options = sorted(
        model.prep.students[student].options,
        key=lambda o: (days[o.period][0], -score(o), days[o.period][1], o.slot),
    )
    for option in options:
        name = discipline[option.slot]
        if name in plan.disciplines and requires.get(option.slot, set()) <= qualified:
            result[name or ""].append(option)
    return result


def _student(
    plan: StudentPlan,
    by_discipline: dict[str, list[SlotOption]],
    days: dict[str, tuple[date, date]],
    seats: dict[str, int],
    rng: random.Random,
) -> list[SlotOption]:
    """One student's rotations, earliest first, in a random precedence-respecting order."""
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
