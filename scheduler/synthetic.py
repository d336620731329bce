"""Synthetic but realistic IPE terms: for demos, fixtures, benchmarks and scale tests.

Real scenarios hold student records, so none can ship with the project. This module builds
terms with the shape and the difficulty of a real consortium term instead: six professions
in realistic shares, program calendars and personal busy time, three IPE activities with
different team rules, and clinical placements whose weekly hours clash with some sessions,
so that sessions and placements must be solved together.

Every random draw comes from one `random.Random(seed)`: the same arguments always give the
same scenario, byte for byte once dumped with `scenario_to_json`. Imports only the standard
library and `scheduler.domain`. The weekly plan is laid out for a 16-week spring term that
crosses the March DST change; other lengths are scaled onto it.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from scheduler.domain.scenario import (
    Activity,
    Facilitator,
    GeoPoint,
    Interval,
    Participant,
    Period,
    PlacementRequirement,
    Policy,
    Profession,
    ProfessionLimit,
    ProgramCalendar,
    Room,
    Scenario,
    Session,
    Site,
    Slot,
    Student,
    TeamRule,
    Term,
)
from scheduler.domain.scenario import WeeklyWindow as Weekly
from scheduler.domain.scenario_types import WEEKDAYS, Weekday, clock_minutes
from scheduler.domain.weeks import without_unused_extensions

TIMEZONE = "America/New_York"
DESIGN_WEEKS = 16
CITY = (42.36, -71.06)  # Boston; homes and sites lie around it
COAST_LON = -70.95  # east of this is the Atlantic: points are mirrored back inland
MAX_TRAVEL_KM = 60.0

ProfessionShare = tuple[str, str, float]
PROFESSIONS: tuple[ProfessionShare, ...] = (
    ("NURS", "Nursing", 0.38),
    ("PT", "Physical therapy", 0.16),
    ("OT", "Occupational therapy", 0.14),
    ("SLP", "Speech-language pathology", 0.12),
    ("PA", "Physician assistant studies", 0.14),
    ("GC", "Genetic counseling", 0.06),
)
CODES = tuple(code for code, _, _ in PROFESSIONS)
SENIOR, JUNIOR = "2027", "2028"  # graduating cohort, first-year cohort
COHORTS = (SENIOR, JUNIOR)

Window = tuple[Weekday, str, str]

# Didactic time. Classes sit mostly on Mon/Wed, the consortium's shared didactic days, so
# that Tue/Thu/Fri stay free for placements; first-year PT and PA (who are not placed) have
# classes on clinical days too.
CLASS_TIMES: dict[tuple[str, str | None], tuple[Window, ...]] = {
    ("NURS", SENIOR): (("mon", "08:00", "12:00"), ("wed", "08:00", "12:00")),
    ("NURS", JUNIOR): (("mon", "13:00", "16:00"), ("wed", "13:00", "16:00")),
    ("PT", SENIOR): (("mon", "09:00", "12:00"), ("wed", "09:00", "12:00")),
    ("PT", JUNIOR): (("tue", "09:00", "12:00"), ("thu", "09:00", "12:00")),
    ("OT", SENIOR): (("mon", "09:00", "12:00"), ("wed", "13:00", "16:00")),
    ("OT", JUNIOR): (
        ("mon", "09:00", "12:00"),
        ("wed", "09:00", "12:00"),
        ("fri", "09:00", "12:00"),
    ),
    ("SLP", SENIOR): (("mon", "13:00", "16:00"), ("wed", "13:00", "16:00")),
    ("SLP", JUNIOR): (("mon", "09:00", "12:00"), ("wed", "09:00", "12:00")),
    ("PA", SENIOR): (("wed", "08:00", "12:00"),),
    ("PA", JUNIOR): tuple((day, "08:00", "12:00") for day in ("mon", "tue", "wed", "thu")),
    ("GC", None): (("mon", "13:00", "16:00"), ("wed", "09:00", "12:00")),
}
EXAM_WEEKS = (8, 16)  # midterm and final weeks; exams are on didactic days
EXAM_TIMES = (("08:00", "12:00"), ("13:00", "17:00"))

# Placement blocks: (id, first week, last week, weekly hours on site). Thursday mornings only
# in P1 leave the Thursday afternoon TBL sessions free; Fridays in the later blocks clash
# with the Friday simulation sessions, so the two must be decided jointly.
FULL_DAY = ("07:30", "15:30")
BlockPlan = tuple[str, int, int, tuple[Window, ...]]
TWO_BLOCKS: tuple[BlockPlan, ...] = (
    ("P1", 2, 7, (("tue", *FULL_DAY), ("thu", "07:30", "12:00"))),
    ("P2", 9, 14, (("tue", *FULL_DAY), ("thu", *FULL_DAY), ("fri", *FULL_DAY))),
)
THREE_BLOCKS: tuple[BlockPlan, ...] = (
    ("P1", 2, 6, (("tue", *FULL_DAY), ("thu", "07:30", "12:00"))),
    ("P2", 7, 11, (("tue", *FULL_DAY), ("fri", *FULL_DAY))),
    ("P3", 12, 16, (("thu", *FULL_DAY), ("fri", *FULL_DAY))),
)

# (profession, cohort, count, tag minimums): first-year PT, OT and PA are not placed.
RequirementPlan = tuple[str, str | None, int, dict[str, int]]
REQUIREMENTS: tuple[RequirementPlan, ...] = (
    ("NURS", None, 2, {"underserved": 1}),
    ("PT", SENIOR, 1, {}),
    ("OT", SENIOR, 1, {}),
    ("SLP", None, 1, {"pediatric": 1}),
    ("PA", SENIOR, 2, {"community": 1}),
    ("GC", None, 1, {}),
)


@dataclass(frozen=True)
class ActivityPlan:
    """An IPE activity before sizing: who attends, team rule, and its weekly time slots."""

    id: str
    name: str
    participants: tuple[tuple[str, str | None], ...]
    team: TeamRule
    teams_per_facilitator: int
    typical_size: float  # expected team size, to turn participants into teams
    teams_per_session: int  # nominal max_teams of one room
    times: tuple[tuple[int, Weekday, str, str], ...]  # (design week, day, start, end)


def _times(
    weeks: Sequence[int], slots: Sequence[Window]
) -> tuple[tuple[int, Weekday, str, str], ...]:
    return tuple((week, day, start, end) for week in weeks for day, start, end in slots)


# Different activities never share a weekday or week range, so no student can be booked
# into two overlapping sessions; sessions of one activity run in parallel rooms.
ACTIVITIES: tuple[ActivityPlan, ...] = (
    ActivityPlan(
        id="TBL1",
        name="Team-based learning: roles and responsibilities",
        participants=tuple((code, JUNIOR) for code in CODES),
        team=TeamRule(
            min_size=5, max_size=8, min_professions=4, professions={"NURS": ProfessionLimit(min=1)}
        ),
        teams_per_facilitator=3,
        typical_size=6.5,
        teams_per_session=12,
        times=_times((3, 4, 5), (("thu", "13:00", "15:00"), ("thu", "15:30", "17:30"))),
    ),
    ActivityPlan(
        id="SIM",
        name="Simulation: the deteriorating patient",
        participants=tuple((code, SENIOR) for code in ("NURS", "PA", "PT", "OT")),
        team=TeamRule(
            min_size=4,
            max_size=6,
            min_professions=3,
            professions={"NURS": ProfessionLimit(min=1, max=2)},
        ),
        teams_per_facilitator=2,
        typical_size=5.0,
        teams_per_session=4,
        times=_times((6, 7, 8, 9), (("fri", "09:00", "12:00"), ("fri", "13:00", "16:00"))),
    ),
    ActivityPlan(
        id="ETHICS",
        name="Ethics case conference",
        participants=tuple((code, None) for code in CODES),
        team=TeamRule(min_size=6, max_size=8, min_professions=3),
        teams_per_facilitator=2,
        typical_size=7.0,
        teams_per_session=8,
        times=_times((11, 12, 13, 14), (("tue", "17:00", "19:00"), ("wed", "17:00", "19:00"))),
    ),
)


@dataclass(frozen=True)
class Family:
    """The shape of a generated term: calendars, blocks, activities and how much slack
    seats, sessions and facilitators have. `DEFAULT` is the project's own term; other
    families (`scheduler.synthetic_families`) stress one thing each, for benchmarks."""

    name: str
    summary: str
    class_times: dict[tuple[str, str | None], tuple[Window, ...]]
    block_choices: tuple[tuple[BlockPlan, ...], ...]
    activities: tuple[ActivityPlan, ...]
    seat_margin: tuple[float, float] = (1.25, 1.45)
    """Usable placement seats per seat needed (drawn per profession and tag)."""
    session_margin: tuple[float, float] = (1.35, 1.55)
    """Team places in sessions per team needed (drawn per activity)."""
    facilitator_share: float = 1.4
    """Facilitator-sessions offered (about 6 per facilitator) per facilitator-session needed."""
    facilitator_floor: bool = True
    """At least one facilitator per 40 students, whatever the sessions need."""
    spare_rooms: float = 0.2
    builder: Callable[..., Scenario] | None = None
    """A family of another shape builds its whole term (`scheduler.synthetic_nursing`,
    `scheduler.synthetic_clerkship`) instead of the shape above: called with the keywords
    students, seed, term_start and weeks, and checks them itself."""


DEFAULT = Family(
    name="default",
    summary="the project's own term: classes Mon/Wed, 2-3 clinical blocks, three IPE activities",
    class_times=CLASS_TIMES,
    block_choices=(TWO_BLOCKS, THREE_BLOCKS),
    activities=ACTIVITIES,
)

FIRST_NAMES = (
    "Aaliyah", "Adebayo", "Aisha", "Alejandro", "Amara", "Ana", "Andre", "Anh", "Ariel",
    "Beatriz", "Bianca", "Caleb", "Camila", "Chen", "Chloe", "Daniel", "Darius", "Deepa",
    "Diego", "Elena", "Emeka", "Emily", "Esther", "Fatima", "Gabriel", "Grace", "Hana",
    "Hassan", "Imani", "Isabel", "Jamal", "Jasmine", "Javier", "Jia", "Jordan", "Kai",
    "Kenji", "Lena", "Lucas", "Luis", "Maya", "Mei", "Miguel", "Nadia", "Noah", "Olivia",
    "Omar", "Priya", "Rafael", "Riya", "Rosa", "Samuel", "Sofia", "Tariq", "Thanh", "Tomas",
    "Valentina", "Wei", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Alvarez", "Bauer", "Brennan", "Castillo", "Chowdhury", "Costa", "Delgado",
    "Dubois", "Eriksen", "Ferreira", "Fitzgerald", "Gallagher", "Garcia", "Haddad", "Huang",
    "Ibrahim", "Jean-Baptiste", "Kaplan", "Kim", "Kowalski", "Lambert", "Le", "Lopez",
    "Mahoney", "Medeiros", "Mensah", "Morales", "Nakamura", "Nguyen", "Novak", "Okafor",
    "Oliveira", "Osei", "Patel", "Pereira", "Pierre", "Quinn", "Ramirez", "Reyes", "Rossi",
    "Sandoval", "Santos", "Schmidt", "Shah", "Silva", "Sullivan", "Tanaka", "Thompson",
    "Torres", "Tran", "Vasquez", "Walsh", "Wang", "Williams", "Wong", "Yilmaz", "Zhang",
)  # fmt: skip
PLACE_NAMES = (
    "Arlington", "Back Bay", "Beacon", "Bridgewater", "Brookside", "Cedar Hill", "Charles River",
    "Commonwealth", "Eastgate", "Elm Park", "Fairview", "Fenway", "Greenfield", "Harbor",
    "Highland", "Lakeside", "Maple Grove", "Merrimack", "Mystic Valley", "Neponset", "Northgate",
    "Oak Ridge", "Pine Hill", "Riverside", "Seaport", "South Shore", "Summit", "Westfield",
    "Willow Brook", "Worthington",
)  # fmt: skip
ROOM_BUILDINGS = ("Health Sciences Hall", "Simulation Center", "Learning Commons")

# Personal weekly commitments: mostly evening and weekend jobs, a few daytime ones.
EVENING_SHIFTS: tuple[Window, ...] = (
    ("mon", "17:00", "22:00"),
    ("tue", "18:00", "23:00"),
    ("wed", "18:00", "23:00"),
    ("thu", "17:00", "22:00"),
    ("fri", "17:00", "23:00"),
    ("sat", "08:00", "16:00"),
    ("sat", "12:00", "20:00"),
    ("sun", "08:00", "16:00"),
    ("sun", "10:00", "18:00"),
)
DAY_SHIFTS: tuple[Window, ...] = (
    ("mon", "12:00", "17:00"),
    ("wed", "12:00", "17:00"),
    ("fri", "12:00", "17:00"),
    ("thu", "16:00", "21:00"),
)
FACULTY_BUSY: tuple[Window, ...] = (
    ("mon", "08:00", "17:00"),
    ("tue", "16:00", "20:00"),
    ("wed", "16:00", "20:00"),
    ("thu", "12:00", "18:00"),
    ("fri", "08:00", "12:00"),
    ("fri", "12:00", "17:00"),
)
EXTRA_LANGUAGES = (("es", 0.15), ("pt", 0.04), ("zh", 0.04), ("ht", 0.03))
SITE_LANGUAGES = (("es", 0.4), ("pt", 0.1), ("zh", 0.1), ("ht", 0.1))


@dataclass(frozen=True)
class SiteKind:
    """A kind of clinical partner: how it is named, tagged and which programs it hosts."""

    weight: float
    suffixes: tuple[str, ...]
    tags: tuple[str, ...]
    optional_tags: tuple[tuple[str, float], ...]
    professions: tuple[str, ...]


SITE_KINDS: tuple[SiteKind, ...] = (
    SiteKind(
        0.25,
        ("Medical Center", "General Hospital", "Hospital"),
        ("acute",),
        (("pediatric", 0.3), ("underserved", 0.3), ("outpatient", 0.3)),
        CODES,
    ),
    SiteKind(
        0.30,
        ("Community Health Center", "Family Health Center"),
        ("community", "outpatient"),
        (("underserved", 0.7), ("pediatric", 0.2)),
        ("NURS", "PA", "SLP", "GC"),
    ),
    SiteKind(
        0.15,
        ("Rehabilitation Hospital", "Rehab Center"),
        ("rehab",),
        (("outpatient", 0.6), ("pediatric", 0.2)),
        ("PT", "OT", "SLP", "NURS"),
    ),
    SiteKind(
        0.12,
        ("Children's Clinic", "Pediatric Therapy Center"),
        ("pediatric", "outpatient"),
        (("community", 0.4), ("underserved", 0.3)),
        ("SLP", "OT", "PT", "NURS", "GC"),
    ),
    SiteKind(
        0.18,
        ("Outpatient Clinic", "Specialty Clinic"),
        ("outpatient",),
        (("community", 0.3),),
        ("PA", "PT", "GC", "NURS"),
    ),
)


@dataclass(frozen=True)
class TermCalendar:
    """Maps the 16-week design plan onto the actual term dates."""

    start: date
    weeks: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=7 * self.weeks - 1)

    def week(self, design_week: int) -> int:
        """The actual week (1-based) for a week of the 16-week plan."""
        scaled = round(design_week * self.weeks / DESIGN_WEEKS)
        return max(1, min(self.weeks, scaled))

    def day(self, design_week: int, weekday: Weekday) -> date:
        """The date of `weekday` in the (scaled) week."""
        monday = self.start + timedelta(days=7 * (self.week(design_week) - 1))
        return monday + timedelta(days=(WEEKDAYS.index(weekday) - monday.weekday()) % 7)

    def at(self, design_week: int, weekday: Weekday, clock: str) -> datetime:
        return _at(self.day(design_week, weekday), clock)


def _at(day: date, clock: str) -> datetime:
    minutes = clock_minutes(clock)
    return datetime.combine(day, time()) + timedelta(minutes=minutes)


@dataclass
class StudentDraft:
    """A student before site preferences, which need the sites and slots first."""

    id: str
    name: str
    email: str
    profession: str
    cohort: str
    travel_mode: Literal["car", "transit"]
    home: tuple[float, float] | None
    languages: list[str]
    needs: list[str]
    weekly: list[Weekly] = field(default_factory=list)
    unavailable: list[Interval] = field(default_factory=list)
    attributes: dict[str, str | bool | int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionPlan:
    """Sized sessions of one activity, with the team count they are expected to hold."""

    plan: ActivityPlan
    needed_teams: int
    sessions: tuple[tuple[datetime, datetime, int], ...]  # (start, end, max_teams)


def require_weeks(weeks: int) -> None:
    """The weekly plan (class calendars, blocks, nursing blocks) spans 12 weeks or more."""
    if weeks < 12:
        raise ValueError("the weekly plan needs a term of at least 12 weeks")


def generate_term(
    *,
    students: int,
    seed: int,
    term_start: date = date(2027, 1, 11),
    weeks: int = 16,
    family: Family = DEFAULT,
) -> Scenario:
    """A complete, valid `ipe-scenario/1` term with `students` students, fixed by `seed`
    (and `family`: the default family gives the same term as before families existed)."""
    if students < 1:
        raise ValueError("students must be at least 1")
    if family.builder is not None:  # a family with its own generator
        return family.builder(students=students, seed=seed, term_start=term_start, weeks=weeks)
    require_weeks(weeks)
    rng = random.Random(seed)
    calendar = TermCalendar(term_start, weeks)
    drafts = _draft_students(rng, students, calendar)
    program_calendars = _program_calendars(rng, calendar, family)
    periods = _periods(rng, calendar, family)
    requirements = [
        PlacementRequirement(profession=code, cohort=cohort, count=count, tags=tags)
        for code, cohort, count, tags in REQUIREMENTS
    ]
    sites, offers = _sites(rng, students)
    slots = _slots(rng, drafts, sites, offers, periods, program_calendars, family)
    roster = _finish_students(rng, drafts, sites, slots)
    plans = [_plan_sessions(rng, plan, drafts, calendar, family) for plan in family.activities]
    rooms, activities = _rooms_and_activities(rng, plans, family)
    suffix = "" if family.name == DEFAULT.name else f"-{family.name}"
    shape = "" if family.name == DEFAULT.name else f", {family.name}"
    return Scenario(
        term=Term(
            id=f"gen-{students}-{seed}{suffix}",
            name=f"Synthetic spring term ({students} students, seed {seed}{shape})",
            start=calendar.start,
            end=calendar.end,
            timezone=TIMEZONE,
        ),
        professions=[Profession(code=code, name=name) for code, name, _ in PROFESSIONS],
        students=roster,
        program_calendars=program_calendars,
        rooms=rooms,
        facilitators=_facilitators(rng, students, plans, calendar, family),
        activities=activities,
        sites=sites,
        periods=periods,
        slots=slots,
        placement_requirements=requirements,
        policy=Policy(max_travel_km=MAX_TRAVEL_KM),
    )


def scenario_to_json(scenario: Scenario) -> str:
    """Pretty `ipe-scenario/1` JSON; optional fields left unset are omitted, not null."""
    data = without_unused_extensions(scenario.model_dump(mode="json", exclude_none=True))
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# Students ------------------------------------------------------------------------------


def quotas(total: int, shares: Sequence[float]) -> list[int]:
    """Split `total` by `shares` with largest remainders, so small terms keep the mix."""
    raw = [total * share / sum(shares) for share in shares]
    counts = [math.floor(value) for value in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _draft_students(rng: random.Random, total: int, calendar: TermCalendar) -> list[StudentDraft]:
    """Students in exact profession shares, shuffled so ids do not reveal the profession."""
    professions = [
        code
        for code, count in zip(CODES, quotas(total, [s for _, _, s in PROFESSIONS]), strict=True)
        for _ in range(count)
    ]
    rng.shuffle(professions)
    width = max(4, len(str(total)))
    return [
        _draft_student(rng, f"S{number:0{width}d}", number, code, calendar)
        for number, code in enumerate(professions, start=1)
    ]


def _draft_student(
    rng: random.Random, student_id: str, number: int, code: str, calendar: TermCalendar
) -> StudentDraft:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    handle = f"{first}.{last}".lower().replace("-", "")
    languages = ["en"] + [lang for lang, share in EXTRA_LANGUAGES if rng.random() < share]
    draft = StudentDraft(
        id=student_id,
        name=f"{first} {last}",
        email=f"{handle}.{number}@students.example.edu",
        profession=code,
        cohort=rng.choice(COHORTS),
        travel_mode="transit" if rng.random() < 0.25 else "car",
        home=_near_city(rng, 0.15) if rng.random() < 0.96 else None,
        languages=languages,
        needs=["accessible"] if rng.random() < 0.02 else [],
    )
    draft.attributes = {
        "first_generation": rng.random() < 0.3,
        "rural_origin": rng.random() < 0.15,
    }
    if rng.random() < 0.4:
        draft.weekly = _work_shifts(rng)
    if rng.random() < 0.2:
        draft.unavailable = [_one_off(rng, calendar) for _ in range(rng.randint(1, 2))]
    return draft


def _near_city(rng: random.Random, spread: float) -> tuple[float, float]:
    """A point scattered around the city, mirrored off the ocean."""
    lat = CITY[0] + rng.gauss(0, spread)
    lon = CITY[1] + rng.gauss(0, spread * 1.3)
    return _on_land(lat, lon)


def _on_land(lat: float, lon: float) -> tuple[float, float]:
    if lon > COAST_LON:
        lon = 2 * COAST_LON - lon
    return round(lat, 4), round(lon, 4)


def _work_shifts(rng: random.Random) -> list[Weekly]:
    """One to three job shifts on different days: evenings and weekends, rarely daytime."""
    shifts: dict[str, Window] = {}
    for _ in range(rng.randint(1, 3)):
        pool = DAY_SHIFTS if rng.random() < 0.08 else EVENING_SHIFTS
        day, start, end = rng.choice(pool)
        shifts.setdefault(day, (day, start, end))
    return [Weekly(day=day, start=start, end=end) for day, start, end in shifts.values()]


def _one_off(rng: random.Random, calendar: TermCalendar) -> Interval:
    """An appointment, a family weekend or a short trip somewhere in the term."""
    days = 7 * calendar.weeks
    day = calendar.start + timedelta(days=rng.randrange(days))
    kind = rng.random()
    if kind < 0.3:
        start = _at(day, f"{rng.randint(8, 15):02d}:00")
        return Interval(start=start, end=start + timedelta(hours=rng.randint(1, 3)))
    if kind < 0.7:
        start = _at(day, "18:00")
        return Interval(start=start, end=start + timedelta(hours=4))
    length = min(rng.randint(1, 3), (calendar.end - day).days + 1)
    start = _at(day, "00:00")
    return Interval(start=start, end=start + timedelta(days=length))


def _finish_students(
    rng: random.Random, drafts: list[StudentDraft], sites: list[Site], slots: list[Slot]
) -> list[Student]:
    """Students with ranked site preferences, for those who need placements."""
    offering: dict[str, list[Site]] = defaultdict(list)
    by_id = {site.id: site for site in sites}
    for code in CODES:
        offered = sorted({s.site for s in slots if s.profession == code and s.status != "declined"})
        offering[code] = [by_id[site_id] for site_id in offered]
    grids = {code: SiteGrid(found) for code, found in offering.items()}
    placed = {(code, cohort) for code, cohort, count, _ in REQUIREMENTS if count > 0}
    roster = []
    for draft in drafts:
        wants = (draft.profession, draft.cohort) in placed or (draft.profession, None) in placed
        ranked = _preferences(rng, draft, grids[draft.profession]) if wants else []
        roster.append(_student(draft, ranked))
    return roster


def _student(draft: StudentDraft, preferences: list[str]) -> Student:
    home = GeoPoint(lat=draft.home[0], lon=draft.home[1]) if draft.home else None
    return Student(
        id=draft.id,
        name=draft.name,
        email=draft.email,
        profession=draft.profession,
        cohort=draft.cohort,
        unavailable=draft.unavailable,
        weekly_unavailable=draft.weekly,
        travel_mode=draft.travel_mode,
        home=home,
        languages=draft.languages,
        needs=draft.needs,
        site_preferences=preferences,
        attributes=draft.attributes,
    )


class SiteGrid:
    """Sites bucketed in 0.05-degree cells, so nearby sites are found without a full scan."""

    CELL = 0.05

    def __init__(self, sites: list[Site]) -> None:
        self.sites = sites
        self.cells: dict[tuple[int, int], list[Site]] = defaultdict(list)
        for site in sites:
            self.cells[self._cell(site.location.lat, site.location.lon)].append(site)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.CELL), math.floor(lon / self.CELL)

    def near(self, lat: float, lon: float, wanted: int) -> list[Site]:
        """At least `wanted` sites (or all) from the rings of cells around the point."""
        if len(self.sites) <= wanted:
            return list(self.sites)
        row, col = self._cell(lat, lon)
        found: list[Site] = []
        radius = 0
        while len(found) < wanted:
            for r in range(row - radius, row + radius + 1):
                for c in range(col - radius, col + radius + 1):
                    if max(abs(r - row), abs(c - col)) == radius:
                        found.extend(self.cells.get((r, c), ()))
            radius += 1
        return found


def _preferences(rng: random.Random, draft: StudentDraft, grid: SiteGrid) -> list[str]:
    """Three to five sites, mostly close to home and reachable, with some personal noise."""
    if not grid.sites:
        return []
    lat, lon = draft.home or CITY
    candidates = grid.near(lat, lon, 10)
    cos_lat = math.cos(math.radians(lat))

    def score(site: Site) -> float:
        km = 111.0 * math.hypot(site.location.lat - lat, (site.location.lon - lon) * cos_lat)
        if draft.travel_mode == "transit" and not site.transit_accessible:
            km += 20
        if draft.needs and not site.accessible:
            km += 50
        return km * rng.lognormvariate(0, 0.35)

    ranked = [site.id for site in sorted(candidates, key=score)]
    chosen = ranked[: rng.randint(3, 5)]
    if len(grid.sites) > len(chosen) and rng.random() < 0.15:
        dream = rng.choice(grid.sites).id  # a well-known site across town
        if dream not in chosen:
            chosen[-1] = dream
    return chosen


# Calendars and periods -----------------------------------------------------------------


def _program_calendars(
    rng: random.Random, calendar: TermCalendar, family: Family
) -> list[ProgramCalendar]:
    """Weekly class time plus a midterm and a final exam day per program."""
    result = []
    for (code, cohort), windows in family.class_times.items():
        exams = []
        for week in EXAM_WEEKS:
            day: Weekday = rng.choice(("mon", "wed"))
            start, end = rng.choice(EXAM_TIMES)
            exams.append(
                Interval(start=calendar.at(week, day, start), end=calendar.at(week, day, end))
            )
        result.append(
            ProgramCalendar(
                profession=code,
                cohort=cohort,
                unavailable=exams,
                weekly_unavailable=[Weekly(day=d, start=s, end=e) for d, s, e in windows],
            )
        )
    return result


def _periods(rng: random.Random, calendar: TermCalendar, family: Family) -> list[Period]:
    """The family's placement blocks (by default two or three), each Monday of its first
    week to Friday of its last."""
    blocks = rng.choice(family.block_choices)
    return [
        Period(
            id=block_id,
            start=calendar.day(first, "mon"),
            end=calendar.day(last, "fri"),
            weekly=[Weekly(day=d, start=s, end=e) for d, s, e in windows],
        )
        for block_id, first, last, windows in blocks
    ]


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _weekly_clash(period: Period, windows: list[Weekly]) -> bool:
    return any(
        w.day == p.day
        and _overlap(
            clock_minutes(w.start),
            clock_minutes(w.end),
            clock_minutes(p.start),
            clock_minutes(p.end),
        )
        for p in period.weekly
        for w in windows
    )


def _interval_clash(period: Period, busy: Interval) -> bool:
    """True when the interval overlaps the period's on-site hours on any date."""
    day = max(busy.start.date(), period.start)
    while day <= period.end and _at(day, "00:00") < busy.end:
        for window in period.weekly:
            if WEEKDAYS[day.weekday()] == window.day:
                start, end = _at(day, window.start), _at(day, window.end)
                if busy.start < end and start < busy.end:
                    return True
        day += timedelta(days=1)
    return False


