"""Independent validator: re-checks every hard rule of a schedule against its raw scenario.

A second implementation of ../shared/spec/scenario-format.md ("Hard rules of a valid
schedule") and docs/objectives.md that shares no code with the solver, so a solver bug cannot
hide behind the same mistake twice. Time is plain integer arithmetic on seconds: weekly
windows are expanded into dated intervals only on the dates a check actually touches.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from scheduler.domain.diff import changed_assignments
from scheduler.domain.matching import calendars_for, participates, requirement_for
from scheduler.domain.plan_rules import PLAN_RULES, check_plans, plan_objective_values
from scheduler.domain.scenario import (
    Activity,
    Facilitator,
    GeoPoint,
    Interval,
    Period,
    PlacementRequirement,
    ProgramCalendar,
    Scenario,
    Session,
    Site,
    Slot,
    Student,
    WeeklyWindow,
)
from scheduler.domain.scenario_types import WEEKDAYS, clock_minutes
from scheduler.domain.schedule import Schedule, SessionAssignment
from scheduler.domain.validator_weekly import RULES as WEEKLY_RULES
from scheduler.domain.validator_weekly import (
    diversity_values,
    history_tag_counts,
    weekly_violations,
)

EARTH_RADIUS_KM = 6371.0
DAY = 86_400

Span = tuple[int, int]
"""A half-open interval [start, end) in seconds since 0001-01-01T00:00."""

Window = tuple[int, int, int]
"""A weekly window: (weekday 0=mon, start second of day, end second of day)."""


RULES: dict[str, int] = {
    # 0: structural problems of the schedule document
    "wrong_term": 0,
    "unknown_session": 0,
    "unknown_activity": 0,
    "unknown_student": 0,
    "unknown_slot": 0,
    "unknown_facilitator": 0,
    "activity_mismatch": 0,
    "duplicate_session": 0,
    "duplicate_team": 0,
    "student_in_two_teams": 0,
    "duplicate_facilitator": 0,
    "duplicate_placement": 0,
    "malformed_unassigned": 0,
    # 1: one session per activity, every non-attendance listed
    "multiple_sessions": 1,
    "missing_unassigned": 1,
    "spurious_unassigned": 1,
    "duplicate_unassigned": 1,
    # 2: no time conflicts for a student
    "student_busy": 2,
    "program_calendar_busy": 2,
    "sessions_overlap": 2,
    "placement_session_overlap": 2,
    "placements_overlap": 2,
    # 3: team composition
    "team_too_small": 3,
    "team_too_large": 3,
    "team_too_few_professions": 3,
    "team_profession_below_min": 3,
    "team_profession_above_max": 3,
    "too_many_teams": 3,
    "not_participant": 3,
    # 4: rooms and accessibility
    "room_double_booked": 4,
    "room_not_accessible": 4,
    "site_not_accessible": 4,
    # 5: facilitators
    "too_few_facilitators": 5,
    "facilitator_busy": 5,
    "facilitator_double_booked": 5,
    "facilitator_over_max_sessions": 5,
    # 6: slots
    "slot_wrong_profession": 6,
    "slot_declined": 6,
    "slot_over_capacity": 6,
    "slot_language": 6,
    "site_not_transit_accessible": 6,
    "travel_too_far": 6,
    "credential_not_valid": 6,
    # 7: placement requirements
    "too_many_placements": 7,
    "placement_without_requirement": 7,
    "missing_unassigned_placement": 7,
    "extra_unassigned_placement": 7,
    "wrong_requirement": 7,
    "tag_minimum_unmet": 7,
    # 8: pinned assignments (extension: `policy.pinned`)
    "pin_broken": 8,
    # 9: student plans and qualifications (extension: `scheduler.domain.plan_rules`)
    **PLAN_RULES,
}
"""Every violation code and the spec's hard-rule number it belongs to (0 = structural)."""
RULES.update(WEEKLY_RULES)  # extension: capacity calendars (`validator_weekly`)


@dataclass(frozen=True)
class Violation:
    """One broken hard rule (1..7, or 0 for structural problems) with the ids involved."""

    rule: int
    code: str
    message: str
    related: tuple[str, ...]


@dataclass(frozen=True)
class TimeSet:
    """Occupied time: absolute spans plus weekly windows repeating on dates first..last."""

    spans: tuple[Span, ...] = ()
    weekly: tuple[Window, ...] = ()
    first: date = date.min
    last: date = date.min


# --- time arithmetic -------------------------------------------------------------------------


def _stamp(moment: datetime) -> int:
    """Seconds since 0001-01-01, so spans compare as plain integers."""
    return moment.toordinal() * DAY + moment.hour * 3600 + moment.minute * 60 + moment.second


def _span(start: datetime, end: datetime) -> Span:
    """An interval as integer seconds."""
    return (_stamp(start), _stamp(end))


def _window(window: WeeklyWindow) -> Window:
    """A weekly window as (weekday, start second, end second)."""
    day = WEEKDAYS.index(window.day)
    return (day, clock_minutes(window.start) * 60, clock_minutes(window.end) * 60)


