"""`scores` and `worst_satisfaction` (extension): students' cardinal satisfaction
(docs/objectives.md; `scheduler.domain.plan_rules.satisfaction` is the reference)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.domain.scenario import Student
from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule, ValueOf
from solver.plan_bounds import plan_level_bound


def _satisfactions(model: TermModel, needing_only: bool) -> list[cp_model.LinearExprT]:
    """Per student with scores, their weighted score as a linear expression."""
    scenario = model.prep.scenario
    discipline = {s.id: s.discipline for s in scenario.slots}
    result: list[cp_model.LinearExprT] = []
    for student in scenario.students:
        info = model.prep.students.get(student.id)
        if student.scores is None or info is None:
            continue
        if needing_only and info.count <= 0:
            continue
        terms = [
            student.weight
            * student.scores.of(o.site, discipline[o.slot])
            * model.place[info.id, o.slot]
            for o in info.options
        ]
        result.append(sum(terms))
    return result


def build(model: TermModel) -> Objective:
    """Total weighted score (maximised)."""
    return Objective("scores", sum(_satisfactions(model, needing_only=False)), maximize=True)


def build_worst(model: TermModel) -> Objective:
    """The smallest weighted score of a student who needs placements (maximised); exact
    through a min equality."""
    satisfactions = _satisfactions(model, needing_only=True)
    if not satisfactions:
        return Objective("worst_satisfaction", 0, maximize=True)
    top = max(_most(model, s) for s in model.prep.scenario.students if s.scores is not None)
    worst = model.cp.new_int_var(0, max(top, 0), "worst_satisfaction")
    model.cp.add_min_equality(worst, satisfactions)
    model.helpers.append(worst)
    return Objective("worst_satisfaction", worst, maximize=True)


def _most(model: TermModel, student: Student) -> int:
    """An upper bound of the student's weighted score: every option's score added."""
    info = model.prep.students.get(student.id)
    if info is None or student.scores is None:
        return 0
    discipline = {s.id: s.discipline for s in model.prep.scenario.slots}
    return sum(student.weight * student.scores.of(o.site, discipline[o.slot]) for o in info.options)


def plan_value(name: str, model: TermModel, value_of: ValueOf) -> float:
    """A student-plan level recomputed from the held slots by the domain's definition
    (`scheduler.domain.plan_rules`), so the driver and the validator agree."""
    from scheduler.domain.plan_rules import plan_objective_values

    scenario = model.prep.scenario
    slots = {s.id: s for s in scenario.slots}
    holds: dict = {}
    for info in model.prep.students.values():
        for option in info.options:
            if value_of(model.place[info.id, option.slot]):
                holds.setdefault(info.id, []).append(slots[option.slot])
    return plan_objective_values(scenario, holds).get(name, 0.0)


def plan_module(name: str, build_level, maximize: bool) -> ObjectiveModule:
    """A student-plan level: its bound read from the options (`solver.plan_bounds`)."""
    return ObjectiveModule(
        name=name,
        maximize=maximize,
        build=build_level,
        evaluate=lambda model, value_of: plan_value(name, model, value_of),
        model_bound=lambda model: plan_level_bound(model, name),
    )


SCORES = plan_module("scores", build, maximize=True)
WORST = plan_module("worst_satisfaction", build_worst, maximize=True)
