"""A coordinator's views of one schedule version: by session (teams and professions), by
site and period, by student, and the unmet needs with their explanations.

Built from the stored schedule and the term's scenario as it is now (slot statuses
included), through the coordinator-scoped `versions.get_version`. Every view names
students, so each is an audited read of the term's student records, like the exports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.tables import UserRow
from scheduler.domain.scenario import Scenario, WeeklyWindow
from scheduler.domain.schedule import Reason, Schedule
from scheduler.domain.week_grids import WeekGrids, week_grids
from scheduler.services import term_rows
from scheduler.services.reports import Coverage, coverage, total_coverage
from scheduler.services.versions import get_version, version_schedule
from scheduler.services.views import TermView, VersionView, View, version_view


class Member(View):
    id: str
    name: str
    profession: str


class TeamBlock(View):
    id: str
    members: list[Member]


class SessionBlock(View):
    """One session with its room, facilitators and teams (students with profession)."""

    session: str
    activity: str
    start: datetime
    end: datetime
    room: str
    facilitators: list[str]
    teams: list[TeamBlock]


class SlotBlock(View):
    slot: str
    profession: str
    capacity: int
    status: str
    students: list[Member]


class PeriodBlock(View):
    period: str
    start: date
    end: date
    weekly: list[WeeklyWindow]
    slots: list[SlotBlock]


class SiteBlock(View):
    site: str
    name: str
    address: str | None = None
    periods: list[PeriodBlock]


class StudentLine(View):
    """One student: what they attend, where they are placed, how many needs are unmet."""

    id: str
    name: str
    profession: str
    cohort: str | None
    sessions: list[str]
    placements: list[str]
    unmet: int


class UnmetLine(View):
    """One unmet need with the reasons the explainer gave for it."""

    student: str
    name: str
    profession: str
    need: str
    reasons: list[Reason]


class UnmetGroup(View):
    """Many unmet needs with one cause, in a sentence."""

    message: str
    needs: int
    students: int


class VersionSummary(View):
    """The page header of every view: the term, the version and its coverage."""

    term: TermView
    version: VersionView
    coverage: list[Coverage]
    total: Coverage
    professions: dict[str, str]


class _Loaded:
    """A version's schedule with the scenario, looked up once per view."""

    def __init__(self, scenario: Scenario, schedule: Schedule) -> None:
        self.scenario, self.schedule = scenario, schedule
        self.students = {s.id: s for s in scenario.students}
        self.sessions = {s.id: s for a in scenario.activities for s in a.sessions}
        self.activities = {a.id: a.name for a in scenario.activities}

    def member(self, student_id: str) -> Member:
        student = self.students[student_id]
        return Member(id=student.id, name=student.name, profession=student.profession)


def _load(session: Session, actor: UserRow, term_id: int, version_id: int, via: str) -> _Loaded:
    """The version and the term's scenario now; an audited read of its student records."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    repositories.term_students(session, actor, term, via=f"web.version.{via}")
    return _Loaded(term_rows.current_scenario(session, term), version_schedule(version))


def summary(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, term: TermView
) -> VersionSummary:
    """Version, coverage per activity and placements, and profession names for badges."""
    found_term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    scenario = term_rows.stored_scenario(found_term)
    lines = coverage(scenario, version_schedule(version))
    return VersionSummary(
        term=term,
        version=version_view(version),
        coverage=lines,
        total=total_coverage(lines),
        professions={p.code: p.name for p in scenario.professions},
    )


def by_session(
    session: Session, *, actor: UserRow, term_id: int, version_id: int
) -> list[SessionBlock]:
    """Sessions in time order, each with its teams and their members' professions."""
    loaded = _load(session, actor, term_id, version_id, "by_session")
    rooms = {r.id: r.name for r in loaded.scenario.rooms}
    facilitators = {f.id: f.name for f in loaded.scenario.facilitators}
    blocks = [
        SessionBlock(
            session=entry.session,
            activity=loaded.activities.get(entry.activity, entry.activity),
            start=loaded.sessions[entry.session].start,
            end=loaded.sessions[entry.session].end,
            room=rooms.get(loaded.sessions[entry.session].room, ""),
            facilitators=[facilitators.get(f, f) for f in entry.facilitators],
            teams=[
                TeamBlock(id=team.id, members=[loaded.member(s) for s in team.students])
                for team in entry.teams
            ],
        )
        for entry in loaded.schedule.sessions
    ]
    return sorted(blocks, key=lambda b: (b.start, b.session))