def period_fits(period: Period, program: ProgramCalendar) -> bool:
    """True when a program's students can be on site for the whole period."""
    if _weekly_clash(period, program.weekly_unavailable):
        return False
    return not any(_interval_clash(period, busy) for busy in program.unavailable)


def _open_periods(
    code: str, cohorts: set[str], periods: list[Period], programs: list[ProgramCalendar]
) -> list[Period]:
    """Periods that no class or exam of the placed cohorts of a profession clashes with."""
    relevant = [
        p for p in programs if p.profession == code and (p.cohort is None or p.cohort in cohorts)
    ]
    return [period for period in periods if all(period_fits(period, p) for p in relevant)]


# Sites and slots -----------------------------------------------------------------------


def _sites(rng: random.Random, students: int) -> tuple[list[Site], dict[str, list[str]]]:
    """Partner sites around the city and which professions each one hosts."""
    count = max(6, round(students / 15))
    sites: list[Site] = []
    offers: dict[str, list[str]] = {}
    names: Counter[str] = Counter()
    width = max(3, len(str(count)))
    for number in range(1, count + 1):
        kind = rng.choices(SITE_KINDS, weights=[k.weight for k in SITE_KINDS])[0]
        site = _site(rng, f"SITE{number:0{width}d}", kind, names)
        sites.append(site)
        offers[site.id] = _pick_professions(rng, kind.professions, rng.randint(1, 3))
    _ensure_hosts(rng, sites, offers)
    return sites, offers


