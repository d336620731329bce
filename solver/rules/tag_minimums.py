"""Rule 7: a student who holds all `count` placements has at least `min` at sites of each tag.

With c = count, m = min, U = untagged and G = tagged placements held, the rule is exactly
    m*U + (m-1)*G <= m*(c-1):
holding all c it says U <= c-m; holding fewer it never binds (U + G <= c-1). No flag
variable is needed and the LP relaxation stays tight (for m = 1 it is just U <= c-1).
"""

from __future__ import annotations

from solver.model import TermModel


def add(model: TermModel) -> None:
    """One linear inequality per student and tag minimum."""
    for info in model.prep.students.values():
        requirement = info.requirement
        if requirement is None or not info.options:
            continue
        count = requirement.count
        for tag, minimum in requirement.tags.items():
            if minimum <= 0:
                continue
            untagged = [model.place[info.id, o.slot] for o in info.options if tag not in o.tags]
            tagged = [model.place[info.id, o.slot] for o in info.options if tag in o.tags]
            if not untagged:
                continue  # with only tagged options the inequality always holds (m <= c)
            model.cp.add(
                minimum * sum(untagged) + (minimum - 1) * sum(tagged) <= minimum * (count - 1)
            )
