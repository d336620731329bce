"""Reference model: the exact lexicographic optimum of a tiny term, straight from the contract.

Written from ../shared/spec/scenario-format.md and docs/objectives.md, sharing no code with
`solver/`: one boolean per student x session x team index, per student x slot, per team and
per facilitator x session, every hard rule as a plain constraint, every objective level as
its documented integer expression, solved level by level with CP-SAT (one worker, fixed
seed) and each level frozen at its proven optimum before the next.

Time is explicit: every weekly window is expanded into dated `datetime` intervals over the
dates that bound it (the term for busy time, the period for a placement), so a clash is a
plain interval overlap. This is deliberately the naive way: the validator's weekday
arithmetic is a different implementation, so the two check each other.

Only for tiny terms (a handful of students, sessions and slots, terms of a few weeks):
nothing here is meant to scale. `solve_reference` answers `None` when a level cannot be
proven optimal within its time limit; callers then skip the example.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import combinations
from typing import Literal

from ortools.sat.python import cp_model

from scheduler.domain.scenario import (
    Facilitator,
    GeoPoint,
    PlacementRequirement,
    Scenario,
    Site,
    Slot,
    Student,
    WeeklyWindow,
)
from scheduler.domain.schedule import (
    Placement,
    Schedule,
    SessionAssignment,
    Team,
    Unassigned,
)

Interval = tuple[datetime, datetime]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAXIMISED = frozenset({"coverage"})
EQUITY_MIN_GROUP = 5
LEVEL_SECONDS = 20.0


# --- time: everything expanded to dated intervals --------------------------------------------


def _clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def _expand(windows: list[WeeklyWindow], first: date, last: date) -> list[Interval]:
    """Every occurrence of the weekly windows on the dates first..last (inclusive)."""
    out: list[Interval] = []
    day = first
    while day <= last:
        midnight = datetime.combine(day, time())
        for window in windows:
            if DAYS.index(window.day) == day.weekday():
                start, end = midnight + _clock(window.start), midnight + _clock(window.end)
                if end > start:
                    out.append((start, end))
        day += timedelta(days=1)
    return out


def _clash(a: list[Interval], b: list[Interval]) -> bool:
    """Half-open intervals conflict when they share more than zero time."""
    return any(x0 < y1 and y0 < x1 for x0, x1 in a for y0, y1 in b)


def _selects(student: Student, profession: str, cohort: str | None) -> bool:
    return student.profession == profession and (cohort is None or cohort == student.cohort)


def requirement_of(scenario: Scenario, student: Student) -> PlacementRequirement | None:
    """A cohort-specific requirement wins over a general one (docs/objectives.md)."""
    general = None
    for requirement in scenario.placement_requirements:
        if _selects(student, requirement.profession, requirement.cohort):
            if requirement.cohort is not None:
                return requirement
            general = general or requirement
    return general


def requirement_key(requirement: PlacementRequirement) -> str:
    if requirement.id:
        return requirement.id
    if requirement.cohort is None:
        return requirement.profession
    return f"{requirement.profession}/{requirement.cohort}"


def travel_tenths(home: GeoPoint | None, site: GeoPoint) -> int:
    """Great-circle km (radius 6371.0) rounded to 0.1 km, as integer tenths; 0 without home."""
    if home is None:
        return 0
    lat1, lat2 = math.radians(home.lat), math.radians(site.lat)
    d_lat, d_lon = lat2 - lat1, math.radians(site.lon - home.lon)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
    km = 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))
    return int(round(round(km, 1) * 10))


# --- the answer ------------------------------------------------------------------------------


@dataclass
class ReferenceResult:
    """The true lexicographic optimum: one value per measured policy level, and a schedule
    that reaches it (or `infeasible` when no schedule keeps every pin)."""

    status: Literal["optimal", "infeasible"]
    values: dict[str, float] = field(default_factory=dict)
    schedule: Schedule | None = None


# --- the model -------------------------------------------------------------------------------


@dataclass
class _Vars:
    attend: dict[tuple[str, str, int], cp_model.IntVar] = field(default_factory=dict)
    used: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    place: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    lead: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)


class _Reference:
    """The CP-SAT model of one scenario: hard rules in `build`, levels in `solve`."""

    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.m = cp_model.CpModel()
        self.v = _Vars()
        self.term_first, self.term_last = scenario.term.start, scenario.term.end
        self.sessions = {s.id: (a, s) for a in scenario.activities for s in a.sessions}
        self.sites = {s.id: s for s in scenario.sites}
        self.periods = {p.id: p for p in scenario.periods}
        self.rooms = {r.id: r for r in scenario.rooms}
        self.levels: dict[str, cp_model.LinearExprT] = {}
        self.scale: dict[str, float] = {}

    # -- busy time

    def _busy(self, unavailable: list, weekly: list[WeeklyWindow]) -> list[Interval]:
        spans = [(i.start, i.end) for i in unavailable]
        return spans + _expand(weekly, self.term_first, self.term_last)

    def _student_busy(self, student: Student) -> list[Interval]:
        busy = self._busy(student.unavailable, student.weekly_unavailable)
        for calendar in self.sc.program_calendars:
            if _selects(student, calendar.profession, calendar.cohort):
                busy += self._busy(calendar.unavailable, calendar.weekly_unavailable)
        return busy

    def _session_time(self, session_id: str) -> list[Interval]:
        session = self.sessions[session_id][1]
        return [(session.start, session.end)]

    def _slot_time(self, slot_id: str) -> list[Interval]:
        slot = next(s for s in self.sc.slots if s.id == slot_id)
        period = self.periods[slot.period]
        return _expand(period.weekly, period.start, period.end)

    def _forbid(self, var: cp_model.IntVar) -> None:
        self.m.add(var == 0)

    # -- variables and hard rules

    def build(self) -> None:
        self._sessions()
        self._facilitators()
        self._placements()
        self._student_time()
        self._pins()
        self._objectives()

    def _team_slots(self, session_id: str) -> int:
        activity, session = self.sessions[session_id]
        participants = [
            s
            for s in self.sc.students
            if any(_selects(s, p.profession, p.cohort) for p in activity.participants)
        ]
        return min(session.max_teams, len(participants) // max(activity.team.min_size, 1))

    def _sessions(self) -> None:
        m = self.m
        for activity in self.sc.activities:
            members = [
                s
                for s in self.sc.students
                if any(_selects(s, p.profession, p.cohort) for p in activity.participants)
            ]
            rule = activity.team
            for session in activity.sessions:
                teams = self._team_slots(session.id)
                room = self.rooms[session.room]
                for k in range(teams):
                    used = m.new_bool_var(f"used[{session.id},{k}]")
                    self.v.used[session.id, k] = used
                    if k > 0:  # teams of a session are interchangeable
                        m.add(used <= self.v.used[session.id, k - 1])
                    for student in members:
                        var = m.new_bool_var(f"attend[{student.id},{session.id},{k}]")
                        self.v.attend[student.id, session.id, k] = var
                        m.add(var <= used)
                        if student.needs_accessible and not room.accessible:
                            self._forbid(var)
                    size = sum(self.v.attend[s.id, session.id, k] for s in members)
                    m.add(size >= rule.min_size * used)
                    m.add(size <= rule.max_size * used)
                    present = []
                    professions = {s.profession for s in members}
                    for code in sorted(professions | set(rule.professions)):
                        of_code = [
                            self.v.attend[s.id, session.id, k]
                            for s in members
                            if s.profession == code
                        ]
                        count = sum(of_code)
                        limit = rule.professions.get(code)
                        if limit is not None and of_code:
                            m.add(count >= limit.min * used)
                            if limit.max is not None:
                                m.add(count <= limit.max)
                        elif limit is not None and limit.min > 0:
                            m.add(used == 0)
                        if of_code:
                            has = m.new_bool_var(f"has[{session.id},{k},{code}]")
                            m.add(has <= count)
                            present.append(has)
                    m.add(sum(present) >= rule.min_professions * used)
            for student in members:  # rule 1: one session per activity
                m.add(
                    sum(
                        var
                        for (sid, sess, _k), var in self.v.attend.items()
                        if sid == student.id and self.sessions[sess][0].id == activity.id
                    )
                    <= 1
                )
        # rule 4: a room hosts one held session at a time
        for (a_id, a_time), (b_id, b_time) in combinations(
            [(sid, self._session_time(sid)) for sid in self.sessions], 2
        ):
            if self.sessions[a_id][1].room == self.sessions[b_id][1].room and _clash(
                a_time, b_time
            ):
                m.add(self._held(a_id) + self._held(b_id) <= 1)

    def _held(self, session_id: str) -> cp_model.LinearExprT:
        return self.v.used.get((session_id, 0), 0)

    def _teams(self, session_id: str) -> cp_model.LinearExprT:
        return sum(var for (sid, _k), var in self.v.used.items() if sid == session_id)

    def _facilitators(self) -> None:
        m = self.m
        for facilitator in self.sc.facilitators:
            busy = self._busy(facilitator.unavailable, facilitator.weekly_unavailable)
            for session_id in self.sessions:
                var = m.new_bool_var(f"lead[{facilitator.id},{session_id}]")
                self.v.lead[facilitator.id, session_id] = var
                m.add(var <= self._held(session_id))
                if _clash(busy, self._session_time(session_id)):
                    self._forbid(var)
            self._facilitator_load(facilitator)
        for session_id, (activity, _session) in self.sessions.items():
            per = activity.teams_per_facilitator
            if per > 0:
                leads = sum(self.v.lead[f.id, session_id] for f in self.sc.facilitators)
                m.add(per * leads >= self._teams(session_id))

    def _facilitator_load(self, facilitator: Facilitator) -> None:
        runs = {sid: self.v.lead[facilitator.id, sid] for sid in self.sessions}
        for a, b in combinations(runs, 2):
            if _clash(self._session_time(a), self._session_time(b)):
                self.m.add(runs[a] + runs[b] <= 1)
        if facilitator.max_sessions is not None:
            self.m.add(sum(runs.values()) <= facilitator.max_sessions)

    def _placements(self) -> None:
        m = self.m
        max_km = self.sc.policy.max_travel_km
        by_slot: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for student in self.sc.students:
            requirement = requirement_of(self.sc, student)
            if requirement is None or requirement.count == 0:
                continue
            mine = []
            for slot in self.sc.slots:
                if slot.profession != student.profession:
                    continue
                site = self.sites[slot.site]
                var = m.new_bool_var(f"place[{student.id},{slot.id}]")
                self.v.place[student.id, slot.id] = var
                by_slot[slot.id].append(var)
                mine.append((var, site))
                tenths = travel_tenths(student.home, site.location)
                if (
                    slot.status == "declined"
                    or (slot.language is not None and slot.language not in student.languages)
                    or (student.travel_mode == "transit" and not site.transit_accessible)
                    or (student.needs_accessible and not site.accessible)
                    or (max_km is not None and student.home is not None and tenths / 10 > max_km)
                    or not self._credentials_cover(student, site, slot)
                ):
                    self._forbid(var)
            held = sum(var for var, _ in mine)
            full = m.new_bool_var(f"full[{student.id}]")
            m.add(held <= requirement.count - 1 + full)  # rule 7: at most `count`
            m.add(held >= requirement.count * full)
            for tag, minimum in requirement.tags.items():
                tagged = sum(var for var, site in mine if tag in site.tags)
                m.add(tagged >= minimum * full)
        for slot in self.sc.slots:
            if by_slot[slot.id]:
                m.add(sum(by_slot[slot.id]) <= slot.capacity)

    def _credentials_cover(self, student: Student, site: Site, slot: Slot) -> bool:
        """Every credential the site and slot require is valid on every date of the period:
        status valid, issued on/before and expiring after the date (date by date)."""
        period = next(p for p in self.sc.periods if p.id == slot.period)
        days = (period.end - period.start).days + 1
        for code in {*site.required_credentials, *slot.required_credentials}:
            for day in (period.start + timedelta(days=d) for d in range(days)):
                if not any(
                    c.code == code
                    and c.status == "valid"
                    and (c.issued is None or c.issued <= day)
                    and (c.expires is None or day < c.expires)
                    for c in student.credentials
                ):
                    return False
        return True

    def _student_time(self) -> None:
        """Rule 2: no item against own busy time or calendars, no two items that clash."""
        for student in self.sc.students:
            busy = self._student_busy(student)
            items: list[tuple[cp_model.LinearExprT, list[Interval]]] = []
            for session_id in self.sessions:
                here = [
                    v
                    for (sid, sess, _k), v in self.v.attend.items()
                    if sid == student.id and sess == session_id
                ]
                if here:
                    items.append((sum(here), self._session_time(session_id)))
            for (sid, slot_id), var in self.v.place.items():
                if sid == student.id:
                    items.append((var, self._slot_time(slot_id)))
            for expr, occupied in items:
                if _clash(busy, occupied):
                    self.m.add(expr == 0)
            for (a, a_time), (b, b_time) in combinations(items, 2):
                if _clash(a_time, b_time):
                    self.m.add(a + b <= 1)

    def _pins(self) -> None:
        for pin in self.sc.policy.pinned:
            if pin.session is not None:
                here = [
                    v
                    for (sid, sess, _k), v in self.v.attend.items()
                    if sid == pin.student and sess == pin.session
                ]
                if here:
                    self.m.add(sum(here) == 1)
                else:
                    self._impossible()
            if pin.slot is not None:
                var = self.v.place.get((pin.student, pin.slot))
                if var is not None:
                    self.m.add(var == 1)
                else:
                    self._impossible()

    def _impossible(self) -> None:
        """A pin no schedule can keep (not an option of its student at all)."""
        never = self.m.new_bool_var("impossible_pin")
        self.m.add(never == 1)
        self.m.add(never == 0)

    # -- objectives (docs/objectives.md)

    def attended(self, student_id: str, session_id: str) -> cp_model.LinearExprT:
        return sum(
            v
            for (sid, sess, _k), v in self.v.attend.items()
            if sid == student_id and sess == session_id
        )

    def _objectives(self) -> None:
        m = self.m
        students = {s.id: s for s in self.sc.students}
        slots = {s.id: s for s in self.sc.slots}
        self.levels["coverage"] = sum(self.v.attend.values()) + sum(self.v.place.values())
        self.scale["coverage"] = 1
        rank = {}
        tenths = {}
        for sid, slot_id in self.v.place:
            prefs = students[sid].site_preferences
            site = slots[slot_id].site
            rank[sid, slot_id] = prefs.index(site) + 1 if site in prefs else len(prefs) + 1
            tenths[sid, slot_id] = travel_tenths(students[sid].home, self.sites[site].location)
        self.levels["preferences"] = sum(rank[k] * v for k, v in self.v.place.items())
        self.scale["preferences"] = 1
        worst = m.new_int_var(0, max(tenths.values(), default=0), "worst_travel")
        for key, var in self.v.place.items():
            m.add(worst >= tenths[key] * var)
        self.levels["travel_fairness"] = worst
        self.scale["travel_fairness"] = 0.1
        self.levels["travel_total"] = sum(tenths[k] * v for k, v in self.v.place.items())
        self.scale["travel_total"] = 0.1
        self.levels["team_balance"] = self._team_balance()
        self.scale["team_balance"] = 1
        self.levels["equity_gap"] = self._equity_gap(tenths)
        self.scale["equity_gap"] = 0.001
        if self.sc.policy.previous is not None:
            self.levels["stability"] = self._stability()
            self.scale["stability"] = 1

    def _team_balance(self) -> cp_model.LinearExprT:
        m = self.m
        spreads = []
        for session_id, (activity, _session) in self.sessions.items():
            teams = [k for (sid, k) in self.v.used if sid == session_id]
            if not teams:
                continue
            top = activity.team.max_size
            largest = m.new_int_var(0, top, f"largest[{session_id}]")
            smallest = m.new_int_var(0, top, f"smallest[{session_id}]")
            for k in teams:
                size = sum(
                    v
                    for (_s, sess, kk), v in self.v.attend.items()
                    if sess == session_id and kk == k
                )
                used = self.v.used[session_id, k]
                m.add(largest >= size).only_enforce_if(used)
                m.add(smallest <= size).only_enforce_if(used)
            spread = m.new_int_var(0, top, f"spread[{session_id}]")
            m.add(spread >= largest - smallest)
            spreads.append(spread)
        return sum(spreads)

    def _equity_gap(self, tenths: dict[tuple[str, str], int]) -> cp_model.LinearExprT:
        m = self.m
        needing = [
            s
            for s in self.sc.students
            if (r := requirement_of(self.sc, s)) is not None and r.count >= 1
        ]
        travel = {
            s.id: sum(tenths[k] * v for k, v in self.v.place.items() if k[0] == s.id)
            for s in needing
        }
        groups: dict[tuple[str, bool, object], list[str]] = defaultdict(list)
        for student in needing:
            for name, value in student.attributes.items():
                groups[name, isinstance(value, bool), value].append(student.id)
        n = len(needing)
        total = sum(travel.values())
        eligible = [
            g
            for g in groups.values()
            if len(g) >= EQUITY_MIN_GROUP and n - len(g) >= EQUITY_MIN_GROUP
        ]
        if not eligible:
            return 0
        ceiling = 100 * n * (sum(tenths.values()) + 1)
        worst = m.new_int_var(0, ceiling, "worst_gap_m")
        for members in eligible:
            g, r = len(members), n - len(members)
            gap = n * sum(travel[s] for s in members) - g * total
            m.add(worst * g * r >= 100 * gap)
            m.add(worst * g * r >= -100 * gap)
        return worst

    def _stability(self) -> cp_model.LinearExprT:
        """docs/objectives.md `stability`, counted over the scenario's students."""
        m = self.m
        previous = self.sc.policy.previous
        assert previous is not None
        students = {s.id for s in self.sc.students}
        before: dict[tuple[str, str], set[str]] = defaultdict(set)
        for entry in previous.sessions:
            for team in entry.teams:
                for sid in team.students:
                    before[sid, entry.activity].add(entry.session)
        changes: list[cp_model.LinearExprT] = []
        pairs = set(before) | {
            (sid, self.sessions[sess][0].id) for (sid, sess, _k) in self.v.attend
        }
        for sid, activity_id in sorted(pairs):
            if sid not in students:
                continue
            was = before.get((sid, activity_id), set())
            mine = [sess for sess, (a, _s) in self.sessions.items() if a.id == activity_id]
            now_any = sum(self.attended(sid, sess) for sess in mine)
            if not was:
                changes.append(now_any)
            elif len(was) == 1 and next(iter(was)) in mine:
                changes.append(1 - self.attended(sid, next(iter(was))))
            else:
                changes.append(1)
        held_before: dict[str, set[str]] = defaultdict(set)
        for placement in previous.placements:
            held_before[placement.student].add(placement.slot)
        for student in self.sc.students:
            old = held_before.get(student.id, set())
            lost = sum(
                1 - self.v.place[student.id, s] if (student.id, s) in self.v.place else 1
                for s in old
            )
            gained = sum(
                v for (sid, s), v in self.v.place.items() if sid == student.id and s not in old
            )
            if not old and isinstance(gained, int):
                continue
            change = m.new_int_var(0, len(self.sc.slots) + len(old), f"moves[{student.id}]")
            m.add(change >= lost)
            m.add(change >= gained)
            changes.append(change)
        return sum(changes)

    # -- solve

    def solve(self, level_seconds: float) -> ReferenceResult | None:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 1
        solver.parameters.max_time_in_seconds = level_seconds
        values: dict[str, float] = {}
        levels = [n for n in dict.fromkeys(self.sc.policy.objectives) if n in self.levels]
        solved = False
        for name in [*levels, None]:
            if name is not None and isinstance(self.levels[name], int):
                values[name] = round(self.levels[name] * self.scale[name], 6)
                continue
            if name is None and solved:
                break
            if name is None:  # no level needed a search: any schedule keeping every rule
                self.m.clear_objective()
            elif name in MAXIMISED:
                self.m.maximize(self.levels[name])
            else:
                self.m.minimize(self.levels[name])
            status = solver.solve(self.m)
            if status == cp_model.INFEASIBLE:
                return ReferenceResult("infeasible")
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or (
                name is not None and status != cp_model.OPTIMAL
            ):
                return None
            solved = True
            if name is None:
                break
            best = int(round(solver.objective_value))
            values[name] = round(best * self.scale[name], 6)
            self.m.add(self.levels[name] == best)
            self._hint(solver)
        return ReferenceResult("optimal", values, self._schedule(solver))

    def _hint(self, solver: cp_model.CpSolver) -> None:
        self.m.clear_hints()
        for var in [
            *self.v.attend.values(),
            *self.v.used.values(),
            *self.v.place.values(),
            *self.v.lead.values(),
        ]:
            self.m.add_hint(var, solver.value(var))

    def _schedule(self, solver: cp_model.CpSolver) -> Schedule:
        """The optimum as an `ipe-schedule/1` document (reasons left empty)."""
        entries = []
        attended: set[tuple[str, str]] = set()
        for session_id, (activity, _session) in self.sessions.items():
            teams = []
            for (sid, k), used in sorted(self.v.used.items(), key=lambda kv: kv[0][1]):
                if sid != session_id or not solver.value(used):
                    continue
                members = [
                    st
                    for (st, sess, kk), v in self.v.attend.items()
                    if sess == session_id and kk == k and solver.value(v)
                ]
                attended.update((st, activity.id) for st in members)
                teams.append(Team(id=f"T{k + 1}", students=members))
            if teams:
                leads = [
                    f.id
                    for f in self.sc.facilitators
                    if solver.value(self.v.lead[f.id, session_id])
                ]
                entries.append(
                    SessionAssignment(
                        session=session_id, activity=activity.id, facilitators=leads, teams=teams
                    )
                )
        placements = [
            Placement(student=sid, slot=slot_id)
            for (sid, slot_id), v in self.v.place.items()
            if solver.value(v)
        ]
        unassigned = []
        for activity in self.sc.activities:
            for student in self.sc.students:
                takes_part = any(
                    _selects(student, p.profession, p.cohort) for p in activity.participants
                )
                if takes_part and (student.id, activity.id) not in attended:
                    unassigned.append(Unassigned(student=student.id, activity=activity.id))
        for student in self.sc.students:
            requirement = requirement_of(self.sc, student)
            if requirement is None:
                continue
            held = sum(1 for p in placements if p.student == student.id)
            for _ in range(requirement.count - held):
                unassigned.append(
                    Unassigned(student=student.id, requirement=requirement_key(requirement))
                )
        return Schedule(
            term=self.sc.term.id,
            status="optimal",
            sessions=entries,
            placements=placements,
            unassigned=unassigned,
        )


def solve_reference(
    scenario: Scenario, level_seconds: float = LEVEL_SECONDS
) -> ReferenceResult | None:
    """The true lexicographic optimum of a tiny, validated scenario, or None when a level
    could not be proven within `level_seconds`."""
    reference = _Reference(scenario)
    reference.build()
    return reference.solve(level_seconds)