def _site(rng: random.Random, site_id: str, kind: SiteKind, names: Counter[str]) -> Site:
    outer = rng.random() < 0.3
    if outer:  # suburbs and rural towns, inland (west) of the city
        angle, radius = rng.uniform(math.pi / 2, 3 * math.pi / 2), rng.uniform(0.25, 0.5)
        lat, lon = _on_land(CITY[0] + radius * math.sin(angle), CITY[1] + radius * math.cos(angle))
    else:
        lat, lon = _near_city(rng, 0.12)
    tags = list(kind.tags) + [tag for tag, share in kind.optional_tags if rng.random() < share]
    if outer and math.hypot(lat - CITY[0], lon - CITY[1]) > 0.35:
        tags.append("rural")
        if "underserved" not in tags and rng.random() < 0.5:
            tags.append("underserved")
    base = f"{rng.choice(PLACE_NAMES)} {rng.choice(kind.suffixes)}"
    names[base] += 1  # a second campus of the same network is numbered
    name = base if names[base] == 1 else f"{base} {names[base]}"
    languages = ["en"] + [lang for lang, share in SITE_LANGUAGES if rng.random() < share]
    return Site(
        id=site_id,
        name=name,
        location=GeoPoint(lat=lat, lon=lon),
        transit_accessible=rng.random() < (0.25 if outer else 0.75),
        accessible=rng.random() < 0.8,
        tags=sorted(set(tags)),
        languages=languages,
    )


