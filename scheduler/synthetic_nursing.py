"""The `nursing-trust` family: a hospital trust's nursing placements in weekly blocks.

Shaped after nursing placement programmes (and the open-source NHS placement optimiser's
data): hospitals with wards (units) tagged by speciality; four-week blocks starting on
nine different weeks, so blocks overlap and share each ward's weekly capacity, which
differs by year of study; each student holds three blocks that do not overlap; second-
and third-years carry the placements of earlier years (history); on terms of 20 students
or more a few wards need a student every week (`min_fill`). Nothing in it forces
diversity: only the `distinct_sites` and `distinct_tags` levels spread a student over
wards and specialities.

Fixed by the seed like every family. Imports only the standard library, `scheduler.domain`
and `scheduler.synthetic` (names).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from scheduler.domain.scenario import (
    GeoPoint,
    HistoryPlacement,
    Period,
    PlacementRequirement,
    Policy,
    Profession,
    Scenario,
    Site,
    Slot,
    Student,
    Term,
    Unit,
    WeeklyCapacity,
)
from scheduler.domain.scenario import WeeklyWindow as Weekly
from scheduler.synthetic import (
    CITY,
    FIRST_NAMES,
    LAST_NAMES,
    PLACE_NAMES,
    TIMEZONE,
    require_weeks,
)

SPECIALITIES = (
    "medical",
    "surgical",
    "paediatrics",
    "maternity",
    "mental-health",
    "critical-care",
    "elderly-care",
    "emergency",
    "orthopaedics",
    "community",
)
YEARS = ("y1", "y2", "y3")
BLOCK_WEEKS = 4
BLOCKS_PER_YEAR = 3
STUDENTS_PER_WARD = 6
"""Wards per term: one per six students (at least four); with 4-6 students a week per
ward, weekly seats are about what the students' active weeks need (some weeks are
over-subscribed), and a year's 2-3 seats a week let a student stay on one ward."""
BLOCK_STARTS = (0, 1, 2, 5, 6, 7, 10, 11, 12)
"""Week of the term each block starts in."""
WARDS_PER_HOSPITAL = 10
ON_SITE = [
    Weekly(day=day, start="07:30", end="15:30")  # type: ignore[arg-type]
    for day in ("mon", "tue", "wed", "thu")
]
OBJECTIVES = ["coverage", "distinct_sites", "distinct_tags", "preferences", "travel_total"]


def generate_nursing_trust(
    *, students: int, seed: int, term_start: date = date(2027, 1, 11), weeks: int = 16
) -> Scenario:
    """A valid nursing-trust term with `students` students (a third per year)."""
    require_weeks(weeks)
    rng = random.Random(seed)
    start = term_start - timedelta(days=term_start.weekday())
    end = start + timedelta(weeks=weeks, days=-3)
    wards = max(4, math.ceil(students / STUDENTS_PER_WARD))
    sites = _hospitals(rng, wards, fill=students >= 20)
    periods = _blocks(start, weeks)
    return Scenario(
        term=Term(
            id=f"gen-{students}-{seed}-nursing-trust",
            name=f"Synthetic nursing trust term ({students} students, seed {seed})",
            start=start,
            end=end,
            timezone=TIMEZONE,
        ),
        professions=[Profession(code="NURS", name="Nursing")],
        students=[_student(rng, i, sites, start) for i in range(students)],
        sites=sites,
        periods=periods,
        slots=_slots(sites, periods),
        placement_requirements=[
            PlacementRequirement(profession="NURS", cohort=year, count=BLOCKS_PER_YEAR, tags=tags)
            for year, tags in zip(YEARS, ({}, {"community": 1}, {"mental-health": 1}), strict=True)
        ],
        policy=Policy(time_limit_s=30, objectives=list(OBJECTIVES)),  # type: ignore[arg-type]
        weekly_capacities=_capacities(rng, sites),
    )