def _windows(windows: Iterable[WeeklyWindow]) -> tuple[Window, ...]:
    """Usable weekly windows; empty or inverted ones occupy nothing."""
    converted = (_window(w) for w in windows)
    return tuple(w for w in converted if w[2] > w[1])


def _overlap(a: Span, b: Span) -> bool:
    """Half-open intervals conflict only when they share more than zero seconds."""
    return a[0] < b[1] and b[0] < a[1]


def _dates(first: date, last: date) -> Iterator[date]:
    """Every date from first to last inclusive."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _weekly_hits(windows: tuple[Window, ...], first: date, last: date, span: Span) -> bool:
    """Whether weekly windows, occurring on dates first..last, overlap an absolute span."""
    if not windows or span[1] <= span[0]:
        return False
    lo = max(first, date.fromordinal(span[0] // DAY))
    hi = min(last, date.fromordinal((span[1] - 1) // DAY))
    for day in _dates(lo, hi):
        weekday, base = day.weekday(), day.toordinal() * DAY
        for w_day, start, end in windows:
            if w_day == weekday and _overlap((base + start, base + end), span):
                return True
    return False


def _weekdays(first: date, last: date) -> set[int]:
    """Weekdays that occur in first..last."""
    if last < first:
        return set()
    if (last - first).days >= 6:
        return set(range(7))
    return {d.weekday() for d in _dates(first, last)}


def _weekly_vs_weekly(a: TimeSet, b: TimeSet) -> bool:
    """Whether two weekly patterns overlap on a date both are in force."""
    if not a.weekly or not b.weekly:
        return False
    common = _weekdays(max(a.first, b.first), min(a.last, b.last))
    for day, start, end in a.weekly:
        for o_day, o_start, o_end in b.weekly:
            if day == o_day and day in common and start < o_end and o_start < end:
                return True
    return False


def clash(a: TimeSet, b: TimeSet) -> bool:
    """Whether two occupied times overlap by more than zero seconds."""
    for span in a.spans:
        if any(_overlap(span, other) for other in b.spans):
            return True
        if _weekly_hits(b.weekly, b.first, b.last, span):
            return True
    if any(_weekly_hits(a.weekly, a.first, a.last, span) for span in b.spans):
        return True
    return _weekly_vs_weekly(a, b)


def _busy(
    unavailable: Iterable[Interval], weekly: Iterable[WeeklyWindow], first: date, last: date
) -> TimeSet:
    """Busy time whose weekly part repeats over first..last (the term)."""
    spans = tuple(_span(i.start, i.end) for i in unavailable)
    return TimeSet(spans, _windows(weekly), first, last)


# --- travel ----------------------------------------------------------------------------------


def _haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in km on a sphere of radius 6371.0 km."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    d_lat, d_lon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _travel(student: Student, site: Site) -> float:
    """Travel of one placement rounded to 0.1 km; 0.0 when the student has no home."""
    if student.home is None:
        return 0.0
    return round(_haversine_km(student.home, site.location), 1)


def _tenths(km: float) -> int:
    """A 0.1-km-rounded distance as an exact integer of tenths, so sums do not drift."""
    return int(round(km * 10))


# --- indexes ---------------------------------------------------------------------------------


@dataclass
class _Index:
    """The scenario's entities by id, built once per call."""

    scenario: Scenario
    students: dict[str, Student] = field(default_factory=dict)
    sessions: dict[str, tuple[Activity, Session]] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    rooms: dict[str, bool] = field(default_factory=dict)
    facilitators: dict[str, Facilitator] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    periods: dict[str, Period] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)

    @classmethod
    def build(cls, scenario: Scenario) -> _Index:
        """Dicts by id, so every lookup is O(1)."""
        index = cls(scenario)
        index.students = {s.id: s for s in scenario.students}
        index.activities = {a.id: a for a in scenario.activities}
        index.sessions = {s.id: (a, s) for a in scenario.activities for s in a.sessions}
        index.rooms = {r.id: r.accessible for r in scenario.rooms}
        index.facilitators = {f.id: f for f in scenario.facilitators}
        index.sites = {s.id: s for s in scenario.sites}
        index.periods = {p.id: p for p in scenario.periods}
        index.slots = {s.id: s for s in scenario.slots}
        return index


def travel_km(scenario: Scenario, student_id: str, slot_id: str) -> float:
    """Travel from the student's home to the slot's site, rounded to 0.1 km (0.0 without home).

    Raises KeyError for an unknown student, slot or site.
    """
    index = _Index.build(scenario)
    slot = index.slots[slot_id]
    return _travel(index.students[student_id], index.sites[slot.site])


@dataclass
class _Plan:
    """The schedule digested: who attends which session, who holds which slot."""

    entries: list[tuple[SessionAssignment, Activity, Session]] = field(default_factory=list)
    attends: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    holds: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


class _Report:
    """Collects violations in a stable order."""

    def __init__(self) -> None:
        self.items: list[Violation] = []

    def add(self, code: str, message: str, *related: str) -> None:
        self.items.append(Violation(RULES[code], code, message, tuple(related)))


# --- entry point -----------------------------------------------------------------------------


