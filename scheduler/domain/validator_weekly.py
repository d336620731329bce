"""Independent checks of the capacity-calendar extension, called by the validator.

Weekly capacities, unit minimum fill, `policy.no_repeat_site` and tag limits, plus the
diversity levels `distinct_sites` and `distinct_tags` recomputed from the raw documents.
Written from docs/contract.md alone: it shares no code with the solver (nor with
`scheduler.domain.weeks`, which the solver reads), so one mistake cannot hide in both.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import Scenario, Slot, Student

Found = tuple[str, str, tuple[str, ...]]
"""A violation as (code, message, related ids)."""

RULES: dict[str, int] = {
    "weekly_capacity_exceeded": 6,
    "unit_under_min_fill": 6,
    "site_repeated": 7,
    "tag_limit_exceeded": 7,
}
"""The extension's violation codes and the spec rule they belong to."""


def _mondays(first: date, last: date) -> list[date]:
    """Monday of each ISO week that the dates first..last touch."""
    day = first - timedelta(days=first.weekday())
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=7)
    return out


def _tags(scenario: Scenario, slot: Slot) -> set[str]:
    """A placement's tags: its site's and its unit's."""
    for site in scenario.sites:
        if site.id == slot.site:
            unit_tags = {t for u in site.units if u.id == slot.unit for t in u.tags}
            return set(site.tags) | unit_tags
    return set()


def weekly_violations(scenario: Scenario, holds: dict[str, list[str]]) -> list[Found]:
    """Every violation of the extension's hard rules by the placements held."""
    slots = {s.id: s for s in scenario.slots}
    students = {s.id: s for s in scenario.students}
    held = [(students[st], slots[sl]) for st, ids in holds.items() for sl in ids]
    found = _capacities(scenario, held) + _min_fill(scenario, held)
    if scenario.policy.no_repeat_site:
        found += _repeats(students, slots, holds)
    return found + _tag_limits(scenario, slots, holds)


def _period_weeks(scenario: Scenario) -> dict[str, list[date]]:
    return {p.id: _mondays(p.start, p.end) for p in scenario.periods}


def _capacities(scenario: Scenario, held: list[tuple[Student, Slot]]) -> list[Found]:
    weeks_of = _period_weeks(scenario)
    found: list[Found] = []
    for row in scenario.weekly_capacities:
        if row.weeks:
            bounded = set(row.weeks)
        else:
            first = row.first_week or scenario.term.start
            bounded = set(_mondays(first, row.last_week or scenario.term.end))
        used: Counter[date] = Counter()
        for student, slot in held:
            if slot.site != row.site or (row.unit is not None and slot.unit != row.unit):
                continue
            if row.profession is not None and student.profession != row.profession:
                continue
            if row.cohort is not None and student.cohort != row.cohort:
                continue
            used.update(w for w in weeks_of.get(slot.period, []) if w in bounded)
        where = row.site if row.unit is None else f"{row.site}/{row.unit}"
        for week, count in sorted(used.items()):
            if count > row.capacity:
                found.append(
                    (
                        "weekly_capacity_exceeded",
                        f"{where} holds {count} students in the week of {week}, "
                        f"weekly capacity is {row.capacity}",
                        (row.site, *((row.unit,) if row.unit else ()), week.isoformat()),
                    )
                )
    return found


def _min_fill(scenario: Scenario, held: list[tuple[Student, Slot]]) -> list[Found]:
    weeks_of = _period_weeks(scenario)
    found: list[Found] = []
    for site in scenario.sites:
        for unit in site.units:
            if not unit.min_fill:
                continue
            active = {
                w
                for s in scenario.slots
                if s.site == site.id and s.unit == unit.id
                if s.status != "declined" and s.capacity > 0
                for w in weeks_of.get(s.period, [])
            }
            used: Counter[date] = Counter()
            for _student, slot in held:
                if slot.site == site.id and slot.unit == unit.id:
                    used.update(weeks_of.get(slot.period, []))
            for week in sorted(active):
                if used[week] < unit.min_fill:
                    found.append(
                        (
                            "unit_under_min_fill",
                            f"unit {unit.id} of site {site.id} holds {used[week]} students "
                            f"in the week of {week}, min_fill is {unit.min_fill}",
                            (site.id, unit.id, week.isoformat()),
                        )
                    )
    return found


def _repeats(
    students: dict[str, Student], slots: dict[str, Slot], holds: dict[str, list[str]]
) -> list[Found]:
    found: list[Found] = []
    for student_id, ids in holds.items():
        earlier = {h.site for h in students[student_id].history}
        count = Counter(slots[s].site for s in ids)
        for site, n in sorted(count.items()):
            if n > 1 or site in earlier:
                before = " and in an earlier term" if site in earlier else ""
                found.append(
                    (
                        "site_repeated",
                        f"student {student_id} holds {n} placements at site {site}{before}, "
                        "policy.no_repeat_site forbids a repeat",
                        (student_id, site),
                    )
                )
    return found


def _tag_limits(
    scenario: Scenario, slots: dict[str, Slot], holds: dict[str, list[str]]
) -> list[Found]:
    found: list[Found] = []
    for student in scenario.students:
        requirement = requirement_for(student, scenario.placement_requirements)
        if requirement is None or not requirement.tag_limits:
            continue
        tags = [_tags(scenario, slots[s]) for s in holds.get(student.id, [])]
        tags += [set(h.tags) for h in student.history]
        for tag, limit in sorted(requirement.tag_limits.items()):
            have = sum(1 for t in tags if tag in t)
            if have > limit:
                found.append(
                    (
                        "tag_limit_exceeded",
                        f"student {student.id} has {have} placements tagged {tag} (history "
                        f"included), requirement {requirement.key} allows {limit}",
                        (student.id, requirement.key, tag),
                    )
                )
    return found


def diversity_values(scenario: Scenario, holds: dict[str, list[str]]) -> dict[str, float]:
    """`distinct_sites` and `distinct_tags` (docs/objectives.md): per student, the distinct
    places (a unit of a site, else the site) and distinct tags over history and the
    placements held, summed over students."""
    slots = {s.id: s for s in scenario.slots}
    places, tags = 0, 0
    for student in scenario.students:
        where = {h.site if h.unit is None else f"{h.site}/{h.unit}" for h in student.history}
        kinds = {t for h in student.history for t in h.tags}
        for slot_id in holds.get(student.id, []):
            slot = slots[slot_id]
            where.add(slot.site if slot.unit is None else f"{slot.site}/{slot.unit}")
            kinds |= _tags(scenario, slot)
        places += len(where)
        tags += len(kinds)
    return {"distinct_sites": float(places), "distinct_tags": float(tags)}


def history_tag_counts(student: Student) -> dict[str, int]:
    """Earlier placements per tag (they count toward tag minimums)."""
    counts: dict[str, int] = defaultdict(int)
    for item in student.history:
        for tag in set(item.tags):
            counts[tag] += 1
    return counts
