"""Rule 2 for placements: a student never holds two placements on site at the same moment."""

from __future__ import annotations

from collections import defaultdict

from solver.model import TermModel


def add(model: TermModel) -> None:
    """At most one placement among periods whose on-site windows clash (a period clashes
    with itself when it has windows)."""
    for info in model.prep.students.values():
        by_period = defaultdict(list)
        for option in info.options:
            by_period[option.period].append(model.place[info.id, option.slot])
        periods = sorted(by_period)
        for i, first in enumerate(periods):
            for second in periods[i:]:
                if frozenset({first, second}) not in model.prep.period_clashes:
                    continue
                variables = by_period[first] + (by_period[second] if second != first else [])
                if len(variables) > 1:
                    model.cp.add_at_most_one(variables)
