"""Rule 9 (extension): the whole days between consecutive rotations stay within the plan's
`min_gap_days` and `max_gap_days` (`scheduler.domain.plan_rules`).

For an option starting on day s: with a minimum m, no rotation covers [s - m, s - 1]; with a
maximum M, if a rotation ends before s - M - 1, some rotation covers [s - M - 1, s - 1]
(then the one just before this option ends in that window). Both are exact given rotations
that never share a date.
"""

from __future__ import annotations

from datetime import timedelta

from solver.model import TermModel
from solver.rotations import period_days, planned, timeline


def add(model: TermModel) -> None:
    """Per held option, the window before it is empty (minimum) or used (maximum)."""
    days = period_days(model.prep.scenario)
    for info, plan in planned(model):
        low, high = plan.min_gap_days, plan.max_gap_days
        if not low and high is None:
            continue
        line = timeline(model, info, plan)
        for option, first, _end in line.options:
            held = line.place(option)
            start = days[option.period][0]
            if low:
                window = line.segment_at(start - timedelta(days=low))
                for t in range(window, first):
                    model.cp.add(held + line.occupied(t) <= 1)
            if high is not None:
                window = line.segment_at(start - timedelta(days=high + 1))
                if window == 0:
                    continue
                used = [line.occupied(t) for t in range(window, first)]
                model.cp.add(held + line.any_before(window - 1) - sum(used) <= 1)
