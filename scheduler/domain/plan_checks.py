"""Semantic checks of student plans, qualifications and scores (extension).

Called by `scheduler.domain.checks.check_scenario`; each problem names the JSON path of
the offending value. Imports only the domain's own models.
"""

from __future__ import annotations

from collections import Counter

from scheduler.domain.matching import matching_requirement
from scheduler.domain.plans import StudentPlan
from scheduler.domain.scenario import Scenario, Student
from scheduler.domain.schedule import ErrorItem


def check_plans(scenario: Scenario) -> list[ErrorItem]:
    """Every problem of the students' plans and scores, in document order."""
    problems: list[ErrorItem] = []
    sites = {s.id for s in scenario.sites}
    for index, student in enumerate(scenario.students):
        path = f"students[{index}]"
        if student.plan is not None:
            problems += _plan_problems(scenario, student, student.plan, f"{path}.plan")
        if student.scores is not None:
            for site in student.scores.sites:
                if site not in sites:
                    problems.append(
                        ErrorItem(
                            path=f"{path}.scores.sites.{site}", message=f"unknown site {site}"
                        )
                    )
    return problems


def _plan_problems(
    scenario: Scenario, student: Student, plan: StudentPlan, path: str
) -> list[ErrorItem]:
    problems: list[ErrorItem] = []

    def add(where: str, message: str) -> None:
        problems.append(ErrorItem(path=where, message=message))

    requirement = matching_requirement(student, scenario.placement_requirements)
    if requirement is None:
        add(path, f"a plan needs a placement requirement covering profession {student.profession}")
    else:
        for tag, minimum in requirement.tags.items():
            if minimum > plan.count:
                add(
                    path, f"tag minimum {tag}: {minimum} is above the plan's {plan.count} rotations"
                )
    listed = plan.required + [d for group in plan.electives for d in group.among]
    for discipline, times in Counter(listed).items():
        if times > 1:
            add(path, f"discipline {discipline} appears {times} times in the plan")
    for g, group in enumerate(plan.electives):
        if group.choose > len(set(group.among)):
            add(
                f"{path}.electives[{g}].choose",
                f"choose {group.choose} is more than the {len(set(group.among))} disciplines",
            )
    disciplines = plan.disciplines
    for p, precedence in enumerate(plan.precedences):
        for side in ("before", "after"):
            discipline = getattr(precedence, side)
            if discipline not in disciplines:
                add(f"{path}.precedences[{p}].{side}", f"{discipline} is not in the plan")
        if precedence.before == precedence.after:
            add(f"{path}.precedences[{p}]", "a discipline cannot precede itself")
    low, high = plan.min_gap_days, plan.max_gap_days
    if low is not None and high is not None and low > high:
        add(f"{path}.min_gap_days", f"min_gap_days {low} is above max_gap_days {high}")
    return problems
