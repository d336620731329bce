"""Rule 9 (extension): a planned student changes site at most `max_site_changes` times
between consecutive rotations."""

from __future__ import annotations

from solver.model import TermModel
from solver.rotations import planned, timeline


def add(model: TermModel) -> None:
    """Sum of the student's change flags (`solver.rotations.Timeline.changes`)."""
    for info, plan in planned(model):
        if plan.max_site_changes is None:
            continue
        changes = timeline(model, info, plan).changes()
        if len(changes) > plan.max_site_changes:
            model.cp.add(sum(changes) <= plan.max_site_changes)
