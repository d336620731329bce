"""The schedule a local repair writes: the previous one, with only the movers' seats new.

Sessions, teams and facilitators stay as they were (withdrawn students taken out), so do
the placements and `unassigned` entries of everyone who did not move. A mover keeps their
previous placement entries while their count of them is unchanged; new entries get a
headline reason (`no_eligible_slot` or `seats_taken`, `solver.explain.codes`) naming the
slots concerned.
"""

from __future__ import annotations

from typing import Any

from scheduler.domain.metrics import schedule_metrics
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import (
    ObjectiveResult,
    Placement,
    Reason,
    Schedule,
    SolveInfo,
    Unassigned,
)
from solver.explain import codes
from solver.incremental.eligibility import Eligibility
from solver.incremental.scope import Scope
from solver.prepare import SlotOption

RELATED_SHOWN = 10


def local_schedule(
    eligibility: Eligibility,
    scope: Scope,
    held: dict[str, set[str]],
    options: dict[str, list[SlotOption]],
) -> Schedule:
    """The repaired schedule (objectives and status are set by `finished`); `held` gives
    every mover's slots, `options` their slots under rules 2 and 6."""
    scenario = eligibility.scenario
    previous = scenario.policy.previous
    assert previous is not None
    kept = [p for p in previous.placements if p.student in scope.held and p.student not in held]
    moved = [Placement(student=s, slot=slot) for s in sorted(held) for slot in sorted(held[s])]
    unassigned = [u for u in scope.unassigned if u.activity is not None or u.student not in held]
    for student in sorted(held):
        unassigned += _placement_entries(eligibility, scope, student, held[student], options)
    return Schedule(
        term=scenario.term.id,
        status="feasible",
        sessions=scope.sessions,
        placements=kept + moved,
        unassigned=unassigned,
    )


def _placement_entries(
    eligibility: Eligibility,
    scope: Scope,
    student: str,
    held: set[str],
    options: dict[str, list[SlotOption]],
) -> list[Unassigned]:
    """`count - held` entries: the previous ones while they suffice, then new ones."""
    before = [u for u in scope.unassigned if u.student == student and u.activity is None]
    requirement = eligibility.requirement(student)
    if requirement is None:
        return []
    missing = max(0, requirement.count - len(held))
    kept = [u for u in before if u.requirement == requirement.key][:missing]
    reason = _reason(options.get(student, []))
    fresh = Unassigned(student=student, requirement=requirement.key, reasons=[reason])
    return kept + [fresh] * (missing - len(kept))


def _reason(options: list[SlotOption]) -> Reason:
    if not options:
        return Reason(
            code=codes.NO_ELIGIBLE_SLOT,
            message="no slot of the student's profession passes the placement rules for them",
        )
    slots = sorted({o.slot for o in options})
    return Reason(
        code=codes.SEATS_TAKEN,
        message=(
            f"{len(slots)} eligible slots, but after the change each is full or clashes "
            "with this student's sessions and placements"
        ),
        related=slots[:RELATED_SHOWN],
    )


def finished(
    schedule: Schedule,
    scenario: Scenario,
    objectives: list[ObjectiveResult],
    info: SolveInfo,
    repair: dict[str, Any],
) -> Schedule:
    """The schedule with its levels, status, metrics and how the repair went."""
    previous = scenario.policy.previous
    assert previous is not None
    proven = all(o.value is not None and o.value == o.bound for o in objectives)
    explanations = dict(previous.metrics.get("explanations", {}))
    explanations["unmet"] = len(schedule.unassigned)
    metrics = schedule_metrics(scenario, schedule) | {
        "explanations": explanations,
        "repair": repair,
    }
    return schedule.model_copy(
        update={
            "status": "optimal" if proven else "feasible",
            "objectives": objectives,
            "metrics": metrics,
            "solve": info,
        }
    )
