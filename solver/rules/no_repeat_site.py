"""`policy.no_repeat_site` (extension): a student holds at most one placement per site,
and none at a site of their history."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from solver.model import TermModel


def add(model: TermModel) -> None:
    """`sum <= 1` (0 for a site done before) per student and site they could repeat."""
    scenario = model.prep.scenario
    if not scenario.policy.no_repeat_site:
        return
    students = {s.id: s for s in scenario.students}
    for info in model.prep.students.values():
        earlier = {h.site for h in students[info.id].history}
        by_site: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for option in info.options:
            by_site[option.site].append(model.place[info.id, option.slot])
        for site, variables in by_site.items():
            most = 0 if site in earlier else 1
            if len(variables) > most:
                model.cp.add(sum(variables) <= most)
