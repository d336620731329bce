"""Rule 9 (extension): a planned student's rotations never share a date.

Stronger than rule 2 for them (two periods without clashing weekly windows may share
dates): rotations are sequential, which gives consecutive rotations and gaps a meaning.
"""

from __future__ import annotations

from solver.model import TermModel
from solver.rotations import planned, timeline


def add(model: TermModel) -> None:
    """At most one held option per segment of the student's time line."""
    for info, plan in planned(model):
        line = timeline(model, info, plan)
        for t in range(line.size):
            covering = line.covering(t)
            if len(covering) > 1:
                model.cp.add_at_most_one(covering)