def _hospitals(rng: random.Random, wards: int, *, fill: bool) -> list[Site]:
    """Hospitals of up to ten wards each, every ward tagged with one speciality; with
    `fill`, about one ward in ten needs a student every week."""
    count = math.ceil(wards / WARDS_PER_HOSPITAL)
    sites = []
    for h in range(count):
        size = min(WARDS_PER_HOSPITAL, wards - h * WARDS_PER_HOSPITAL)
        units = [
            Unit(
                id=f"W{w + 1:02d}",
                name=f"Ward {w + 1} ({speciality})",
                tags=[speciality],
                min_fill=1 if rng.random() < 0.1 and fill else None,
            )
            for w in range(size)
            for speciality in [SPECIALITIES[(h * 3 + w) % len(SPECIALITIES)]]
        ]
        lat = CITY[0] + rng.uniform(-0.25, 0.25)
        lon = CITY[1] - rng.uniform(0.0, 0.3)
        sites.append(
            Site(
                id=f"H{h + 1:02d}",
                name=f"{PLACE_NAMES[h % len(PLACE_NAMES)]} Hospital",
                location=GeoPoint(lat=round(lat, 4), lon=round(lon, 4)),
                tags=["acute"],
                units=units,
            )
        )
    return sites


def _blocks(start: date, weeks: int) -> list[Period]:
    """Four-week blocks starting in the weeks of `BLOCK_STARTS` that fit the term; blocks
    overlapping in time clash (same on-site days), so a student's three do not overlap."""
    periods = []
    for number, first in enumerate(BLOCK_STARTS):
        if first + BLOCK_WEEKS > weeks:
            continue
        monday = start + timedelta(weeks=first)
        periods.append(
            Period(
                id=f"B{number + 1}",
                start=monday,
                end=monday + timedelta(weeks=BLOCK_WEEKS, days=-3),
                weekly=list(ON_SITE),
            )
        )
    return periods


def _slots(sites: list[Site], periods: list[Period]) -> list[Slot]:
    """A slot per ward and block (the weekly capacities are what binds)."""
    return [
        Slot(
            id=f"{site.id}-{unit.id}-{period.id}",
            site=site.id,
            unit=unit.id,
            period=period.id,
            profession="NURS",
            capacity=3,
            status="confirmed",
        )
        for site in sites
        for unit in site.units
        for period in periods
    ]


def _capacities(rng: random.Random, sites: list[Site]) -> list[WeeklyCapacity]:
    """Per ward: students a week by year (2-3 each) and in all (4-6)."""
    rows = []
    for site in sites:
        for unit in site.units:
            by_year = [rng.randint(2, 3) for _ in YEARS]
            for year, cap in zip(YEARS, by_year, strict=True):
                rows.append(WeeklyCapacity(site=site.id, unit=unit.id, cohort=year, capacity=cap))
            total = rng.randint(max(by_year) + 1, min(6, sum(by_year)))
            rows.append(WeeklyCapacity(site=site.id, unit=unit.id, capacity=total))
    return rows


def _student(rng: random.Random, index: int, sites: list[Site], start: date) -> Student:
    year = YEARS[index % len(YEARS)]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    ranked = rng.sample([s.id for s in sites], k=min(len(sites), rng.randint(0, 2)))
    return Student(
        id=f"s{index + 1:04d}",
        name=f"{first} {last}",
        email=f"s{index + 1:04d}@example.edu",
        profession="NURS",
        cohort=year,
        home=GeoPoint(
            lat=round(CITY[0] + rng.uniform(-0.3, 0.3), 4),
            lon=round(CITY[1] - rng.uniform(0.0, 0.35), 4),
        ),
        languages=["en"],
        site_preferences=ranked,
        history=_history(rng, YEARS.index(year) * BLOCKS_PER_YEAR, sites, start),
    )


def _history(rng: random.Random, count: int, sites: list[Site], start: date) -> list:
    """`count` earlier placements of four weeks, one per block of earlier years."""
    items = []
    for k in range(count):
        site = rng.choice(sites)
        unit = rng.choice(site.units)
        years_back = (count - 1 - k) // BLOCKS_PER_YEAR + 1
        begin = start - timedelta(weeks=52 * years_back - 5 * (k % BLOCKS_PER_YEAR))
        items.append(
            HistoryPlacement(
                site=site.id,
                unit=unit.id,
                tags=list(unit.tags),
                start=begin,
                end=begin + timedelta(weeks=BLOCK_WEEKS, days=-3),
            )
        )
    return items