def by_week(session: Session, *, actor: UserRow, term_id: int, version_id: int) -> WeekGrids:
    """Weekly utilisation of each site or unit, and where each student is each week."""
    loaded = _load(session, actor, term_id, version_id, "by_week")
    return week_grids(loaded.scenario, loaded.schedule)


def by_site(session: Session, *, actor: UserRow, term_id: int, version_id: int) -> list[SiteBlock]:
    """Sites by name, their periods by date, and who holds each slot."""
    loaded = _load(session, actor, term_id, version_id, "by_site")
    holders: dict[str, list[Member]] = defaultdict(list)
    for placement in loaded.schedule.placements:
        holders[placement.slot].append(loaded.member(placement.student))
    periods = {p.id: p for p in loaded.scenario.periods}
    slots_by: dict[tuple[str, str], list[SlotBlock]] = defaultdict(list)
    for slot in loaded.scenario.slots:
        slots_by[(slot.site, slot.period)].append(
            SlotBlock(
                slot=slot.id,
                profession=slot.profession,
                capacity=slot.capacity,
                status=slot.status,
                students=sorted(holders.get(slot.id, []), key=lambda m: m.name),
            )
        )
    return [
        SiteBlock(
            site=site.id,
            name=site.name,
            address=site.address,
            periods=[
                PeriodBlock(
                    period=p.id, start=p.start, end=p.end, weekly=p.weekly, slots=slots_by[key]
                )
                for p in sorted(periods.values(), key=lambda p: p.start)
                if (key := (site.id, p.id)) in slots_by
            ],
        )
        for site in sorted(loaded.scenario.sites, key=lambda s: s.name)
    ]


def by_student(
    session: Session, *, actor: UserRow, term_id: int, version_id: int
) -> list[StudentLine]:
    """Every student of the term, with sessions, placements and unmet needs counted."""
    loaded = _load(session, actor, term_id, version_id, "by_student")
    attends: dict[str, list[str]] = defaultdict(list)
    for entry in sorted(loaded.schedule.sessions, key=lambda e: loaded.sessions[e.session].start):
        start = loaded.sessions[entry.session].start
        label = f"{loaded.activities.get(entry.activity, entry.activity)} {start:%d %b %H:%M}"
        for team in entry.teams:
            for student in team.students:
                attends[student].append(f"{label} ({team.id})")
    slots = {s.id: s for s in loaded.scenario.slots}
    sites = {s.id: s.name for s in loaded.scenario.sites}
    periods = {p.id: (p.start, p.end) for p in loaded.scenario.periods}
    placed: dict[str, list[str]] = defaultdict(list)
    ordered = sorted(
        loaded.schedule.placements, key=lambda p: periods.get(slots[p.slot].period, ())
    )
    for p in ordered:  # in time order: a student's rotations read as their sequence
        slot = slots[p.slot]
        what = f" {slot.discipline}" if slot.discipline else ""  # extension: student plans
        placed[p.student].append(f"{sites.get(slot.site, slot.site)}{what} ({slot.period})")
    unmet = Counter(e.student for e in loaded.schedule.unassigned)
    return [
        StudentLine(
            id=s.id,
            name=s.name,
            profession=s.profession,
            cohort=s.cohort,
            sessions=attends[s.id],
            placements=placed[s.id],
            unmet=unmet[s.id],
        )
        for s in sorted(loaded.scenario.students, key=lambda s: (s.name, s.id))
    ]


def unmet_needs(
    session: Session, *, actor: UserRow, term_id: int, version_id: int, via: str = "unmet"
) -> tuple[list[UnmetGroup], list[UnmetLine]]:
    """Groups of unmet needs by shared cause, then every unmet need with its full reasons
    (a compact schedule's shared reasons resolved)."""
    loaded = _load(session, actor, term_id, version_id, via)
    explanations = loaded.schedule.metrics.get("explanations", {})
    groups = [
        UnmetGroup(
            message=str(g.get("message", "")),
            needs=int(g.get("needs", 0)),
            students=int(g.get("students", 0)),
        )
        for g in explanations.get("groups", [])
        if isinstance(g, dict)
    ]
    lines = [
        UnmetLine(
            student=e.student,
            name=loaded.students[e.student].name,
            profession=loaded.students[e.student].profession,
            need=_need(loaded, e.activity, e.requirement),
            reasons=loaded.schedule.reasons_of(e),
        )
        for e in loaded.schedule.unassigned
    ]
    return groups, sorted(lines, key=lambda line: (line.need, line.name))


def _need(loaded: _Loaded, activity: str | None, requirement: str | None) -> str:
    """An activity by name, or "placements (REQUIREMENT)"."""
    if activity:
        return loaded.activities.get(activity, activity)
    return f"placements ({requirement})" if requirement else "placements"
