"""Rule 9 (extension): a planned student holds at most `max_per_site` rotations at one site."""

from __future__ import annotations

from collections import defaultdict

from solver.model import TermModel
from solver.rotations import planned


def add(model: TermModel) -> None:
    """One sum per student and site."""
    for info, plan in planned(model):
        if plan.max_per_site is None:
            continue
        by_site = defaultdict(list)
        for option in info.options:
            by_site[option.site].append(model.place[info.id, option.slot])
        for variables in by_site.values():
            if len(variables) > plan.max_per_site:
                model.cp.add(sum(variables) <= plan.max_per_site)
