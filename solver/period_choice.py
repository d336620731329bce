"""Which of a student's overlapping periods the placement flows may use.

A flow keeps one placement per period with hours but cannot keep a student out of two
distinct periods that overlap: its plans then lose every placement the repair drops (on a
600-student term of overlapping blocks the first draft held 597 of a bound of 729). Before
the flow, each student whose eligible periods clash is given one largest clash-free set of
them (a maximal one that still has seats, spreading demand); the flow then places exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import combinations

from solver.period_fit import EXACT_UP_TO
from solver.prepare import Prepared, SlotOption, StudentInfo

Options = Callable[[StudentInfo], Sequence[SlotOption]]


def clash_free_options(prep: Prepared) -> Options | None:
    """A filter keeping each student's options in their chosen clash-free periods (None when
    no student has two distinct eligible periods that clash)."""
    clashes = prep.period_clashes
    timed = {p for pair in clashes for p in pair if frozenset({p}) in clashes}
    choices: dict[str, list[frozenset[str]]] = {}
    for info in prep.students.values():
        periods = sorted({o.period for o in info.all_options} & timed)
        if info.count and _clash_between(periods, clashes) and len(periods) <= EXACT_UP_TO:
            choices[info.id] = _maximal_clash_free_sets(periods, clashes)
    if not choices:
        return None
    chosen = _spread(prep, choices)

    def allowed(info: StudentInfo) -> Sequence[SlotOption]:
        keep = chosen.get(info.id)
        if keep is None:
            return info.all_options
        return [o for o in info.all_options if o.period in keep or o.period not in timed]

    return allowed


def _clash_between(periods: list[str], clashes: set[frozenset[str]]) -> bool:
    return any(frozenset(pair) in clashes for pair in combinations(periods, 2))


def _maximal_clash_free_sets(
    periods: list[str], clashes: set[frozenset[str]]
) -> list[frozenset[str]]:
    """Every clash-free set of the periods that no other clash-free set contains."""
    found: list[frozenset[str]] = []
    for size in range(len(periods), 0, -1):
        for chosen in combinations(periods, size):
            candidate = frozenset(chosen)
            if not _clash_between(list(chosen), clashes) and not any(
                candidate < other for other in found
            ):
                found.append(candidate)
    return found or [frozenset()]


def _spread(prep: Prepared, choices: dict[str, list[frozenset[str]]]) -> dict[str, frozenset[str]]:
    """Students with the fewest choices first, each taking the set with the most periods
    that still have a free seat of their profession (up to their count), then the lowest
    demand per seat, then the best ranks."""
    seats: dict[tuple[str, str], int] = defaultdict(int)
    for slot in prep.scenario.slots:
        if slot.status != "declined":
            seats[slot.profession, slot.period] += slot.capacity
    demand: dict[tuple[str, str], int] = defaultdict(int)
    chosen: dict[str, frozenset[str]] = {}
    for student in sorted(choices, key=lambda s: (len(choices[s]), s)):
        info = prep.students[student]
        best_rank: dict[str, int] = {}
        for option in info.all_options:
            best_rank[option.period] = min(best_rank.get(option.period, option.rank), option.rank)
        pick = min(
            choices[student],
            key=lambda periods: (
                -min(info.count, _open(periods, info.profession, demand, seats)),  # noqa: B023
                _crowding(periods, info.profession, demand, seats),  # noqa: B023
                sum(best_rank[p] for p in periods),  # noqa: B023
            ),
        )
        chosen[student] = pick
        for period in pick:
            demand[info.profession, period] += 1
    return chosen


def _open(
    periods: frozenset[str],
    profession: str,
    demand: dict[tuple[str, str], int],
    seats: dict[tuple[str, str], int],
) -> int:
    """How many of the periods still have a seat of the profession nobody was given."""
    return sum(1 for p in periods if demand[profession, p] < seats[profession, p])


def _crowding(
    periods: frozenset[str],
    profession: str,
    demand: dict[tuple[str, str], int],
    seats: dict[tuple[str, str], int],
) -> float:
    """The highest demand per seat among the periods if one more student took them."""
    if not periods:
        return 0.0
    return max((demand[profession, p] + 1) / max(1, seats[profession, p]) for p in periods)
