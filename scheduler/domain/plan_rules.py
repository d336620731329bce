"""The validator's checks and objective values for rotations and student plans (extension).

A student's *rotations* are their held placements ordered by (period start, period end,
slot id); two are consecutive when no held rotation lies between them in that order. The
gap between consecutive rotations a, b is the whole days strictly between them,
(b.start - a.end) - 1 day. `scheduler.domain.validator` calls `check_plans` and
`plan_objective_values`; the solver's rule modules (`solver.rules`) must agree with every
definition here. Imports only the domain's own models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import Period, Scenario, Slot, Student

PLAN_RULES: dict[str, int] = {
    "discipline_repeated": 9,
    "discipline_not_in_plan": 9,
    "elective_over_choice": 9,
    "precedence_broken": 9,
    "rotations_overlap": 9,
    "gap_too_short": 9,
    "gap_too_long": 9,
    "site_over_max": 9,
    "too_many_site_changes": 9,
    "qualification_missing": 9,
}
"""Violation codes of student plans and qualifications (rule 9, an extension)."""

SITE_CHANGE_DAYS = 7
"""In `compactness`, a change of site weighs as much as an idle week."""

Add = Callable[..., None]


@dataclass(frozen=True)
class Rotation:
    slot: Slot
    start: date
    end: date


def rotations(slots: list[Slot], periods: dict[str, Period]) -> list[Rotation]:
    """Held slots as rotations, in the order that defines consecutive ones."""
    held = [
        Rotation(slot, periods[slot.period].start, periods[slot.period].end)
        for slot in slots
        if slot.period in periods
    ]
    return sorted(held, key=lambda r: (r.start, r.end, r.slot.id))


def gap_days(first: Rotation, second: Rotation) -> int:
    """Whole days strictly between two rotations."""
    return (second.start - first.end).days - 1


def site_changes(held: list[Rotation]) -> int:
    """Consecutive rotations at different sites."""
    return sum(a.slot.site != b.slot.site for a, b in zip(held, held[1:], strict=False))


def idle_days(held: list[Rotation], term_start: date) -> int:
    """Days from the term's start to the end of the last rotation that no rotation covers."""
    if not held:
        return 0
    last = max(r.end for r in held)
    covered: set[date] = set()
    for r in held:
        day = max(r.start, term_start)
        while day <= r.end:
            covered.add(day)
            day += timedelta(days=1)
    return max((last - term_start).days + 1, 0) - len(covered)


def satisfaction(student: Student, slots: list[Slot]) -> int:
    """The student's weighted score of their held slots (0 without scores)."""
    if student.scores is None:
        return 0
    return student.weight * sum(student.scores.of(s.site, s.discipline) for s in slots)


def check_plans(scenario: Scenario, holds: dict[str, list[Slot]], add: Add) -> None:
    """Rule 9 for every student: qualifications, no repeated discipline, and their plan."""
    periods = {p.id: p for p in scenario.periods}
    for student in scenario.students:
        slots = holds.get(student.id, [])
        if slots:
            check_student(student, slots, periods, add)


def check_student(
    student: Student, slots: list[Slot], periods: dict[str, Period], add: Add
) -> None:
    """Rule 9 for one student holding `slots`."""
    _check_qualifications(student, slots, add)
    _check_repeats(student, slots, add)
    if student.term_plan is not None:
        held = rotations(slots, periods)
        _check_plan_disciplines(student, slots, add)
        _check_precedences(student, held, add)
        _check_sequence(student, held, add)
        _check_sites(student, held, add)


def _check_qualifications(student: Student, slots: list[Slot], add: Add) -> None:
    for slot in slots:
        missing = sorted(slot.required_qualifications - student.held_qualifications)
        if missing:
            add(
                "qualification_missing",
                f"student {student.id} holds slot {slot.id}, which requires {', '.join(missing)}",
                student.id,
                slot.id,
            )


def _check_repeats(student: Student, slots: list[Slot], add: Add) -> None:
    counts = Counter(s.discipline for s in slots if s.discipline is not None)
    for discipline, times in counts.items():
        if times > 1:
            add(
                "discipline_repeated",
                f"student {student.id} holds {times} rotations of discipline {discipline}",
                student.id,
                discipline,
            )


