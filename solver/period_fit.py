"""How many placements one student can hold at once: the clash rule counted.

A period with on-site hours clashes with itself (one placement in it at most); two periods
whose hours overlap clash with each other; a period without hours occupies no time. The
most placements a student can hold is then every option in periods without hours plus the
largest set of periods with hours no two of which clash. The bounds (`solver.relaxation`)
and the explanations (`too_few_periods`) both count it here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from itertools import combinations
from typing import TypeVar

P = TypeVar("P", bound=Hashable)

EXACT_UP_TO = 16
"""Periods with hours beyond which the largest clash-free set is not searched: their number
is used instead (still an upper bound)."""


def largest_clash_free(periods: Sequence[P], clash: Callable[[P, P], bool]) -> int:
    """Size of the largest set of `periods` (distinct, each with hours) no two of which clash;
    beyond `EXACT_UP_TO` periods, their number."""
    if len(periods) > EXACT_UP_TO or not any(clash(a, b) for a, b in combinations(periods, 2)):
        return len(periods)
    for size in range(len(periods), 0, -1):
        for chosen in combinations(periods, size):
            if not any(clash(a, b) for a, b in combinations(chosen, 2)):
                return size
    return 0


def most_held(option_periods: Sequence[str], clashes: set[frozenset[str]]) -> int:
    """Most placements a student with options in these periods (one entry per option) can
    hold without a clash, whatever their count."""
    untimed = sum(1 for p in option_periods if frozenset({p}) not in clashes)
    timed = sorted({p for p in option_periods if frozenset({p}) in clashes})
    return untimed + largest_clash_free(timed, lambda a, b: frozenset({a, b}) in clashes)
