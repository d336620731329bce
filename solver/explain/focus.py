"""Re-solve one part of a term with the rest of its schedule frozen, and stitch them back.

A what-if re-solve of a whole large term takes about as long as the first solve; but a
change to one activity's sessions touches only that activity, and a change to seats or
travel only placements of some professions. So the explainer re-solves that *part* on its
own: a scenario with only the part's students and resources, where everything else the
schedule gives them (sessions of other activities, placements held, rooms and facilitators
in use) is busy time. The part's answer stitched into the frozen rest is a schedule of the
whole changed scenario, which the independent validator then checks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.domain.matching import participates, requirement_for
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Placement, Schedule, SessionAssignment, Unassigned
from solver.availability import PeriodTime, overlaps, window_on


@dataclass(frozen=True)
class Focus:
    """The part of a term a change touches: one activity, or placements of some professions
    (of only the `movable` students when given; the others keep their seats)."""

    activity: str | None = None
    professions: frozenset[str] = frozenset()
    movable: frozenset[str] | None = None

    @property
    def label(self) -> str:
        return self.activity or "placements of " + ", ".join(sorted(self.professions))

    def moves(self, student: str, profession: str) -> bool:
        """True when the part re-decides this student's placements."""
        if self.movable is not None:
            return student in self.movable
        return profession in self.professions


def part_met(focus: Focus, schedule: Schedule, scenario: Scenario) -> int:
    """Needs of the part that the schedule meets."""
    if focus.activity is not None:
        return sum(
            len(team.students)
            for entry in schedule.sessions
            if entry.activity == focus.activity
            for team in entry.teams
        )
    profession = {s.id: s.profession for s in scenario.students}
    return sum(1 for p in schedule.placements if focus.moves(p.student, profession[p.student]))


def needs_met(schedule: Schedule) -> int:
    """Coverage: session attendances plus placements held."""
    attended = sum(len(team.students) for entry in schedule.sessions for team in entry.teams)
    return attended + len(schedule.placements)


def part_scenario(scenario: Scenario, schedule: Schedule, focus: Focus, policy: dict) -> Scenario:
    """The part as a scenario of its own; the schedule's other commitments become busy time."""
    data = scenario.model_dump(mode="json")
    commitments = _commitments(scenario, schedule, focus)
    keep = _part_students(scenario, focus)
    data["students"] = [
        _with_busy(s, commitments.get(s["id"], [])) for s in data["students"] if s["id"] in keep
    ]
    if focus.activity is not None:
        _activity_part(data, scenario, schedule, focus.activity)
    else:
        data["activities"] = []
        data["facilitators"] = []
        data["slots"] = _residual_slots(data["slots"], scenario, schedule, focus)
    data["policy"] = {**data["policy"], **policy, "previous": None}
    _keep_part_pins(data)
    return Scenario.model_validate(data)


def _keep_part_pins(data: dict[str, Any]) -> None:
    """Pins of the part stay; the others are honoured by the frozen rest already."""
    if not data["policy"].get("pinned"):
        return
    students = {s["id"] for s in data["students"]}
    sessions = {s["id"] for a in data["activities"] for s in a["sessions"]}
    slots = {s["id"] for s in data["slots"]}
    data["policy"]["pinned"] = [
        pin
        for pin in data["policy"]["pinned"]
        if pin["student"] in students
        and (pin.get("session") in sessions or pin.get("slot") in slots)
    ]


def _part_students(scenario: Scenario, focus: Focus) -> set[str]:
    if focus.activity is not None:
        activity = next(a for a in scenario.activities if a.id == focus.activity)
        return {s.id for s in scenario.students if participates(s, activity)}
    requirements = scenario.placement_requirements
    return {
        s.id
        for s in scenario.students
        if focus.moves(s.id, s.profession) and requirement_for(s, requirements) is not None
    }


def _residual_slots(
    slots: list[dict[str, Any]], scenario: Scenario, schedule: Schedule, focus: Focus
) -> list[dict[str, Any]]:
    """The professions' slots, less the seats that students outside the part keep."""
    profession = {s.id: s.profession for s in scenario.students}
    kept: dict[str, int] = defaultdict(int)
    for placement in schedule.placements:
        if not focus.moves(placement.student, profession[placement.student]):
            kept[placement.slot] += 1
    return [
        {**slot, "capacity": max(0, slot["capacity"] - kept[slot["id"]])}
        for slot in slots
        if slot["profession"] in focus.professions
    ]


Span = tuple[datetime, datetime]