def _check_plan_disciplines(student: Student, slots: list[Slot], add: Add) -> None:
    plan = student.term_plan
    assert plan is not None
    allowed = plan.disciplines
    for slot in slots:
        if slot.discipline not in allowed:
            add(
                "discipline_not_in_plan",
                f"student {student.id} holds slot {slot.id} of discipline "
                f"{slot.discipline or '(none)'}, which is not in their plan",
                student.id,
                slot.id,
            )
    held = {s.discipline for s in slots}
    for index, group in enumerate(plan.electives):
        chosen = len(held & set(group.among))
        if chosen > group.choose:
            add(
                "elective_over_choice",
                f"student {student.id} holds {chosen} disciplines of elective group {index}, "
                f"which chooses {group.choose}",
                student.id,
                str(index),
            )


def _check_precedences(student: Student, held: list[Rotation], add: Add) -> None:
    """If `after` is held, `before` is held and ends before `after` starts."""
    plan = student.term_plan
    assert plan is not None
    by_discipline = {r.slot.discipline: r for r in held}
    for precedence in plan.precedences:
        after = by_discipline.get(precedence.after)
        if after is None:
            continue
        before = by_discipline.get(precedence.before)
        if before is None or before.end >= after.start:
            add(
                "precedence_broken",
                f"student {student.id} starts {precedence.after} on {after.start} without "
                f"having finished {precedence.before} before",
                student.id,
                precedence.before,
                precedence.after,
            )


def _check_sequence(student: Student, held: list[Rotation], add: Add) -> None:
    """Rotations never share a date; gaps between consecutive ones within the plan's limits."""
    plan = student.term_plan
    assert plan is not None
    for i, first in enumerate(held):
        for second in held[i + 1 :]:
            if second.start <= first.end:
                add(
                    "rotations_overlap",
                    f"student {student.id} holds slots {first.slot.id} and {second.slot.id} "
                    "whose periods share dates",
                    student.id,
                    first.slot.id,
                    second.slot.id,
                )
    for first, second in zip(held, held[1:], strict=False):
        gap = gap_days(first, second)
        ids = (student.id, first.slot.id, second.slot.id)
        if plan.min_gap_days is not None and gap < plan.min_gap_days:
            add(
                "gap_too_short",
                f"student {student.id} has {gap} days between {first.slot.id} and "
                f"{second.slot.id}, min_gap_days is {plan.min_gap_days}",
                *ids,
            )
        if plan.max_gap_days is not None and gap > plan.max_gap_days:
            add(
                "gap_too_long",
                f"student {student.id} has {gap} days between {first.slot.id} and "
                f"{second.slot.id}, max_gap_days is {plan.max_gap_days}",
                *ids,
            )


def _check_sites(student: Student, held: list[Rotation], add: Add) -> None:
    plan = student.term_plan
    assert plan is not None
    if plan.max_per_site is not None:
        for site, times in Counter(r.slot.site for r in held).items():
            if times > plan.max_per_site:
                add(
                    "site_over_max",
                    f"student {student.id} holds {times} rotations at site {site}, "
                    f"max_per_site is {plan.max_per_site}",
                    student.id,
                    site,
                )
    changes = site_changes(held)
    if plan.max_site_changes is not None and changes > plan.max_site_changes:
        add(
            "too_many_site_changes",
            f"student {student.id} changes site {changes} times, "
            f"max_site_changes is {plan.max_site_changes}",
            student.id,
        )


def plan_objective_values(scenario: Scenario, holds: dict[str, list[Slot]]) -> dict[str, float]:
    """`scores`, `worst_satisfaction` and `compactness` (docs/objectives.md), for a
    scenario where some student has a plan or scores (none otherwise, like `stability`)."""
    if not any(s.term_plan is not None or s.scores is not None for s in scenario.students):
        return {}
    periods = {p.id: p for p in scenario.periods}
    scored = [s for s in scenario.students if s.scores is not None]
    values = [satisfaction(s, holds.get(s.id, [])) for s in scored]
    needing = [
        value
        for student, value in zip(scored, values, strict=True)
        if (r := requirement_for(student, scenario.placement_requirements)) is not None
        and r.count > 0
    ]
    compact = 0
    for student in scenario.students:
        if student.term_plan is None:
            continue
        held = rotations(holds.get(student.id, []), periods)
        compact += idle_days(held, scenario.term.start) + SITE_CHANGE_DAYS * site_changes(held)
    return {
        "scores": float(sum(values)),
        "worst_satisfaction": float(min(needing, default=0)),
        "compactness": float(compact),
    }
