"""Preferences: sum of the rank of each placement's site in the student's list (minimised);
an unranked site counts as len(site_preferences) + 1."""

from __future__ import annotations

from solver.model import TermModel
from solver.objectives import Objective


def build(model: TermModel) -> Objective:
    terms = [
        option.rank * model.place[info.id, option.slot]
        for info in model.prep.students.values()
        for option in info.options
    ]
    return Objective("preferences", sum(terms), maximize=False)
