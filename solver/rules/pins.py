"""Rule 8 (extension): a pinned student attends the pinned session and holds the pinned slot.

Pinned students are classes of one (`solver.stability.refine_classes`), so "attends" is
their class's count in the session, summed over placement patterns, equal to 1.
`pin_errors` says before any solve which pins cannot hold, and why; pins that only clash
together leave the model infeasible, which the driver reports as `infeasible` with
`NO_SCHEDULE`, never as a silent empty schedule.
"""

from __future__ import annotations

from collections import Counter

from scheduler.domain.scenario import Pin, Scenario
from scheduler.domain.schedule import ErrorItem, ObjectiveResult, Schedule, SolveInfo
from solver.model import TermModel
from solver.prepare import Prepared

NO_SCHEDULE = (
    "no schedule keeps every pinned assignment within the time limit: the pins conflict "
    "with each other or with the rules (session capacity, teams, clashes, tag minimums)"
)


def add(model: TermModel) -> None:
    """Force every pin whose variable the model has (a pin without one is stopped earlier
    by `pin_errors`; the warm start's IPE-only model has no placement variables at all)."""
    for pin in model.prep.scenario.policy.pinned:
        if pin.session is not None:
            attends = _session_vars(model, pin.student, pin.session)
            model.cp.add(sum(attends) == 1)
        elif pin.slot is not None and (pin.student, pin.slot) in model.place:
            model.cp.add(model.place[pin.student, pin.slot] == 1)


def _session_vars(model: TermModel, student: str, session: str) -> list:
    classes = [c for c in model.prep.classes if student in c.students]
    if len(classes) != 1 or len(classes[0].students) != 1:
        raise RuntimeError(f"pinned student {student} is not a class of one")
    index = classes[0].index
    return [var for (c, _pattern, s), var in model.attend.items() if c == index and s == session]


def respected(model: TermModel, values: dict[int, int] | None) -> bool:
    """Whether solution values keep every pin (a warm start knows nothing of slot pins)."""
    if values is None:
        return True
    for pin in model.prep.scenario.policy.pinned:
        if pin.session is not None:
            held = sum(
                values.get(v.index, 0) for v in _session_vars(model, pin.student, pin.session)
            )
            if held != 1:
                return False
        elif pin.slot is not None:
            var = model.place.get((pin.student, pin.slot))
            if var is None or values.get(var.index, 0) != 1:
                return False
    return True


def pin_errors(prep: Prepared) -> list[ErrorItem]:
    """Pins that cannot hold, each with the reason: checked on the facts, before solving."""
    errors = []
    pins = prep.scenario.policy.pinned
    for index, pin in enumerate(pins):
        reason = _reason(prep, pin)
        if reason is not None:
            errors.append(ErrorItem(path=f"policy.pinned[{index}]", message=reason))
    errors += _over_capacity(prep.scenario, pins)
    return errors


def _reason(prep: Prepared, pin: Pin) -> str | None:
    info = prep.students.get(pin.student)
    if info is None:
        return f"unknown student {pin.student}"
    if pin.session is not None:
        return _session_reason(prep, pin.student, pin.session)
    slots = {s.id: s for s in prep.scenario.slots}
    slot = slots.get(pin.slot or "")
    if slot is None:
        return f"unknown slot {pin.slot}"
    if slot.status == "declined":
        return f"slot {slot.id} is declined: student {pin.student} cannot keep it"
    if all(option.slot != slot.id for option in info.all_options):
        return (
            f"student {pin.student} may not hold slot {slot.id} "
            "(profession, language, travel, access or busy time)"
        )
    return None


def _session_reason(prep: Prepared, student: str, session: str) -> str | None:
    info = prep.students[student]
    facts = prep.sessions.get(session)
    if facts is None:
        return f"unknown session {session}"
    if facts.activity not in info.free_sessions:
        return f"student {student} does not take part in activity {facts.activity}"
    if session not in info.free_sessions[facts.activity]:
        return f"student {student} is busy during session {session} (or its room is not accessible)"
    return None


def _over_capacity(scenario: Scenario, pins: list[Pin]) -> list[ErrorItem]:
    """Slots pinned to more students than they seat."""
    capacity = {slot.id: slot.capacity for slot in scenario.slots}
    counts = Counter(pin.slot for pin in pins if pin.slot is not None)
    return [
        ErrorItem(
            path="policy.pinned",
            message=f"slot {slot} is pinned to {count} students but seats {capacity[slot]}",
        )
        for slot, count in sorted(counts.items())
        if slot in capacity and count > capacity[slot]
    ]


def infeasible_schedule(scenario: Scenario, errors: list[ErrorItem], info: SolveInfo) -> Schedule:
    """The answer when pins cannot all hold: status `infeasible`, the reasons in `errors`."""
    return Schedule(
        term=scenario.term.id,
        status="infeasible",
        objectives=[ObjectiveResult(name=name) for name in scenario.policy.objectives],
        errors=errors,
        solve=info,
    )
