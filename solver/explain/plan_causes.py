"""Why an eligible slot does not fit a student's plan (extension): the held rotations plus
this one, checked by the validator's own rule 9 (`scheduler.domain.plan_rules`), name the
cause: the discipline is done, a precedence is unmet, or no rotation fits (shared dates,
gaps, sites). Slots of disciplines outside the plan are not the student's to explain.
"""

from __future__ import annotations

from scheduler.domain.plan_rules import check_student
from scheduler.domain.scenario import Slot
from solver.explain import codes
from solver.explain.facts import Cause, Facts
from solver.prepare import SlotOption

DONE = {"discipline_repeated", "elective_over_choice"}
FITS = {
    "rotations_overlap",
    "gap_too_short",
    "gap_too_long",
    "site_over_max",
    "too_many_site_changes",
}


def outside_plan(facts: Facts, student: str, option: SlotOption) -> bool:
    """True for a slot the student's plan never asks for (or one they are not qualified
    for: the removed causes name that)."""
    person = facts.students[student]
    slot = facts.slots[option.slot]
    if not slot.required_qualifications <= person.held_qualifications:
        return True
    return person.term_plan is not None and slot.discipline not in person.term_plan.disciplines


def plan_cause(facts: Facts, student: str, option: SlotOption) -> Cause | None:
    """The plan rule the slot would break next to the student's held rotations."""
    person = facts.students[student]
    slot = facts.slots[option.slot]
    if person.term_plan is None and slot.discipline is None:
        return None
    found: list[tuple[str, tuple[str, ...]]] = []
    held: list[Slot] = [facts.slots[s] for s in facts.holds.get(student, ())]
    periods = {p.id: p for p in facts.scenario.periods if p.id in {s.period for s in [*held, slot]}}
    check_student(person, [*held, slot], periods, lambda code, _m, *ids: found.append((code, ids)))
    codes_found = {code for code, _ in found}
    discipline = slot.discipline or ""
    if codes_found & DONE:
        return Cause(
            codes.DISCIPLINE_DONE,
            f"{discipline} is done already (or its elective choice is full)",
            (option.slot, discipline),
            (codes.DISCIPLINE_DONE, discipline),
        )
    if "precedence_broken" in codes_found:
        befores = sorted(
            p.before
            for p in (person.term_plan.precedences if person.term_plan else [])
            if p.after == discipline
        )
        return Cause(
            codes.UNMET_PRECEDENCE,
            f"{discipline} needs {', '.join(befores)} finished before it starts",
            (option.slot, discipline, *befores),
            (codes.UNMET_PRECEDENCE, discipline),
        )
    if codes_found & FITS:
        which = sorted(codes_found & FITS)[0].replace("_", " ")
        return Cause(
            codes.NO_ROTATION_FITS,
            f"no {discipline} rotation fits beside the rotations held ({which})",
            (option.slot, discipline, option.period),
            (codes.NO_ROTATION_FITS, discipline),
        )
    return None
