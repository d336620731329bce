"""Which of a student's eligible slots the CP-SAT model considers.

A large term offers each student hundreds of eligible slots; a boolean for each drowns
CP-SAT. The model keeps, per student and period, the best few by (preference rank,
travel), the best few at sites of each tag the student's requirement asks for, and every
slot the exact flow relaxation chose, so the flow's optimum stays reachable. Bounds are
then taken from flows over *all* options (`solver.relaxation`), so
what is reported as proven stays proven for the whole term.
"""

from __future__ import annotations

from collections import defaultdict

from solver.prepare import Prepared, SlotOption

KEEP_PER_PERIOD = 8


def restrict_options(
    prep: Prepared, chosen: dict[str, list[str]], keep_per_period: int = KEEP_PER_PERIOD
) -> bool:
    """Trim each student's modelled options; True when any option was dropped."""
    dropped = False
    for info in prep.students.values():
        all_options = list(info.all_options)  # an OptionList makes its tuples per iteration
        by_period: dict[str, list[SlotOption]] = defaultdict(list)
        for option in all_options:
            by_period[option.period].append(option)
        keep = set(chosen.get(info.id, ()))
        tags = [t for t, m in info.requirement.tags.items() if m > 0] if info.requirement else []
        for options in by_period.values():
            ordered = sorted(options, key=lambda o: (o.rank, o.travel, o.slot))
            keep.update(o.slot for o in ordered[:keep_per_period])
            for tag in tags:
                tagged = [o for o in ordered if tag in o.tags]
                keep.update(o.slot for o in tagged[: keep_per_period // 2])
        info.options = [o for o in all_options if o.slot in keep]
        dropped = dropped or len(info.options) < len(all_options)
    return dropped