def _pick_professions(rng: random.Random, pool: Sequence[str], wanted: int) -> list[str]:
    """Up to `wanted` professions of `pool`, the larger programs more often."""
    share = {code: s for code, _, s in PROFESSIONS}
    keyed = sorted(pool, key=lambda code: rng.random() ** (1 / share[code]), reverse=True)
    return sorted(keyed[:wanted], key=CODES.index)


def _ensure_hosts(rng: random.Random, sites: list[Site], offers: dict[str, list[str]]) -> None:
    """Each placed profession gets three host sites, also among the sites of each required
    tag: students rank 3-5 sites, and a tag minimum equal to the count confines them there."""
    for code, _, _, tags in REQUIREMENTS:
        for tag in [None, *tags]:
            wanted = min(3, len(sites))
            hosts = [s for s in sites if code in offers[s.id] and (tag is None or tag in s.tags)]
            while len(hosts) < wanted:
                host = _new_host(rng, sites, offers, code, tag)
                offers[host.id] = sorted({*offers[host.id], code}, key=CODES.index)
                hosts.append(host)


def _new_host(
    rng: random.Random, sites: list[Site], offers: dict[str, list[str]], code: str, tag: str | None
) -> Site:
    """A site not yet hosting `code` with `tag`: one already tagged if any, else one retagged."""
    pool = [s for s in sites if code not in offers[s.id] or (tag and tag not in s.tags)]
    tagged = [s for s in pool if tag is None or tag in s.tags]
    if tagged:
        return rng.choice(tagged)
    site = rng.choice(pool)
    index = sites.index(site)
    sites[index] = site.model_copy(update={"tags": sorted({*site.tags, str(tag)})})
    return sites[index]


