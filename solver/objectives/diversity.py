"""Diversity levels (extension, docs/objectives.md): `distinct_sites` and `distinct_tags`,
maximised. Per student, one boolean per place (a unit of a site, else the site) or tag
not already in their history, at most the placements held there; the history's own
places and tags are a constant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from scheduler.domain.weeks import history_places, history_tags, place_of
from solver.model import TermModel
from solver.objectives.base import Objective, ObjectiveModule
from solver.options import SlotOption
from solver.prepare import Prepared

if TYPE_CHECKING:
    from solver.bounds import TermBounds

NAMES = ("distinct_sites", "distinct_tags")


def _places(model: TermModel) -> dict[str, str]:
    return {slot.id: place_of(slot) for slot in model.prep.scenario.slots}


def _kinds(name: str, places: dict[str, str], option: SlotOption) -> Iterable[str]:
    """What one placement adds: its place, or its tags."""
    return (places[option.slot],) if name == "distinct_sites" else option.tags


def _earlier(name: str) -> Callable:
    return history_places if name == "distinct_sites" else history_tags


def build(name: str, model: TermModel) -> Objective:
    """The level `name`: sum of new places (tags) reached plus the history's constant."""
    places = _places(model)
    earlier = _earlier(name)
    students = {s.id: s for s in model.prep.scenario.students}
    constant = sum(len(earlier(s)) for s in model.prep.scenario.students)
    reached: list[cp_model.IntVar] = []
    for info in model.prep.students.values():
        done = earlier(students[info.id])
        where: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for option in info.options:
            for kind in _kinds(name, places, option):
                if kind not in done:
                    where[kind].append(model.place[info.id, option.slot])
        for kind, variables in sorted(where.items()):
            flag = model.cp.new_bool_var(f"{name}[{info.id},{kind}]")
            model.cp.add(flag <= sum(variables))
            model.helpers.append(flag)
            reached.append(flag)
    return Objective(name, sum(reached) + constant, maximize=True)


def build_sites(model: TermModel) -> Objective:
    return build("distinct_sites", model)


def build_tags(model: TermModel) -> Objective:
    return build("distinct_tags", model)


def _module(name: str) -> ObjectiveModule:
    """The level `name` as an objective module (its bound read from the options alone)."""

    def bound(bounds: TermBounds, fixed: dict[str, float]) -> float | None:
        if bounds.prep is None:
            return None
        return relaxed_bound(name, bounds.prep, bounds.most_placements)

    return ObjectiveModule(
        name=name,
        maximize=True,
        build=lambda model: build(name, model),
        evaluate=lambda model, value_of: value(name, model, value_of),
        bound=bound,
        bound_always=True,  # read from the options: no LP, no flow beyond the coverage's
    )


def value(name: str, model: TermModel, value_of: Callable) -> float:
    """The level's value in a solution (the validator's definition)."""
    places = _places(model)
    earlier = _earlier(name)
    total = 0
    for student in model.prep.scenario.students:
        seen = set(earlier(student))
        info = model.prep.students.get(student.id)
        for option in info.options if info is not None else ():
            if value_of(model.place[student.id, option.slot]):
                seen.update(_kinds(name, places, option))
        total += len(seen)
    return float(total)


def relaxed_bound(name: str, prep: Prepared, most_placements: int) -> float:
    """A bound valid for the whole term (every eligible option, whatever the model holds):
    each placement adds at most one new place, so a student gains at most
    min(count, new places they could reach) and all students together at most the most
    placements any schedule holds; a placement adds at most its new tags."""
    earlier = _earlier(name)
    places = {slot.id: place_of(slot) for slot in prep.scenario.slots}
    constant = sum(len(earlier(s)) for s in prep.scenario.students)
    students = {s.id: s for s in prep.scenario.students}
    gains = 0
    for info in prep.students.values():
        if not info.count or not info.all_options:
            continue
        done = earlier(students[info.id])
        options = list(info.all_options)
        reachable = {k for o in options for k in _kinds(name, places, o)} - done
        widest = max(len(set(_kinds(name, places, o)) - done) for o in options)
        gains += min(len(reachable), info.count * widest)
    if name == "distinct_sites":
        gains = min(gains, most_placements)
    return float(constant + gains)


SITES = _module("distinct_sites")
TAGS = _module("distinct_tags")