def _commitments(scenario: Scenario, schedule: Schedule, focus: Focus) -> dict[str, list[Span]]:
    """Per student, the time the frozen rest of the schedule already takes."""
    spans: dict[str, list[Span]] = defaultdict(list)
    times = {s.id: (s.start, s.end) for a in scenario.activities for s in a.sessions}
    for entry in schedule.sessions:
        if entry.activity == focus.activity:
            continue
        for team in entry.teams:
            for student in team.students:
                spans[student].append(times[entry.session])
    if focus.activity is None:
        return spans
    slots = {s.id: s for s in scenario.slots}
    periods = {p.id: PeriodTime.of(p) for p in scenario.periods}
    for placement in schedule.placements:
        period = periods[slots[placement.slot].period]
        spans[placement.student] += period_spans(period)
    return spans


def period_spans(period: PeriodTime) -> list[Span]:
    """Every on-site interval of a placement period, date by date."""
    spans = []
    for weekday in sorted({w[0] for w in period.windows}):
        for day in period.days_with(weekday):
            spans += [window_on(day, w) for w in period.windows if w[0] == weekday]
    return spans


def _with_busy(student: dict[str, Any], spans: list[Span]) -> dict[str, Any]:
    if not spans:
        return student
    extra = [{"start": _stamp(a), "end": _stamp(b)} for a, b in spans]
    return {**student, "unavailable": [*student.get("unavailable", []), *extra]}


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _activity_part(data: dict, scenario: Scenario, schedule: Schedule, activity: str) -> None:
    """Only the activity; its sessions lose rooms taken by other held sessions, and the
    facilitators lose the time and the session allowance the other sessions use."""
    times = {s.id: (s.start, s.end, s.room) for a in scenario.activities for s in a.sessions}
    held = [times[e.session] for e in schedule.sessions if e.activity != activity]
    data["activities"] = [a for a in data["activities"] if a["id"] == activity]
    for item in data["activities"]:
        item["sessions"] = [s for s in item["sessions"] if not _room_taken(times[s["id"]], held)]
    runs: dict[str, list[Span]] = defaultdict(list)
    for entry in schedule.sessions:
        if entry.activity != activity:
            for facilitator in entry.facilitators:
                start, end, _ = times[entry.session]
                runs[facilitator].append((start, end))
    for item in data["facilitators"]:
        used = runs.get(item["id"], [])
        if used:
            item.update(_with_busy(item, used))
            if item.get("max_sessions") is not None:
                item["max_sessions"] = max(0, item["max_sessions"] - len(used))
    data["slots"] = []
    data["placement_requirements"] = []


def _room_taken(session: tuple[datetime, datetime, str], held: list) -> bool:
    start, end, room = session
    return any(r == room and overlaps(start, end, s, e) for s, e, r in held)


def stitch(scenario: Scenario, schedule: Schedule, focus: Focus, part: Schedule) -> Schedule:
    """The frozen rest of `schedule` plus the part's answer: a schedule of `scenario`."""
    if focus.activity is not None:
        rest = [e for e in schedule.sessions if e.activity != focus.activity]
        sessions = rest + list(part.sessions)
        placements = list(schedule.placements)
    else:
        profession = {s.id: s.profession for s in scenario.students}
        sessions = list(schedule.sessions)
        kept = [p for p in schedule.placements if not focus.moves(p.student, profession[p.student])]
        placements = kept + list(part.placements)
    return Schedule(
        term=scenario.term.id,
        status="feasible",
        sessions=sessions,
        placements=placements,
        unassigned=unmet_entries(scenario, sessions, placements),
    )


def unmet_entries(
    scenario: Scenario, sessions: list[SessionAssignment], placements: list[Placement]
) -> list[Unassigned]:
    """Every unmet need of a schedule, as `docs/objectives.md` defines the entries."""
    attended = {
        (student, entry.activity)
        for entry in sessions
        for team in entry.teams
        for student in team.students
    }
    held: dict[str, int] = defaultdict(int)
    for placement in placements:
        held[placement.student] += 1
    entries = []
    for student in scenario.students:
        for activity in scenario.activities:
            if participates(student, activity) and (student.id, activity.id) not in attended:
                entries.append(Unassigned(student=student.id, activity=activity.id))
        requirement = requirement_for(student, scenario.placement_requirements)
        if requirement is not None:
            missing = requirement.count - held[student.id]
            entries += [
                Unassigned(student=student.id, requirement=requirement.key) for _ in range(missing)
            ]
    return entries
