"""Diversity levels (extension, docs/objectives.md): `distinct_sites` and `distinct_tags`,
maximised. Per student, one boolean per place (a unit of a site, else the site) or tag
not already in their history, at most the placements held there; the history's own
places and tags are a constant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from ortools.sat.python import cp_model

from scheduler.domain.weeks import history_places, history_tags, place_of
from solver.model import TermModel
from solver.objectives import Objective
from solver.options import SlotOption

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
