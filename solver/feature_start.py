"""A start for terms the heuristic stages skip (`solver.features`): placements dealt
greedily under every placement rule, so the first level never ends with nothing.

Without it the exact model alone had no start: on a 300-student nursing term under load,
presolve and search found no solution in 60 s and the answer was empty. Each student in
turn (fewest options first) takes their best-ranked, nearest options (new wards first when
the policy has a diversity level) while every rule still holds: slot seats, `count`,
period clashes, weekly capacities, `no_repeat_site`, tag limits, and tag minimums on the
placement that completes `count`.
Units with `min_fill` are dealt first, week by week; when the deal still misses one, the
start is only a hint (`valid` is False). Only placement terms get one (sessions and pins
need the model).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from scheduler.domain.scenario import Student
from scheduler.domain.weeks import capacity_weeks, history_tag_count, place_of
from solver.features import DIVERSITY_LEVELS
from solver.model import TermModel
from solver.options import SlotOption
from solver.prepare import StudentInfo
from solver.rules.unit_fill import unit_weeks
from solver.rules.weekly_capacity import counts_against, slot_weeks


@dataclass(frozen=True)
class FeatureStart:
    values: dict[int, int]
    valid: bool
    """False when a hard rule the deal does not keep (`min_fill`) may be broken."""


class _Deal:
    """The seats, weeks and per-student state of the deal so far."""

    def __init__(self, model: TermModel) -> None:
        scenario = model.prep.scenario
        self.model = model
        self.scenario = scenario
        self.seats = {slot.id: slot.capacity for slot in scenario.slots}
        self.slots = {slot.id: slot for slot in scenario.slots}
        self.weeks = slot_weeks(scenario)
        term = scenario.term
        self.bounded = [capacity_weeks(r, term.start, term.end) for r in scenario.weekly_capacities]
        self.used: list[Counter[date]] = [Counter() for _ in scenario.weekly_capacities]
        self.in_unit: Counter[tuple[str, str, date]] = Counter()

    def rows_of(self, student: Student, slot_id: str) -> list[int]:
        slot = self.slots[slot_id]
        return [
            i
            for i, row in enumerate(self.scenario.weekly_capacities)
            if row.site == slot.site and counts_against(row, student, slot.unit)
        ]

    def fits(
        self, student: Student, info: StudentInfo, held: list[SlotOption], o: SlotOption
    ) -> bool:
        """Whether the student may take the option on top of what they hold."""
        if self.seats[o.slot] <= 0:
            return False
        clashes = self.model.prep.period_clashes
        if any(frozenset({h.period, o.period}) in clashes for h in held):
            return False
        if not self._weeks_fit(student, o.slot):
            return False
        repeated = {h.site for h in held} | {h.site for h in student.history}
        if self.scenario.policy.no_repeat_site and o.site in repeated:
            return False
        return self._tags_fit(student, info, [*held, o])

    def _weeks_fit(self, student: Student, slot_id: str) -> bool:
        for i in self.rows_of(student, slot_id):
            capacity = self.scenario.weekly_capacities[i].capacity
            weeks = [w for w in self.weeks[slot_id] if w in self.bounded[i]]
            if any(self.used[i][w] >= capacity for w in weeks):
                return False
        return True

    def _tags_fit(self, student: Student, info: StudentInfo, held: list[SlotOption]) -> bool:
        requirement = info.requirement
        if requirement is None:
            return False
        for tag, limit in requirement.tag_limits.items():
            if history_tag_count(student, tag) + sum(tag in h.tags for h in held) > limit:
                return False
        if len(held) == info.count:
            return all(sum(t in h.tags for h in held) >= m for t, m in requirement.tags.items())
        return True

    def take(self, student: Student, option: SlotOption) -> None:
        self.seats[option.slot] -= 1
        unit = self.slots[option.slot].unit or ""
        self.in_unit.update((option.site, unit, w) for w in self.weeks[option.slot])
        for i in self.rows_of(student, option.slot):
            self.used[i].update(w for w in self.weeks[option.slot] if w in self.bounded[i])


def feature_start(model: TermModel) -> FeatureStart | None:
    """The greedy deal as model values; None on terms with sessions or pins."""
    scenario = model.prep.scenario
    if scenario.activities or scenario.policy.pinned:
        return None
    deal = _Deal(model)
    students = {s.id: s for s in scenario.students}
    infos = sorted(
        (i for i in model.prep.students.values() if i.count and i.options),
        key=lambda i: (len(i.options), i.id),
    )
    held: dict[str, list[SlotOption]] = {i.id: [] for i in infos}

    def take(info: StudentInfo, option: SlotOption) -> bool:
        mine = held[info.id]
        if len(mine) >= info.count or option in mine:
            return False
        if not deal.fits(students[info.id], info, mine, option):
            return False
        deal.take(students[info.id], option)
        mine.append(option)
        return True

    _fill_units(deal, infos, take)
    diverse = bool(DIVERSITY_LEVELS & set(scenario.policy.objectives))
    for info in infos:
        options = sorted(info.options, key=lambda o: (o.rank, o.travel, o.slot))
        for new_only in (True, False) if diverse else (False,):
            for option in options:
                places = {place_of(deal.slots[h.slot]) for h in held[info.id]}
                if not (new_only and place_of(deal.slots[option.slot]) in places):
                    take(info, option)
    values = {
        model.place[student, option.slot].index: 1
        for student, options in held.items()
        for option in options
    }
    filled = all(
        deal.in_unit[site, unit, week] >= least
        for (site, unit, least), weeks in unit_weeks(scenario).items()
        for week in weeks
    )
    return FeatureStart(values, valid=filled)


def _fill_units(deal: _Deal, infos: list[StudentInfo], take) -> None:
    """Units with `min_fill` first: each active week short of it gets the first student
    whose option there covers the week and fits."""
    for (site, unit, least), weeks in sorted(unit_weeks(deal.scenario).items()):
        for week in sorted(weeks):
            for info in infos:
                if deal.in_unit[site, unit, week] >= least:
                    break
                for option in info.options:
                    slot = deal.slots[option.slot]
                    here = slot.site == site and (slot.unit or "") == unit
                    if here and week in deal.weeks[option.slot] and take(info, option):
                        break
