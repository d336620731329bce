"""Eligibility of single students, computed on demand with `solver.prepare`'s own rules.

A full `prepare` lists every slot option of every student (seconds at 5,000 students); a
local repair needs them for a handful. The same functions run here on one student at a
time, over all slots or only the slots asked about, so both paths agree on who may hold
what.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import PlacementRequirement, Scenario, Site, Slot, Student
from solver.availability import PeriodTime
from solver.prepare import (
    BlockIndex,
    SessionInfo,
    SlotCatalog,
    SlotOption,
    _session_info,
    _slot_options,
    _student_info,
)

MAX_PERIODS_SEARCHED = 12
"""Above this many distinct periods the placement cap is not searched (it is `count`)."""


class Eligibility:
    """Slot options, free sessions and clashes of one student at a time."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.periods = {p.id: PeriodTime.of(p) for p in scenario.periods}
        self.sessions = _session_times(scenario, self.periods)
        self.students = {s.id: s for s in scenario.students}
        self.catalog = SlotCatalog.of(scenario)
        self.usable: dict[str, tuple[Slot, Site]] = {
            slot.id: (slot, site)
            for entries in self.catalog.by_profession.values()
            for slot, site in entries
        }
        self._period_blocks = BlockIndex(scenario, {}, self.periods)
        self._session_blocks: dict[str, BlockIndex] = {}
        """Per activity: busy time checked against its sessions only (the others are not
        asked about, so `_student_info` sees them as free)."""
        self._clashes: dict[frozenset[str], bool] = {}

    def requirement(self, student: str) -> PlacementRequirement | None:
        return requirement_for(self.students[student], self.scenario.placement_requirements)

    def options(self, student: str, slots: Iterable[str] | None = None) -> list[SlotOption]:
        """Slots the student may hold under rules 2 and 6 (`solver.prepare`), among all usable
        slots or only `slots`; no clash with their sessions or placements is checked."""
        person = self.students[student]
        catalog = self.catalog if slots is None else self._restricted(person, slots)
        blocked = self._period_blocks.blocked(person)[1]
        period_free = {p: p not in blocked for p in self.periods}
        return _slot_options(self.scenario, person, period_free, catalog)

    def free_sessions(self, student: str, activity: str) -> tuple[str, ...]:
        """The sessions of the activity open to the student (none: not a participant)."""
        if activity not in self._session_blocks:
            own = {s.id for a in self.scenario.activities if a.id == activity for s in a.sessions}
            times = {sid: info for sid, info in self.sessions.items() if sid in own}
            self._session_blocks[activity] = BlockIndex(self.scenario, times, self.periods)
        empty = SlotCatalog({}, self.catalog.site_tags, self.catalog.slot_tags)
        person = self.students[student]
        blocks = self._session_blocks[activity]
        info = _student_info(self.scenario, person, self.sessions, blocks, empty)
        return info.free_sessions.get(activity, ())

    def session_periods(self, sessions: Iterable[str]) -> set[str]:
        """Periods whose on-site time overlaps one of these sessions."""
        return {p for s in sessions if s in self.sessions for p in self.sessions[s].clash_periods}

    def clash(self, first: str, second: str) -> bool:
        """Whether placements in the two periods (the same one included) overlap."""
        key = frozenset({first, second})
        if key not in self._clashes:
            self._clashes[key] = self.periods[first].clashes_with(self.periods[second])
        return self._clashes[key]

    def placement_cap(self, options: list[SlotOption], count: int) -> int:
        """The most placements a student with these options (all their slots under rules 2
        and 6) can hold in any schedule: `count`, or fewer when the slots lie in too few
        periods that do not overlap."""
        periods = sorted({o.period for o in options})
        if len(periods) > MAX_PERIODS_SEARCHED or not all(self.clash(p, p) for p in periods):
            return count
        for size in range(min(count, len(periods)), 0, -1):
            for chosen in combinations(periods, size):
                if not any(self.clash(a, b) for a, b in combinations(chosen, 2)):
                    return size
        return 0

    def _restricted(self, student: Student, slots: Iterable[str]) -> SlotCatalog:
        entries = [self.usable[s] for s in dict.fromkeys(slots) if s in self.usable]
        wanted = [(slot, site) for slot, site in entries if slot.profession == student.profession]
        return SlotCatalog(
            {student.profession: wanted}, self.catalog.site_tags, self.catalog.slot_tags
        )


def _session_times(scenario: Scenario, periods: dict[str, PeriodTime]) -> dict[str, SessionInfo]:
    """Every session's time, room access and clashing periods (`solver.prepare`'s facts);
    facilitators are left out: a local repair keeps every session as it was."""
    rooms = {r.id: r for r in scenario.rooms}
    return {
        session.id: _session_info(activity, session, rooms, {}, periods)
        for activity in scenario.activities
        for session in activity.sessions
    }
