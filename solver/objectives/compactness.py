"""`compactness` (extension): idle days before each planned student's last rotation plus a
week per change of site (docs/objectives.md; `scheduler.domain.plan_rules` is the
reference). Read from the students' time lines (`solver.rotations`)."""

from __future__ import annotations

from scheduler.domain.plan_rules import SITE_CHANGE_DAYS
from solver.model import TermModel
from solver.objectives.base import Objective
from solver.objectives.scores import plan_module
from solver.rotations import planned, timeline


def build(model: TermModel) -> Objective:
    """Sum over planned students of idle days and SITE_CHANGE_DAYS per change (minimised)."""
    term_start = model.prep.scenario.term.start
    terms = []
    for info, plan in planned(model):
        line = timeline(model, info, plan)
        for t in range(line.size):
            if line.starts[t] < term_start:
                continue
            terms.append(line.days(t) * (line.before_last(t) - line.occupied(t)))
        terms += [SITE_CHANGE_DAYS * change for change in line.changes()]
    return Objective("compactness", sum(terms), maximize=False)


OBJECTIVE = plan_module("compactness", build, maximize=False)