def validate_schedule(scenario: Scenario, schedule: Schedule) -> list[Violation]:
    """Every hard-rule and structural violation of the schedule; empty means valid."""
    index = _Index.build(scenario)
    report = _Report()
    if schedule.term != scenario.term.id:
        report.add(
            "wrong_term",
            f"schedule is for term {schedule.term!r}, scenario is {scenario.term.id!r}",
            schedule.term,
        )
    plan = _digest(index, schedule, report)
    _check_sessions(index, plan, report)
    _check_rooms(index, plan, report)
    _check_facilitators(index, plan, report)
    _check_attendance(index, plan, schedule, report)
    _check_slots(index, plan, report)
    _check_credentials(index, plan, report)
    _check_requirements(index, plan, schedule, report)
    _check_student_time(index, plan, report)
    _check_pins(index, plan, report)
    for code, message, related in weekly_violations(scenario, plan.holds):  # extension
        report.add(code, message, *related)
    check_plans(index.scenario, _held_slots(index, plan), report.add)  # extension: plans
    return report.items


# --- structure -------------------------------------------------------------------------------


def _digest(index: _Index, schedule: Schedule, report: _Report) -> _Plan:
    """Resolve ids, flag unknown and duplicate ones, and collect attendance and placements."""
    plan = _Plan()
    seen_sessions: set[str] = set()
    for entry in schedule.sessions:
        if entry.session in seen_sessions:
            report.add(
                "duplicate_session", f"session {entry.session} is listed twice", entry.session
            )
            continue
        seen_sessions.add(entry.session)
        resolved = index.sessions.get(entry.session)
        if resolved is None:
            report.add("unknown_session", f"unknown session {entry.session}", entry.session)
            continue
        activity, session = resolved
        if entry.activity != activity.id:
            report.add(
                "activity_mismatch",
                f"session {session.id} belongs to activity {activity.id}, not {entry.activity}",
                session.id,
                entry.activity,
            )
        plan.entries.append((entry, activity, session))
        _digest_teams(index, entry, session, plan, report)
    _digest_placements(index, schedule, plan, report)
    return plan


def _digest_teams(
    index: _Index, entry: SessionAssignment, session: Session, plan: _Plan, report: _Report
) -> None:
    """Record attendance of one session; team ids and students must be unique within it."""
    team_ids: set[str] = set()
    members: set[str] = set()
    for team in entry.teams:
        if team.id in team_ids:
            report.add(
                "duplicate_team",
                f"team id {team.id} repeats in session {session.id}",
                session.id,
                team.id,
            )
        team_ids.add(team.id)
        for student_id in team.students:
            if student_id not in index.students:
                report.add(
                    "unknown_student",
                    f"unknown student {student_id} in session {session.id}",
                    student_id,
                    session.id,
                )
            elif student_id in members:
                report.add(
                    "student_in_two_teams",
                    f"student {student_id} appears more than once in session {session.id}",
                    student_id,
                    session.id,
                )
            else:
                members.add(student_id)
                plan.attends[student_id].append(session.id)


def _digest_placements(index: _Index, schedule: Schedule, plan: _Plan, report: _Report) -> None:
    """Record placements; unknown ids and a slot held twice are structural problems."""
    seen: set[tuple[str, str]] = set()
    for placement in schedule.placements:
        student_id, slot_id = placement.student, placement.slot
        if student_id not in index.students:
            report.add(
                "unknown_student",
                f"unknown student {student_id} in placements",
                student_id,
                slot_id,
            )
        elif slot_id not in index.slots:
            report.add(
                "unknown_slot", f"unknown slot {slot_id} held by {student_id}", slot_id, student_id
            )
        elif (student_id, slot_id) in seen:
            report.add(
                "duplicate_placement",
                f"student {student_id} holds slot {slot_id} twice",
                student_id,
                slot_id,
            )
        else:
            seen.add((student_id, slot_id))
            plan.holds[student_id].append(slot_id)


# --- rule 3: teams ---------------------------------------------------------------------------