@dataclass
class SlotMaker:
    """Creates slots for one profession, rotating over its open periods to keep them even."""

    rng: random.Random
    code: str
    periods: list[Period]
    slots: list[Slot]
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    turn: int = 0

    def add_until(self, hosts: list[Site], seats: int, goal: int) -> int:
        """Add slots until `goal` usable seats, one at each host first, so every host offers
        seats; then more at bigger sites. Returns the seats reached."""
        first_round = self.rng.sample(hosts, len(hosts))
        weights = [_site_size(site) for site in hosts]
        while seats < goal:
            site = first_round.pop() if first_round else self.rng.choices(hosts, weights)[0]
            period = self.periods[self.turn % len(self.periods)]
            self.turn += 1
            slot = self._slot(site, period)
            self.slots.append(slot)
            if slot.status != "declined":
                seats += slot.capacity
        return seats

    def _slot(self, site: Site, period: Period) -> Slot:
        key = f"{site.id}-{period.id}-{self.code}"
        self.counters[key] += 1
        draw = self.rng.random()
        status: Literal["offered", "confirmed", "declined"] = (
            "declined" if draw < 0.05 else "confirmed" if draw < 0.6 else "offered"
        )
        spanish = "es" in site.languages and self.rng.random() < 0.25
        return Slot(
            id=f"{key}-{self.counters[key]}",
            site=site.id,
            period=period.id,
            profession=self.code,
            capacity=self.rng.randint(1, 4),
            language="es" if spanish else None,
            status=status,
        )


