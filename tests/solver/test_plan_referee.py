"""A referee for student plans: on tiny random clerkship terms, brute force over every
valid schedule (the validator's own rule 9 decides validity) gives each level's optimum
given the levels before it; the product's values may never beat it, its bounds never fall
on the wrong side of it, and `optimal` means equal on every level."""

from __future__ import annotations

import itertools
import random

import pytest
from clerkship_factories import clerkship, med, ward

from scheduler.domain.plan_rules import check_student, plan_objective_values
from scheduler.domain.scenario import Period, Scenario, Slot, Student
from scheduler.domain.validator import validate_schedule
from solver import SolveOptions, solve

LEVELS = ["coverage", "worst_satisfaction", "scores", "compactness"]
MAXIMISED = {"coverage", "worst_satisfaction", "scores"}
PERIODS = ("B1", "B2", "B3", "B4", "B12", "B23", "B34")


def _term(seed: int) -> Scenario:
    rng = random.Random(seed)
    cells = {(rng.choice(("H1", "H2")), rng.choice("ABC"), rng.choice(PERIODS)) for _ in range(7)}
    slots = [ward(h, d, p, capacity=rng.randint(1, 2)) for h, d, p in sorted(cells)]
    students = []
    for i in range(rng.randint(2, 3)):
        order = rng.sample("ABC", 3)
        plan: dict = {"required": order[: rng.randint(1, 2)]}
        rest = [d for d in "ABC" if d not in plan["required"]]
        if rest and rng.random() < 0.5:
            plan["electives"] = [{"choose": 1, "among": rest}]
        if len(plan["required"]) == 2 and rng.random() < 0.6:
            plan["precedences"] = [{"before": plan["required"][0], "after": plan["required"][1]}]
        for name, values in (
            ("max_gap_days", (0, 28)),
            ("min_gap_days", (1, 28)),
            ("max_per_site", (1,)),
            ("max_site_changes", (0,)),
        ):
            if rng.random() < 0.25:
                plan[name] = rng.choice(values)
        scores = {
            "sites": {"H1": rng.randint(0, 3), "H2": rng.randint(0, 3)},
            "disciplines": {d: rng.randint(0, 3) for d in "ABC"},
        }
        students.append(med(f"m{i}", plan, scores=scores, score_weight=rng.randint(1, 2)))
    return clerkship(students, slots, policy={"objectives": LEVELS})


def _valid_sets(scenario: Scenario) -> list[list[tuple[Slot, ...]]]:
    """Per student, every set of slots they may hold alone (rule 9, count, clashes)."""
    periods = {p.id: p for p in scenario.periods}
    result = []
    for student in scenario.students:
        assert student.plan is not None
        sets = []
        for size in range(student.plan.count + 1):
            for chosen in itertools.combinations(scenario.slots, size):
                if _valid(student, chosen, periods):
                    sets.append(chosen)
        result.append(sets)
    return result


def _valid(student: Student, chosen: tuple[Slot, ...], periods: dict[str, Period]) -> bool:
    found: list[str] = []
    check_student(student, list(chosen), periods, lambda code, *_: found.append(code))
    return not found


def _optima(scenario: Scenario) -> list[dict[str, float]]:
    """The objective values of every valid schedule."""
    capacity = {s.id: s.capacity for s in scenario.slots}
    values = []
    for combo in itertools.product(*_valid_sets(scenario)):
        used: dict[str, int] = {}
        for chosen in combo:
            for slot in chosen:
                used[slot.id] = used.get(slot.id, 0) + 1
        if any(n > capacity[s] for s, n in used.items()):
            continue
        holds = {s.id: list(c) for s, c in zip(scenario.students, combo, strict=True)}
        found = plan_objective_values(scenario, holds)
        found["coverage"] = float(sum(len(c) for c in combo))
        values.append(found)
    return values


@pytest.mark.parametrize("seed", range(30))
def test_the_product_never_beats_the_referee_and_its_bounds_hold(seed: int) -> None:
    scenario = _term(seed)
    schedule = solve(scenario, options=SolveOptions(time_limit_s=10, workers=2, seed=0))
    assert validate_schedule(scenario, schedule) == []
    candidates = _optima(scenario)
    for level in schedule.objectives:
        name = level.name
        sign = 1 if name in MAXIMISED else -1
        best = max(sign * c[name] for c in candidates) * sign
        assert level.value is not None
        assert sign * level.value <= sign * best + 1e-9, (seed, name, level.value, best)
        if level.bound is not None:
            assert sign * level.bound >= sign * best - 1e-9, (seed, name, level.bound, best)
        if abs(level.value - best) > 1e-9:
            assert schedule.status != "optimal"
            break  # later levels are judged against this level's value, not the optimum
        candidates = [c for c in candidates if abs(c[name] - best) < 1e-9]