def _check_sessions(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 3: team sizes, profession mix, team count, and participants only."""
    for entry, activity, session in plan.entries:
        if len(entry.teams) > session.max_teams:
            report.add(
                "too_many_teams",
                f"session {session.id} has {len(entry.teams)} teams, max_teams is "
                f"{session.max_teams}",
                session.id,
            )
        for team in entry.teams:
            students = [index.students[s] for s in team.students if s in index.students]
            _check_team(activity, session.id, team.id, len(team.students), students, report)


def _check_team(
    activity: Activity,
    session_id: str,
    team_id: str,
    size: int,
    students: list[Student],
    report: _Report,
) -> None:
    """Rule 3 for one team."""
    rule = activity.team
    where = f"team {team_id} of session {session_id}"
    if size < rule.min_size:
        report.add(
            "team_too_small",
            f"{where} has {size} students, min_size is {rule.min_size}",
            session_id,
            team_id,
        )
    if size > rule.max_size:
        report.add(
            "team_too_large",
            f"{where} has {size} students, max_size is {rule.max_size}",
            session_id,
            team_id,
        )
    counts = Counter(s.profession for s in students)
    if len(counts) < rule.min_professions:
        report.add(
            "team_too_few_professions",
            f"{where} has {len(counts)} professions, min_professions is {rule.min_professions}",
            session_id,
            team_id,
        )
    for code, limit in rule.professions.items():
        if counts[code] < limit.min:
            report.add(
                "team_profession_below_min",
                f"{where} has {counts[code]} {code}, min is {limit.min}",
                session_id,
                team_id,
                code,
            )
        if limit.max is not None and counts[code] > limit.max:
            report.add(
                "team_profession_above_max",
                f"{where} has {counts[code]} {code}, max is {limit.max}",
                session_id,
                team_id,
                code,
            )
    for student in students:
        if not participates(student, activity):
            report.add(
                "not_participant",
                f"student {student.id} in {where} is not a participant of activity {activity.id}",
                student.id,
                session_id,
                team_id,
            )


# --- rule 4: rooms ---------------------------------------------------------------------------


def _sweep_overlaps(items: list[tuple[Span, str]]) -> Iterator[tuple[str, str]]:
    """Every pair of overlapping spans, by sorting on start."""
    ordered = sorted(items)
    for i, (span, name) in enumerate(ordered):
        for other, other_name in ordered[i + 1 :]:
            if other[0] >= span[1]:
                break
            if _overlap(span, other):
                yield name, other_name


def _check_rooms(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 4: a room hosts at most one listed session at any moment."""
    by_room: dict[str, list[tuple[Span, str]]] = defaultdict(list)
    for _entry, _activity, session in plan.entries:
        by_room[session.room].append((_span(session.start, session.end), session.id))
    for room, items in by_room.items():
        for first, second in _sweep_overlaps(items):
            report.add(
                "room_double_booked",
                f"room {room} hosts sessions {first} and {second} at the same time",
                room,
                first,
                second,
            )


# --- rule 5: facilitators --------------------------------------------------------------------


def _check_facilitators(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 5: enough facilitators, each free, never double-booked, within max_sessions."""
    term = index.scenario.term
    runs: dict[str, list[tuple[Span, str]]] = defaultdict(list)
    busy: dict[str, TimeSet] = {}
    for entry, activity, session in plan.entries:
        listed = _listed_facilitators(index, entry, session, report)
        _check_facilitator_count(activity, session, len(entry.teams), len(listed), report)
        occupied = TimeSet(spans=(_span(session.start, session.end),))
        for facilitator in listed:
            if facilitator.id not in busy:
                busy[facilitator.id] = _busy(
                    facilitator.unavailable, facilitator.weekly_unavailable, term.start, term.end
                )
            if clash(busy[facilitator.id], occupied):
                report.add(
                    "facilitator_busy",
                    f"facilitator {facilitator.id} is unavailable during session {session.id}",
                    facilitator.id,
                    session.id,
                )
            runs[facilitator.id].append((occupied.spans[0], session.id))
    for facilitator_id, items in runs.items():
        _check_facilitator_load(index.facilitators[facilitator_id], items, report)


def _listed_facilitators(
    index: _Index, entry: SessionAssignment, session: Session, report: _Report
) -> list[Facilitator]:
    """Distinct known facilitators of a session entry; unknown or repeated ids are flagged."""
    listed: list[Facilitator] = []
    for facilitator_id in entry.facilitators:
        facilitator = index.facilitators.get(facilitator_id)
        if facilitator is None:
            report.add(
                "unknown_facilitator",
                f"unknown facilitator {facilitator_id} in session {session.id}",
                facilitator_id,
                session.id,
            )
        elif any(f.id == facilitator_id for f in listed):
            report.add(
                "duplicate_facilitator",
                f"facilitator {facilitator_id} is listed twice in session {session.id}",
                facilitator_id,
                session.id,
            )
        else:
            listed.append(facilitator)
    return listed


def _check_facilitator_count(
    activity: Activity, session: Session, teams: int, listed: int, report: _Report
) -> None:
    """A session with T teams needs ceil(T / teams_per_facilitator) facilitators."""
    per = activity.teams_per_facilitator
    if per <= 0:
        return
    needed = math.ceil(teams / per)
    if listed < needed:
        report.add(
            "too_few_facilitators",
            f"session {session.id} has {teams} teams and {listed} facilitators, needs {needed}",
            session.id,
        )


def _check_facilitator_load(
    facilitator: Facilitator, items: list[tuple[Span, str]], report: _Report
) -> None:
    """No two conflicting sessions, and at most max_sessions sessions."""
    for first, second in _sweep_overlaps(items):
        report.add(
            "facilitator_double_booked",
            f"facilitator {facilitator.id} runs sessions {first} and {second} at the same time",
            facilitator.id,
            first,
            second,
        )
    limit = facilitator.max_sessions
    if limit is not None and len(items) > limit:
        report.add(
            "facilitator_over_max_sessions",
            f"facilitator {facilitator.id} runs {len(items)} sessions, max_sessions is {limit}",
            facilitator.id,
        )


# --- rule 1: one session per activity, unassigned entries ------------------------------------


def _check_attendance(index: _Index, plan: _Plan, schedule: Schedule, report: _Report) -> None:
    """Rule 1: at most one session per activity; every non-attendance listed exactly once."""
    attended: dict[tuple[str, str], list[str]] = defaultdict(list)
    for student_id, session_ids in plan.attends.items():
        for session_id in session_ids:
            attended[(student_id, index.sessions[session_id][0].id)].append(session_id)
    for (student_id, activity_id), session_ids in attended.items():
        if len(session_ids) > 1:
            report.add(
                "multiple_sessions",
                f"student {student_id} attends {len(session_ids)} "
                f"sessions of activity {activity_id}: {', '.join(session_ids)}",
                student_id,
                activity_id,
                *session_ids,
            )
    listed = _activity_unassigned(index, schedule, attended, report)
    for activity in index.scenario.activities:
        for student in index.scenario.students:
            key = (student.id, activity.id)
            if key not in attended and key not in listed and participates(student, activity):
                report.add(
                    "missing_unassigned",
                    f"student {student.id} attends no session of "
                    f"activity {activity.id} and is not listed as unassigned",
                    student.id,
                    activity.id,
                )


def _activity_unassigned(
    index: _Index,
    schedule: Schedule,
    attended: dict[tuple[str, str], list[str]],
    report: _Report,
) -> set[tuple[str, str]]:
    """Check activity entries of `unassigned`; returns the (student, activity) pairs listed."""
    listed: set[tuple[str, str]] = set()
    for item in schedule.unassigned:
        if (item.activity is None) == (item.requirement is None):
            report.add(
                "malformed_unassigned",
                f"unassigned entry of student {item.student} "
                "must name exactly one of activity or requirement",
                item.student,
            )
            continue
        if item.activity is None:
            continue
        student = index.students.get(item.student)
        activity = index.activities.get(item.activity)
        if student is None or activity is None:
            unknown = item.student if student is None else item.activity
            code = "unknown_student" if student is None else "unknown_activity"
            report.add(
                code, f"unassigned entry names unknown id {unknown}", item.student, item.activity
            )
            continue
        key = (student.id, activity.id)
        _check_activity_entry(student, activity, key in attended, key in listed, report)
        listed.add(key)
    return listed


def _check_activity_entry(
    student: Student, activity: Activity, attends: bool, repeated: bool, report: _Report
) -> None:
    """One unassigned activity entry must be unique, for a participant who attends nothing."""
    ids = (student.id, activity.id)
    if repeated:
        report.add(
            "duplicate_unassigned",
            f"student {student.id} is listed unassigned for activity {activity.id} more than once",
            *ids,
        )
    elif attends:
        report.add(
            "spurious_unassigned",
            f"student {student.id} attends activity {activity.id} but is listed as unassigned",
            *ids,
        )
    elif not participates(student, activity):
        report.add(
            "spurious_unassigned",
            f"student {student.id} is not a participant of "
            f"activity {activity.id} but is listed as unassigned",
            *ids,
        )


# --- rule 6: slots ---------------------------------------------------------------------------


def _check_slots(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 6 and the site half of rule 4: every placement fits its slot and its student."""
    taken: Counter[str] = Counter()
    max_km = index.scenario.policy.max_travel_km
    for student_id, slot_ids in plan.holds.items():
        student = index.students[student_id]
        for slot_id in slot_ids:
            taken[slot_id] += 1
            slot = index.slots[slot_id]
            _check_placement(student, slot, index.sites.get(slot.site), max_km, report)
    for slot_id, used in taken.items():
        capacity = index.slots[slot_id].capacity
        if used > capacity:
            report.add(
                "slot_over_capacity",
                f"slot {slot_id} holds {used} students, capacity is {capacity}",
                slot_id,
            )


def _check_placement(
    student: Student, slot: Slot, site: Site | None, max_km: float | None, report: _Report
) -> None:
    """One placement against its slot's profession, status, language, site and distance."""
    ids = (student.id, slot.id)
    if slot.profession != student.profession:
        report.add(
            "slot_wrong_profession",
            f"slot {slot.id} is for {slot.profession}, "
            f"student {student.id} is {student.profession}",
            *ids,
        )
    if slot.status == "declined":
        report.add("slot_declined", f"slot {slot.id} held by {student.id} is declined", *ids)
    if slot.language is not None and slot.language not in student.languages:
        report.add(
            "slot_language",
            f"slot {slot.id} requires language {slot.language}, "
            f"which student {student.id} does not speak",
            *ids,
        )
    if site is None:
        return
    if student.travel_mode == "transit" and not site.transit_accessible:
        report.add(
            "site_not_transit_accessible",
            f"transit student {student.id} holds slot {slot.id} at site {site.id}, "
            "which is not transit accessible",
            *ids,
            site.id,
        )
    if student.needs_accessible and not site.accessible:
        report.add(
            "site_not_accessible",
            f"student {student.id} needs an accessible site, site {site.id} of slot {slot.id} "
            "is not",
            *ids,
            site.id,
        )
    km = _travel(student, site)
    if max_km is not None and student.home is not None and km > max_km:
        report.add(
            "travel_too_far",
            f"student {student.id} travels {km} km to site {site.id} of slot {slot.id}, "
            f"max_travel_km is {max_km}",
            *ids,
            site.id,
        )


def _check_credentials(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 6 (extension): every credential a placement's site and slot require is valid on
    every date of its period. Checked date by date, with no shared code."""
    for student_id, slot_ids in plan.holds.items():
        student = index.students[student_id]
        for slot_id in slot_ids:
            slot = index.slots[slot_id]
            period = index.periods.get(slot.period)
            site = index.sites.get(slot.site)
            if period is None:
                continue
            codes = set(slot.required_credentials) | set(site.required_credentials if site else [])
            for code in sorted(codes):
                day = _first_day_without(student, code, period)
                if day is not None:
                    report.add(
                        "credential_not_valid",
                        f"student {student.id} holds slot {slot.id} in {period.id}, and "
                        f"credential {code} is not valid on {day.isoformat()}",
                        student.id,
                        slot.id,
                        code,
                    )


def _first_day_without(student: Student, code: str, period: Period) -> date | None:
    """The first date of the period with no valid entry of `code`, or None."""
    entries = [c for c in student.credentials if c.code == code and c.status == "valid"]
    for day in _dates(period.start, period.end):
        if not any(
            (c.issued is None or c.issued <= day) and (c.expires is None or day < c.expires)
            for c in entries
        ):
            return day
    return None


# --- rule 7: requirements --------------------------------------------------------------------


def _check_requirements(index: _Index, plan: _Plan, schedule: Schedule, report: _Report) -> None:
    """Rule 7: at most `count` placements, `count - held` unassigned entries, tag minimums."""
    entries = _requirement_entries(index, schedule, report)
    requirements = index.scenario.placement_requirements
    for student in index.scenario.students:
        requirement = requirement_for(student, requirements)
        slots = [index.slots[s] for s in plan.holds.get(student.id, [])]
        named = entries.get(student.id, Counter())
        if requirement is None:
            _check_no_requirement(student, slots, named, report)
        else:
            _check_requirement(index, student, requirement, slots, named, report)


def _requirement_entries(
    index: _Index, schedule: Schedule, report: _Report
) -> dict[str, Counter[str]]:
    """Requirement keys named by each student's unassigned placement entries."""
    entries: dict[str, Counter[str]] = defaultdict(Counter)
    for item in schedule.unassigned:
        if item.requirement is None or item.activity is not None:
            continue
        if item.student not in index.students:
            report.add(
                "unknown_student",
                f"unassigned entry names unknown student {item.student}",
                item.student,
                item.requirement,
            )
            continue
        entries[item.student][item.requirement] += 1
    return entries


def _check_no_requirement(
    student: Student, slots: list[Slot], named: Counter[str], report: _Report
) -> None:
    """A student without a requirement holds no placement and has no placement entries."""
    if slots:
        report.add(
            "placement_without_requirement",
            f"student {student.id} holds slots {', '.join(s.id for s in slots)} "
            "but has no placement requirement",
            student.id,
            *(s.id for s in slots),
        )
    for key in named:
        report.add(
            "wrong_requirement",
            f"student {student.id} is listed unassigned for "
            f"requirement {key} but has no placement requirement",
            student.id,
            key,
        )


def _check_requirement(
    index: _Index,
    student: Student,
    requirement: PlacementRequirement,
    slots: list[Slot],
    named: Counter[str],
    report: _Report,
) -> None:
    """Held count, matching unassigned entries, and tag minimums for one student."""
    key, held = requirement.key, len(slots)
    if held > requirement.count:
        report.add(
            "too_many_placements",
            f"student {student.id} holds {held} placements, "
            f"requirement {key} asks for {requirement.count}",
            student.id,
            key,
        )
    expected, listed = max(requirement.count - held, 0), named.get(key, 0)
    if listed < expected:
        report.add(
            "missing_unassigned_placement",
            f"student {student.id} holds {held} of "
            f"{requirement.count} placements but {listed} unassigned entries name "
            f"requirement {key}, expected {expected}",
            student.id,
            key,
        )
    elif listed > expected:
        report.add(
            "extra_unassigned_placement",
            f"student {student.id} holds {held} of "
            f"{requirement.count} placements but {listed} unassigned entries name "
            f"requirement {key}, expected {expected}",
            student.id,
            key,
        )
    for other in named:
        if other != key:
            report.add(
                "wrong_requirement",
                f"student {student.id} is listed unassigned for "
                f"requirement {other}, their requirement is {key}",
                student.id,
                other,
            )
    if requirement.count > 0 and held == requirement.count:
        _check_tags(index, student, requirement, slots, report)


def _check_tags(
    index: _Index,
    student: Student,
    requirement: PlacementRequirement,
    slots: list[Slot],
    report: _Report,
) -> None:
    """A student holding all `count` placements meets every tag minimum; a placement's tags
    are its site's and its unit's, and earlier placements (history) count too."""
    site_tags = [_placement_tags(index, s) for s in slots]
    earlier = history_tag_counts(student)
    for tag, minimum in requirement.tags.items():
        have = sum(1 for tags in site_tags if tag in tags) + earlier.get(tag, 0)
        if have < minimum:
            report.add(
                "tag_minimum_unmet",
                f"student {student.id} has {have} placements at "
                f"{tag} sites, requirement {requirement.key} asks for {minimum}",
                student.id,
                requirement.key,
                tag,
            )


def _placement_tags(index: _Index, slot: Slot) -> set[str]:
    """Tags of a placement: its site's plus those of its unit (extension)."""
    site = index.sites.get(slot.site)
    if site is None:
        return set()
    return set(site.tags) | {t for u in site.units if u.id == slot.unit for t in u.tags}


# --- rule 2 and the room half of rule 4: each student's time ---------------------------------


@dataclass
class _TimeChecker:
    """Rule 2 per student, caching program-calendar results shared by many students."""

    index: _Index
    report: _Report
    times: dict[int, TimeSet] = field(default_factory=dict)
    cache: dict[tuple[int, str], bool] = field(default_factory=dict)

    def calendar_time(self, calendar: ProgramCalendar) -> TimeSet:
        """A program calendar's busy time, converted once."""
        key = id(calendar)
        if key not in self.times:
            term = self.index.scenario.term
            self.times[key] = _busy(
                calendar.unavailable, calendar.weekly_unavailable, term.start, term.end
            )
        return self.times[key]

    def calendar_clash(self, student: Student, item: str, occupied: TimeSet) -> str | None:
        """The first program calendar of the student that clashes with an item, if any."""
        for calendar in calendars_for(student, self.index.scenario.program_calendars):
            key = (id(calendar), item)
            if key not in self.cache:
                self.cache[key] = clash(self.calendar_time(calendar), occupied)
            if self.cache[key]:
                cohort = f"/{calendar.cohort}" if calendar.cohort is not None else ""
                return f"{calendar.profession}{cohort}"
        return None


def _check_student_time(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 2 for every student with a session or placement; rule 4 for their rooms."""
    checker = _TimeChecker(index, report)
    session_times = {
        session.id: TimeSet(spans=(_span(session.start, session.end),))
        for _entry, _activity, session in plan.entries
    }
    period_times: dict[str, TimeSet] = {}
    for period in index.scenario.periods:
        period_times[period.id] = TimeSet(
            weekly=_windows(period.weekly), first=period.start, last=period.end
        )
    for student_id in sorted(set(plan.attends) | set(plan.holds)):
        student = index.students[student_id]
        items = [(s, "session", session_times[s]) for s in plan.attends.get(student_id, [])]
        for slot_id in plan.holds.get(student_id, []):
            period_id = index.slots[slot_id].period
            if period_id in period_times:
                items.append((slot_id, "slot", period_times[period_id]))
        _check_rooms_accessible(index, student, plan.attends.get(student_id, []), report)
        _check_items(checker, student, items)


def _check_rooms_accessible(
    index: _Index, student: Student, session_ids: list[str], report: _Report
) -> None:
    """Rule 4: a student who needs access attends only sessions in accessible rooms."""
    if not student.needs_accessible:
        return
    for session_id in session_ids:
        room = index.sessions[session_id][1].room
        if not index.rooms.get(room, False):
            report.add(
                "room_not_accessible",
                f"student {student.id} needs an accessible room, "
                f"room {room} of session {session_id} is not",
                student.id,
                session_id,
                room,
            )


_PAIR_CODES = {
    ("session", "session"): "sessions_overlap",
    ("session", "slot"): "placement_session_overlap",
    ("slot", "session"): "placement_session_overlap",
    ("slot", "slot"): "placements_overlap",
}


def _check_items(
    checker: _TimeChecker, student: Student, items: list[tuple[str, str, TimeSet]]
) -> None:
    """Each session/placement against own busy time, program calendars and each other."""
    term = checker.index.scenario.term
    own = _busy(student.unavailable, student.weekly_unavailable, term.start, term.end)
    report = checker.report
    for position, (item_id, kind, occupied) in enumerate(items):
        if clash(own, occupied):
            report.add(
                "student_busy",
                f"student {student.id} is unavailable during {kind} {item_id}",
                student.id,
                item_id,
            )
        calendar = checker.calendar_clash(student, f"{kind}:{item_id}", occupied)
        if calendar is not None:
            report.add(
                "program_calendar_busy",
                f"{kind} {item_id} of student {student.id} "
                f"conflicts with the {calendar} program calendar",
                student.id,
                item_id,
            )
        for other_id, other_kind, other in items[position + 1 :]:
            if clash(occupied, other):
                report.add(
                    _PAIR_CODES[(kind, other_kind)],
                    f"student {student.id}'s {kind} "
                    f"{item_id} conflicts with {other_kind} {other_id}",
                    student.id,
                    item_id,
                    other_id,
                )


def _check_pins(index: _Index, plan: _Plan, report: _Report) -> None:
    """Rule 8 (extension): every pinned session is attended and every pinned slot held."""
    for pin in index.scenario.policy.pinned:
        if pin.session is not None and pin.session not in plan.attends.get(pin.student, []):
            report.add(
                "pin_broken",
                f"student {pin.student} is pinned to session {pin.session} but not in it",
                pin.student,
                pin.session,
            )
        if pin.slot is not None and pin.slot not in plan.holds.get(pin.student, []):
            report.add(
                "pin_broken",
                f"student {pin.student} is pinned to slot {pin.slot} but does not hold it",
                pin.student,
                pin.slot,
            )


# --- objectives ------------------------------------------------------------------------------


def objective_values(scenario: Scenario, schedule: Schedule) -> dict[str, float]:
    """The objectives of docs/objectives.md (the five defaults and `equity_gap`), recomputed
    from the raw documents."""
    index = _Index.build(scenario)
    attendances = {
        (student_id, _activity_of(index, entry))
        for entry in schedule.sessions
        for team in entry.teams
        for student_id in team.students
    }
    placements = [
        (index.students[student_id], index.sites[index.slots[slot_id].site])
        for student_id, slot_id in dict.fromkeys((p.student, p.slot) for p in schedule.placements)
        if student_id in index.students
        and slot_id in index.slots
        and index.slots[slot_id].site in index.sites
    ]
    travels = [_tenths(_travel(student, site)) for student, site in placements]
    return (
        {
            "coverage": float(len(attendances) + len(placements)),
            "preferences": float(sum(_rank(student, site.id) for student, site in placements)),
            "travel_fairness": max(travels, default=0) / 10,
            "travel_total": sum(travels) / 10,
            "team_balance": float(sum(_spread(entry) for entry in schedule.sessions)),
            "equity_gap": _equity_gap(scenario, placements),
        }
        | _stability(scenario, schedule, index)
        | _diversity(index, schedule)
        | _plan_values(scenario, schedule, index)
    )


def _diversity(index: _Index, schedule: Schedule) -> dict[str, float]:
    """`distinct_sites` and `distinct_tags` (extension; `validator_weekly`)."""
    holds: dict[str, list[str]] = defaultdict(list)
    for student_id, slot_id in dict.fromkeys((p.student, p.slot) for p in schedule.placements):
        if student_id in index.students and slot_id in index.slots:
            holds[student_id].append(slot_id)
    return diversity_values(index.scenario, holds)


def _held_slots(index: _Index, plan: _Plan) -> dict[str, list[Slot]]:
    """Each student's held slots (known ids only)."""
    return {
        student: [index.slots[s] for s in slots if s in index.slots]
        for student, slots in plan.holds.items()
    }


def _plan_values(scenario: Scenario, schedule: Schedule, index: _Index) -> dict[str, float]:
    """The objectives of student plans and scores (`scheduler.domain.plan_rules`)."""
    holds: dict[str, list[Slot]] = defaultdict(list)
    for student, slot in dict.fromkeys((p.student, p.slot) for p in schedule.placements):
        if student in index.students and slot in index.slots:
            holds[student].append(index.slots[slot])
    return plan_objective_values(scenario, holds)


def _stability(scenario: Scenario, schedule: Schedule, index: _Index) -> dict[str, float]:
    """`stability` when the policy has a previous schedule: changes of the scenario's students
    (`scheduler.domain.diff`)."""
    previous = scenario.policy.previous
    if previous is None:
        return {}
    return {"stability": float(changed_assignments(previous, schedule, index.students))}


EQUITY_MIN_GROUP = 5


def _equity_gap(scenario: Scenario, placements: list[tuple[Student, Site]]) -> float:
    """docs/objectives.md `equity_gap`: among students who need placements, the largest
    |mean travel per student of an attribute group - that of the rest| in km, rounded up to
    the metre, over groups and rests of at least 5; in exact integers of 0.1 km."""
    needing = [
        s
        for s in scenario.students
        if (r := requirement_for(s, scenario.placement_requirements)) is not None and r.count > 0
    ]
    tenths: Counter[str] = Counter()
    for student, site in placements:
        tenths[student.id] += _tenths(_travel(student, site))
    groups: dict[tuple[str, bool, object], list[str]] = defaultdict(list)
    for student in needing:
        for name, value in student.attributes.items():
            groups[name, isinstance(value, bool), value].append(student.id)
    n, total = len(needing), sum(tenths[s.id] for s in needing)
    worst = 0
    for members in groups.values():
        size, rest = len(members), n - len(members)
        if size < EQUITY_MIN_GROUP or rest < EQUITY_MIN_GROUP:
            continue
        difference = abs(n * sum(tenths[m] for m in members) - size * total)
        worst = max(worst, -(-100 * difference // (size * rest)))
    return worst / 1000


def _activity_of(index: _Index, entry: SessionAssignment) -> str:
    """The activity a session entry really belongs to (its own field when the id is unknown)."""
    resolved = index.sessions.get(entry.session)
    return resolved[0].id if resolved else entry.activity


def _rank(student: Student, site_id: str) -> int:
    """1-based rank of a site in the student's preferences; unranked counts len + 1."""
    preferences = student.site_preferences
    return preferences.index(site_id) + 1 if site_id in preferences else len(preferences) + 1


def _spread(entry: SessionAssignment) -> int:
    """Largest minus smallest team size of a session; 0 without teams."""
    sizes = [len(team.students) for team in entry.teams]
    return max(sizes) - min(sizes) if sizes else 0
