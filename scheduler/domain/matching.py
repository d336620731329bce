"""Which rules of a scenario apply to which student: the spec's matching semantics.

A participant entry, program calendar or placement requirement matches a student of the
same profession when it names no cohort or the student's cohort.
"""

from __future__ import annotations

from collections.abc import Iterable

from scheduler.domain.scenario import (
    Activity,
    PlacementRequirement,
    ProgramCalendar,
    Scenario,
    Student,
)


def matches(student: Student, profession: str, cohort: str | None) -> bool:
    """True when a (profession, cohort?) selector covers the student."""
    return student.profession == profession and (cohort is None or cohort == student.cohort)


def participates(student: Student, activity: Activity) -> bool:
    """True when the student must attend one session of the activity."""
    return any(matches(student, p.profession, p.cohort) for p in activity.participants)


def calendars_for(student: Student, calendars: Iterable[ProgramCalendar]) -> list[ProgramCalendar]:
    """Program calendars whose busy time applies to the student."""
    return [c for c in calendars if matches(student, c.profession, c.cohort)]


def requirement_for(
    student: Student, requirements: Iterable[PlacementRequirement]
) -> PlacementRequirement | None:
    """The placement requirement of the student, with the count of their plan when they
    have one (extension: a plan replaces the count, its tag minimums still apply)."""
    requirement = matching_requirement(student, requirements)
    if requirement is None or student.term_plan is None:
        return requirement
    return requirement.model_copy(update={"count": student.term_plan.count})


def matching_requirement(
    student: Student, requirements: Iterable[PlacementRequirement]
) -> PlacementRequirement | None:
    """The requirement entry that covers the student: a cohort-specific one wins over a
    general one."""
    general = None
    for requirement in requirements:
        if not matches(student, requirement.profession, requirement.cohort):
            continue
        if requirement.cohort is not None:
            return requirement
        general = general or requirement
    return general


def activities_of(student: Student, scenario: Scenario) -> list[Activity]:
    """Activities the student must attend."""
    return [a for a in scenario.activities if participates(student, a)]