def _slots(
    rng: random.Random,
    drafts: list[StudentDraft],
    sites: list[Site],
    offers: dict[str, list[str]],
    periods: list[Period],
    programs: list[ProgramCalendar],
    family: Family,
) -> list[Slot]:
    """Seats for the family's margin (by default 1.25-1.45x) of each profession's
    placement need, tagged seats first."""
    slots: list[Slot] = []
    for code, cohort, count, tags in REQUIREMENTS:
        placed = [d for d in drafts if d.profession == code and cohort in (None, d.cohort)]
        if not placed or count == 0:
            continue
        cohorts = {d.cohort for d in placed}
        open_periods = _open_periods(code, cohorts, periods, programs)
        hosts = [s for s in sites if code in offers[s.id]]
        maker = SlotMaker(rng, code, open_periods, slots)
        seats = 0
        for tag, minimum in tags.items():
            tagged = [s for s in hosts if tag in s.tags]
            goal = math.ceil(minimum * len(placed) * rng.uniform(*family.seat_margin))
            seats = maker.add_until(tagged, seats, goal)
        goal = math.ceil(count * len(placed) * rng.uniform(*family.seat_margin))
        maker.add_until(hosts, seats, goal)
    return sorted(slots, key=lambda s: (s.site, s.period, CODES.index(s.profession), s.id))


