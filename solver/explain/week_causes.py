"""Causes of the capacity-calendar extension: why an eligible slot with a free seat was not
given to a student: its unit's or site's week is full (`full_week`), it would repeat a
site under `policy.no_repeat_site` (`site_repeat`), or it would pass a tag limit
(`tag_limit`)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from scheduler.domain.scenario import WeeklyCapacity
from scheduler.domain.weeks import capacity_weeks, history_tag_count, weeks_between
from solver.explain import codes
from solver.explain.facts import Cause, Facts
from solver.options import SlotOption


def extension_cause(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    """The first extension rule that keeps the option from the student, if any."""
    return (
        _full_week(facts, student, option)
        or _site_repeat(facts, student, option)
        or _tag_limit(facts, student, option)
    )


def _weeks(facts: Facts, slot_id: str) -> list[date]:
    period = next(p for p in facts.scenario.periods if p.id == facts.slots[slot_id].period)
    return weeks_between(period.start, period.end)


def _counts(row: WeeklyCapacity, facts: Facts, student: str, slot_id: str) -> bool:
    slot, person = facts.slots[slot_id], facts.students[student]
    return (
        slot.site == row.site
        and (row.unit is None or slot.unit == row.unit)
        and (row.profession is None or person.profession == row.profession)
        and (row.cohort is None or person.cohort == row.cohort)
    )


def week_use(facts: Facts) -> list[Counter[date]]:
    """Per `weekly_capacities` row, the placements held that count against it, by week."""
    if facts.week_use is None:
        term = facts.scenario.term
        use: list[Counter[date]] = []
        for row in facts.scenario.weekly_capacities:
            bounded = capacity_weeks(row, term.start, term.end)
            used: Counter[date] = Counter()
            for holder, slots in facts.holds.items():
                for slot_id in slots:
                    if _counts(row, facts, holder, slot_id):
                        used.update(w for w in _weeks(facts, slot_id) if w in bounded)
            use.append(used)
        facts.week_use = use
    return facts.week_use


def _full_week(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    rows = facts.scenario.weekly_capacities
    if not rows:
        return None
    weeks = _weeks(facts, option.slot)
    for row, used in zip(rows, week_use(facts), strict=True):
        if not _counts(row, facts, student, option.slot):
            continue
        bounded = capacity_weeks(row, *_term(facts))
        full = [w for w in weeks if w in bounded and used[w] >= row.capacity]
        if full:
            where = row.site if row.unit is None else f"unit {row.unit} of {row.site}"
            who = " ".join(x for x in (row.profession, row.cohort) if x)
            return Cause(
                codes.FULL_WEEK,
                f"{where} is full in the week of {full[0]} (weekly capacity {row.capacity}"
                f"{' for ' + who if who else ''})",
                (option.slot, row.site, *((row.unit,) if row.unit else ()), full[0].isoformat()),
                (codes.FULL_WEEK, row.site, row.unit or "", full[0].isoformat()),
            )
    return None


def _term(facts: Facts) -> tuple[date, date]:
    return facts.scenario.term.start, facts.scenario.term.end


def _site_repeat(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    if not facts.scenario.policy.no_repeat_site:
        return None
    earlier = {h.site for h in facts.students[student].history}
    held = {facts.slots[s].site for s in facts.holds.get(student, ())}
    if option.site not in earlier | held:
        return None
    when = "in an earlier term" if option.site in earlier else "already this term"
    return Cause(
        codes.SITE_REPEAT,
        f"the student was placed at {option.site} {when} (policy.no_repeat_site)",
        (option.slot, option.site),
        (codes.SITE_REPEAT, option.site),
    )


def _tag_limit(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    requirement = facts.prep.students[student].requirement
    if requirement is None:
        return None
    person = facts.students[student]
    held = [facts.slots[s] for s in facts.holds.get(student, ())]
    options = {o.slot: o for o in facts.prep.students[student].all_options}
    for tag, limit in sorted(requirement.tag_limits.items()):
        if tag not in option.tags:
            continue
        have = history_tag_count(person, tag)
        have += sum(1 for s in held if s.id in options and tag in options[s.id].tags)
        if have >= limit:
            return Cause(
                codes.TAG_LIMIT,
                f"the student already has {have} placements tagged '{tag}' (history "
                f"included), {requirement.key} allows {limit}",
                (option.slot, requirement.key, tag),
                (codes.TAG_LIMIT, requirement.key, tag),
            )
    return None
