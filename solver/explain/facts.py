"""What a schedule did, indexed once, so each unmet need can be explained in a few lookups.

Explanations compare a need with the schedule around it (who holds the seats, which
sessions are held and full), so the schedule is digested here once per explanation run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from scheduler.domain.scenario import Scenario, Site, Slot, Student
from scheduler.domain.schedule import Schedule
from solver.options import OptionList, SlotTable
from solver.prepare import Prepared


class Cause(NamedTuple):
    """One reason a need is unmet. `key` says when two students share the cause (groups)."""

    code: str
    message: str
    related: tuple[str, ...]
    key: tuple[str, ...]


@dataclass
class Facts:
    """A prepared scenario and a schedule of it, indexed for explanations."""

    prep: Prepared
    schedule: Schedule
    attends: dict[str, dict[str, str]] = field(default_factory=dict)
    """attends[student][activity] = session attended."""
    holds: dict[str, list[str]] = field(default_factory=dict)
    """holds[student] = slots held."""
    teams: dict[str, int] = field(default_factory=dict)
    """teams[session] = teams of a held session."""
    members: dict[str, Counter[str]] = field(default_factory=dict)
    """members[session][profession] = attendees of a held session."""
    runs: dict[str, list[str]] = field(default_factory=dict)
    """runs[facilitator] = held sessions the facilitator runs."""
    holders: dict[str, list[str]] = field(default_factory=dict)
    """holders[slot] = students holding it."""
    slots: dict[str, Slot] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    """positions[student] = index in the scenario's student list (for JSON paths)."""
    _free: dict[str, dict[str, list[str]]] | None = None
    _memo: dict[tuple[str, ...], Cause] = field(default_factory=dict)
    _open: dict[str, frozenset[str]] = field(default_factory=dict)
    _seats: np.ndarray | None = None
    week_use: list | None = None
    """Per weekly capacity row, placements by week (`solver.explain.week_causes`)."""

    @classmethod
    def of(cls, prep: Prepared, schedule: Schedule) -> Facts:
        scenario = prep.scenario
        facts = cls(
            prep,
            schedule,
            slots={s.id: s for s in scenario.slots},
            sites={s.id: s for s in scenario.sites},
            students={s.id: s for s in scenario.students},
            positions={s.id: i for i, s in enumerate(scenario.students)},
        )
        profession = {s.id: s.profession for s in scenario.students}
        attends: dict[str, dict[str, str]] = defaultdict(dict)
        runs: dict[str, list[str]] = defaultdict(list)
        for entry in schedule.sessions:
            facts.teams[entry.session] = len(entry.teams)
            count: Counter[str] = Counter()
            for team in entry.teams:
                for student in team.students:
                    attends[student][entry.activity] = entry.session
                    count[profession[student]] += 1
            facts.members[entry.session] = count
            for facilitator in entry.facilitators:
                runs[facilitator].append(entry.session)
        holds: dict[str, list[str]] = defaultdict(list)
        holders: dict[str, list[str]] = defaultdict(list)
        for placement in schedule.placements:
            holds[placement.student].append(placement.slot)
            holders[placement.slot].append(placement.student)
        facts.attends, facts.runs = dict(attends), dict(runs)
        facts.holds, facts.holders = dict(holds), dict(holders)
        return facts

    def open_slots(self, student: str) -> frozenset[str]:
        """Eligible slots the student does not hold that have a seat left, computed once per
        student: a student's options are made anew on each walk (`solver.options`), and
        every unmet need asks this of every holder of the slots it wanted."""
        if student not in self._open:
            held = set(self.holds.get(student, ()))
            options = self.prep.students[student].all_options
            if isinstance(options, OptionList):  # by position, without making the options
                table = options.table
                positions = options.slots[self._seats_by_position(table)[options.slots] > 0]
                open_ids = {table.ids[i] for i in positions.tolist()}
            else:
                open_ids = {o.slot for o in options if self.seats_left(o.slot) > 0}
            self._open[student] = frozenset(open_ids - held)
        return self._open[student]

    def _seats_by_position(self, table: SlotTable) -> np.ndarray:
        """Seats left per slot of the option table (declined or unknown slots: none)."""
        if self._seats is None:
            self._seats = np.array(
                [self.seats_left(i) if i in self.slots else 0 for i in table.ids], dtype=np.int64
            )
        return self._seats

    def cached(self, key: tuple[str, ...], compute: Callable[[], Cause]) -> Cause:
        """A cause that depends only on `key` (a session, a profession), computed once: with
        no schedule at all every participant would ask about every session."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def scenario(self) -> Scenario:
        return self.prep.scenario

    def free_students(self, session: str) -> dict[str, list[str]]:
        """Participants free for the session, by profession (all sessions indexed on first use)."""
        if self._free is None:
            free: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for info in self.prep.students.values():
                for sessions in info.free_sessions.values():
                    for sid in sessions:
                        free[sid][info.profession].append(info.id)
            self._free = {sid: dict(by) for sid, by in free.items()}
        return self._free.get(session, {})

    def seats_left(self, slot: str) -> int:
        return self.slots[slot].capacity - len(self.holders.get(slot, ()))