def _site_size(site: Site) -> int:
    """Hospitals offer the most seats, rehab centres some more than clinics."""
    return 3 if "acute" in site.tags else 2 if "rehab" in site.tags else 1


# Sessions, rooms, facilitators ---------------------------------------------------------


def _plan_sessions(
    rng: random.Random,
    plan: ActivityPlan,
    drafts: list[StudentDraft],
    calendar: TermCalendar,
    family: Family,
) -> SessionPlan:
    """Enough sessions for the family's margin (by default 1.35-1.55x) of the teams the
    participants need, spread over the slots."""
    selected = [
        d
        for d in drafts
        if any(d.profession == p and c in (None, d.cohort) for p, c in plan.participants)
    ]
    needed = _needed_teams(plan, selected)
    capacity = math.ceil(needed * rng.uniform(*family.session_margin))
    count = max(2, math.ceil(capacity / plan.teams_per_session))
    capacity = max(capacity, count)
    times = sorted(
        {
            (calendar.at(week, day, start), calendar.at(week, day, end))
            for week, day, start, end in plan.times
        }
    )
    sessions = []
    for index in range(count):
        slot = index * len(times) // count if count <= len(times) else index % len(times)
        start, end = times[slot]
        max_teams = capacity // count + (1 if index < capacity % count else 0)
        sessions.append((start, end, max_teams))
    return SessionPlan(plan=plan, needed_teams=needed, sessions=tuple(sorted(sessions)))


