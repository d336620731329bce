"""Flow placements made to obey every placement rule (rules 6 and 7 the flow relaxes).

Drop one of two placements in clashing periods; meet tag minimums by swapping in a free
tagged seat, else by moving the holder of a tagged seat to a free seat that suits them
(one link of an ejection chain), else by dropping a placement. The flow's tag rounds
(`solver.placement_flow`) leave few students short, so this stays cheap; each move keeps
every rule of the student moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from itertools import islice

from solver.options import options_among
from solver.prepare import Prepared, SlotOption, StudentInfo

OptionsOf = Callable[[StudentInfo], Sequence[SlotOption]]
MOVE_TRIES = 10
"""Tagged seats (best first) whose holders a short student tries to move: bounds the work
when many are short (a flow without tag rounds at 20,000 students)."""


class _Seats:
    """Who holds what while repairing: placements per student, holders and free seats."""

    def __init__(self, prep: Prepared, chosen: dict[str, list[str]], options_of: OptionsOf | None):
        self.prep = prep
        self.options_of = options_of
        self.held = {student: list(slots) for student, slots in chosen.items()}
        self.free = {slot.id: slot.capacity for slot in prep.scenario.slots}
        self.holders: dict[str, set[str]] = defaultdict(set)
        for student, slots in chosen.items():
            for slot in slots:
                self.free[slot] -= 1
                self.holders[slot].add(student)
        self._usable: dict[str, dict[str, SlotOption]] = {}
        self._sorted: dict[str, list[SlotOption]] = {}

    def usable(self, student: str) -> dict[str, SlotOption]:
        """Every option the student may take (`options_of`), with those they hold."""
        if student not in self._usable:
            info = self.prep.students[student]
            allowed = self.options_of(info) if self.options_of is not None else info.options
            every = {o.slot: o for o in allowed}
            every.update(options_among(info.options, self.held.get(student, ())))
            self._usable[student] = every
        return self._usable[student]

    def by_preference(self, student: str) -> list[SlotOption]:
        """`usable` best first (rank, then travel), sorted once per student."""
        if student not in self._sorted:
            options = self.usable(student).values()
            self._sorted[student] = sorted(options, key=lambda o: (o.rank, o.travel))
        return self._sorted[student]

    def set(self, student: str, slots: list[str]) -> None:
        for slot in set(self.held.get(student, ())) - set(slots):
            self.free[slot] += 1
            self.holders[slot].discard(student)
        for slot in set(slots) - set(self.held.get(student, ())):
            self.free[slot] -= 1
            self.holders[slot].add(student)
        self.held[student] = slots


def repair_placements(
    prep: Prepared, chosen: dict[str, list[str]], options_of: OptionsOf | None = None
) -> dict[str, list[str]]:
    """Make flow placements obey every placement rule (see the module). Swaps and moves only
    take options `options_of` allows (default: all the student's): placements around
    sessions must not move into a period that clashes with them."""
    seats = _Seats(prep, chosen, options_of)
    for student in chosen:
        slots = seats.held[student]  # a holder moved earlier keeps the move
        info = prep.students[student]
        options = options_among(info.options, slots)
        held = sorted(slots, key=lambda s: (options[s].rank, options[s].travel))
        kept = without_clashes(prep, options, held)
        seats.set(student, kept)
        tags = info.requirement.tags if info.requirement is not None else {}
        if len(kept) == info.count and short_of_tags(tags, options, kept):
            seats.set(student, _meet_tags(seats, student, tags, kept))
    return {student: seats.held[student] for student in chosen}


def short_of_tags(tags: dict[str, int], options: dict, held: list[str]) -> bool:
    return any(sum(tag in options[s].tags for s in held) < least for tag, least in tags.items())


def without_clashes(prep: Prepared, options: dict, held: list[str]) -> list[str]:
    """Keep placements in order, dropping one whose period clashes with a kept one."""
    kept: list[str] = []
    for slot in held:
        period = options[slot].period
        if all(frozenset({period, options[k].period}) not in prep.period_clashes for k in kept):
            kept.append(slot)
    return kept


def _meet_tags(seats: _Seats, student: str, tags: dict[str, int], held: list[str]) -> list[str]:
    options = seats.usable(student)
    for tag, minimum in tags.items():
        while sum(tag in options[s].tags for s in held) < minimum:
            out = [s for s in held if tag not in options[s].tags][-1]
            others = [s for s in held if s != out]
            seats.set(student, others)
            swap = _free_tagged_seat(seats, student, tag, others)
            if swap is None:
                swap = _seat_by_moving_holder(seats, student, tag, others)
            if swap is None:
                return others
            held = [*others, swap]
            seats.set(student, held)
    return held


def _fits(seats: _Seats, student: str, slots: list[str]) -> bool:
    options = seats.usable(student)
    return without_clashes(seats.prep, options, slots) == slots


def _tagged_options(
    seats: _Seats, student: str, tag: str, others: list[str]
) -> Iterator[SlotOption]:
    """The student's tagged options that fit with the placements kept, best first (lazily:
    the first that works is usually near the front)."""
    for option in seats.by_preference(student):
        fits = tag in option.tags and option.slot not in others
        if fits and _fits(seats, student, [*others, option.slot]):
            yield option


def _free_tagged_seat(seats: _Seats, student: str, tag: str, others: list[str]) -> str | None:
    for option in _tagged_options(seats, student, tag, others):
        if seats.free[option.slot] > 0:
            return option.slot
    return None


def _seat_by_moving_holder(seats: _Seats, student: str, tag: str, others: list[str]) -> str | None:
    """A tagged seat freed by moving one of its holders to a free seat that keeps all of
    the holder's rules (periods, sessions via `options_of`, tag minimums), or None."""
    for option in islice(_tagged_options(seats, student, tag, others), MOVE_TRIES):
        for holder in sorted(seats.holders[option.slot]):
            moved = _moved(seats, holder, option.slot)
            if moved is not None:
                seats.set(holder, moved)
                return option.slot
    return None


def _moved(seats: _Seats, holder: str, leaving: str) -> list[str] | None:
    """The holder's placements with `leaving` swapped for a free seat, or None."""
    info = seats.prep.students[holder]
    options = seats.usable(holder)
    rest = [slot for slot in seats.held[holder] if slot != leaving]
    tags = info.requirement.tags if info.requirement is not None else {}
    for option in seats.by_preference(holder):
        if seats.free[option.slot] <= 0 or option.slot in seats.held[holder]:
            continue
        candidate = [*rest, option.slot]
        if _fits(seats, holder, candidate) and not short_of_tags(tags, options, candidate):
            return candidate
    return None