def _needed_teams(plan: ActivityPlan, selected: list[StudentDraft]) -> int:
    """Teams the participants need: by typical size, and by per-profession maximums."""
    needed = math.ceil(len(selected) / plan.typical_size)
    for code, limit in plan.team.professions.items():
        if limit.max:
            members = sum(1 for d in selected if d.profession == code)
            needed = max(needed, math.ceil(members / limit.max))
    return max(1, needed)


def _rooms_and_activities(
    rng: random.Random, plans: list[SessionPlan], family: Family
) -> tuple[list[Room], list[Activity]]:
    """Rooms for the busiest time slot plus spares; parallel sessions get distinct rooms."""
    if not plans:
        return [], []
    parallel: dict[tuple[datetime, datetime], int] = defaultdict(int)
    for sized in plans:
        for start, end, _ in sized.sessions:
            parallel[(start, end)] += 1
    busiest = max(parallel.values())
    rooms = _rooms(rng, busiest + max(1, math.ceil(busiest * family.spare_rooms)))
    activities = [_activity(rng, sized, rooms) for sized in plans]
    return rooms, activities


def _rooms(rng: random.Random, count: int) -> list[Room]:
    rooms = []
    for number in range(1, count + 1):
        building = ROOM_BUILDINGS[(number - 1) % len(ROOM_BUILDINGS)]
        floor, seq = divmod(number - 1, 20)
        rooms.append(
            Room(
                id=f"R{number:03d}",
                name=f"{building} {floor + 1}{seq + 1:02d}",
                accessible=number == 1 or rng.random() < 0.85,
            )
        )
    return rooms


def _activity(rng: random.Random, sized: SessionPlan, rooms: list[Room]) -> Activity:
    """Sessions of one activity, each time slot in its own sample of rooms."""
    by_time: dict[datetime, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for session in sized.sessions:
        by_time[session[0]].append(session)
    sessions = []
    for group in by_time.values():
        chosen = _room_sample(rng, rooms, len(group))
        for (start, end, max_teams), room in zip(group, chosen, strict=True):
            sessions.append((start, room.id, end, max_teams))
    sessions.sort()
    plan = sized.plan
    return Activity(
        id=plan.id,
        name=plan.name,
        participants=[Participant(profession=p, cohort=c) for p, c in plan.participants],
        team=plan.team,
        teams_per_facilitator=plan.teams_per_facilitator,
        sessions=[
            Session(id=f"{plan.id}-{n:03d}", start=start, end=end, room=room, max_teams=teams)
            for n, (start, room, end, teams) in enumerate(sessions, start=1)
        ],
    )


def _room_sample(rng: random.Random, rooms: list[Room], count: int) -> list[Room]:
    """Distinct rooms, at least one accessible so every student can attend some session."""
    chosen = rng.sample(rooms, count)
    if not any(room.accessible for room in chosen):
        chosen[0] = rooms[0]  # room 1 is always accessible and not in this sample
    return chosen


def _facilitators(
    rng: random.Random,
    students: int,
    plans: list[SessionPlan],
    calendar: TermCalendar,
    family: Family,
) -> list[Facilitator]:
    """Faculty for the family's share (by default 1.4x) of the expected facilitator-sessions,
    by default at least one per 40 students; none when there are no sessions."""
    if not plans:
        return []
    demand = 0
    for sized in plans:
        capacity = sum(teams for _, _, teams in sized.sessions)
        for _, _, teams in sized.sessions:
            expected = teams * sized.needed_teams / capacity
            demand += math.ceil(expected / sized.plan.teams_per_facilitator)
    floor = math.ceil(students / 40) if family.facilitator_floor else 0
    count = max(2, floor, math.ceil(family.facilitator_share * demand / 6))
    shares = [share for _, _, share in PROFESSIONS]
    codes = [c for c, n in zip(CODES, quotas(count, shares), strict=True) for _ in range(n)]
    rng.shuffle(codes)
    width = max(3, len(str(count)))
    return [_facilitator(rng, f"F{n:0{width}d}", code, calendar) for n, code in enumerate(codes, 1)]


def _facilitator(rng: random.Random, fid: str, code: str, calendar: TermCalendar) -> Facilitator:
    weekly: list[Weekly] = []
    if rng.random() < 0.35:
        picks = rng.sample(FACULTY_BUSY, rng.randint(1, 2))
        weekly = [Weekly(day=d, start=s, end=e) for d, s, e in picks]
    away: list[Interval] = []
    if rng.random() < 0.2:  # a conference or leave of a few days
        first = calendar.start + timedelta(days=rng.randrange(7 * calendar.weeks - 4))
        start = _at(first, "00:00")
        away = [Interval(start=start, end=start + timedelta(days=rng.randint(2, 4)))]
    return Facilitator(
        id=fid,
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        profession=code,
        unavailable=away,
        weekly_unavailable=weekly,
        max_sessions=rng.randint(4, 8),
    )
