"""The `clerkship` family of generated terms: medical students' rotations with plans.

Shaped after the medical-student-scheduling instances (Akbarzadeh and Maenhout 2021,
Zanazzo et al. 2024), written from their description, not their data: a horizon of
two-week blocks; disciplines with a rotation length of one to four blocks; hospitals
offering some disciplines (a *ward*); a ward lists one slot per possible start block, whose
period spans the rotation (periods overlap); each student's plan (core disciplines, an
elective choice, precedences, at most three rotations per hospital, sometimes a largest
gap); cardinal scores for disciplines and hospitals with a weight per student; a few
blocks a student is away; an emergency ward that needs a qualification.

A ward's capacity is per start (the contract's slots), not per block across starts.
Imports only the standard library and `scheduler.domain`.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from scheduler.domain.plans import ElectiveGroup, Precedence, StudentPlan, StudentScores
from scheduler.domain.scenario import (
    GeoPoint,
    Interval,
    Period,
    PlacementRequirement,
    Policy,
    Profession,
    Scenario,
    Site,
    Slot,
    Student,
    Term,
)
from scheduler.domain.scenario import WeeklyWindow as Weekly

BLOCK_DAYS = 14
BLOCKS = 16
START = date(2027, 1, 11)
CORE: dict[str, int] = {"IMED": 3, "SURG": 3, "PED": 2, "OBGYN": 2, "PSYCH": 1, "FAMMED": 2}
"""Core disciplines and their rotation length in blocks."""
ELECTIVE: dict[str, int] = {"NEURO": 1, "EMERG": 1, "RAD": 1, "ANES": 1}
PRECEDENCES = (("IMED", "NEURO"), ("SURG", "ANES"), ("IMED", "EMERG"))
QUALIFICATION = "ACLS"
SEAT_MARGIN = 1.35
OBJECTIVES = ["coverage", "worst_satisfaction", "scores", "compactness"]
WEEKDAY_WINDOWS = [
    Weekly(day=d, start="08:00", end="17:00") for d in ("mon", "tue", "wed", "thu", "fri")
]


def generate_clerkship(
    *, students: int, seed: int, term_start: date = START, weeks: int = 2 * BLOCKS
) -> Scenario:
    """A valid clerkship term with `students` students, fixed by `seed`. The year is always
    `BLOCKS` two-week blocks from `START`: `term_start` and `weeks` (the family hook's
    other keywords) do not change it."""
    rng = random.Random(seed)
    end = START + timedelta(days=BLOCKS * BLOCK_DAYS - 1)
    hospitals = _hospitals(rng, max(3, min(8, math.ceil(students / 20))))
    roster = [_student(rng, i, hospitals) for i in range(students)]
    wards = _wards(rng, hospitals)
    periods = {}
    slots = []
    for hospital, discipline in wards:
        length = {**CORE, **ELECTIVE}[discipline]
        needing = sum(1 for s in roster if s.plan is not None and discipline in s.plan.disciplines)
        offering = sum(1 for _, d in wards if d == discipline)
        starts = BLOCKS - length + 1
        capacity = max(1, math.ceil(needing / offering / starts * SEAT_MARGIN))
        requires = (
            [QUALIFICATION] if discipline == "EMERG" and hospital.id == hospitals[0].id else []
        )
        for start in range(starts):
            period = _period(start, length)
            periods[period.id] = period
            slots.append(
                Slot(
                    id=f"{hospital.id}-{discipline}-{period.id}",
                    site=hospital.id,
                    period=period.id,
                    profession="MED",
                    capacity=capacity,
                    status="confirmed",
                    discipline=discipline,
                    requires=requires or None,
                )
            )
    return Scenario(
        term=Term(
            id=f"gen-{students}-{seed}-clerkship",
            name=f"Synthetic clerkship year ({students} students, seed {seed})",
            start=START,
            end=end,
            timezone="America/Toronto",
        ),
        professions=[Profession(code="MED", name="Medicine")],
        students=roster,
        sites=hospitals,
        periods=sorted(periods.values(), key=lambda p: (p.start, p.end, p.id)),
        slots=slots,
        placement_requirements=[PlacementRequirement(profession="MED", count=1)],
        policy=Policy(objectives=list(OBJECTIVES)),
    )


def _hospitals(rng: random.Random, count: int) -> list[Site]:
    return [
        Site(
            id=f"HOSP{i + 1}",
            name=f"Teaching hospital {i + 1}",
            location=GeoPoint(
                lat=45.4 + rng.uniform(-0.3, 0.3), lon=-75.7 + rng.uniform(-0.3, 0.3)
            ),
            transit_accessible=True,
            accessible=True,
        )
        for i in range(count)
    ]


def _wards(rng: random.Random, hospitals: list[Site]) -> list[tuple[Site, str]]:
    """Every hospital offers most disciplines; every discipline is offered by two or more."""
    wards = []
    for discipline in [*CORE, *ELECTIVE]:
        offering = [h for h in hospitals if rng.random() < 0.75]
        if len(offering) < 2:
            offering = rng.sample(hospitals, 2)
        wards += [(h, discipline) for h in offering]
    return wards


def _period(start: int, length: int) -> Period:
    first = START + timedelta(days=start * BLOCK_DAYS)
    last = first + timedelta(days=length * BLOCK_DAYS - 1)
    return Period(id=f"B{start + 1:02d}x{length}", start=first, end=last, weekly=WEEKDAY_WINDOWS)


def _student(rng: random.Random, index: int, hospitals: list[Site]) -> Student:
    core = sorted(rng.sample(sorted(CORE), rng.randint(4, 5)), key=list(CORE).index)
    among = sorted(rng.sample(sorted(ELECTIVE), 3))
    choose = rng.choice((1, 1, 2))
    disciplines = set(core) | set(among)
    precedences = [
        Precedence(before=b, after=a)
        for b, a in PRECEDENCES
        if b in disciplines and a in disciplines
    ]
    plan = StudentPlan(
        required=core,
        electives=[ElectiveGroup(choose=choose, among=among)],
        precedences=precedences,
        max_per_site=3,
        max_gap_days=2 * BLOCK_DAYS if rng.random() < 0.25 else None,
    )
    scores = StudentScores(
        sites={h.id: rng.randint(0, 5) for h in rng.sample(hospitals, min(2, len(hospitals)))},
        disciplines={d: rng.randint(1, 5) for d in rng.sample(sorted(disciplines), 3)},
    )
    away = []
    if rng.random() < 0.2:
        block = rng.randrange(BLOCKS)
        first = START + timedelta(days=block * BLOCK_DAYS)
        away.append(
            Interval.model_validate(
                {"start": f"{first}T00:00", "end": f"{first + timedelta(days=BLOCK_DAYS)}T00:00"}
            )
        )
    return Student(
        id=f"med{index + 1:04d}",
        name=f"Clerk {index + 1}",
        email=f"med{index + 1:04d}@example.edu",
        profession="MED",
        unavailable=away,
        plan=plan,
        qualifications=[QUALIFICATION] if rng.random() < 0.7 else None,
        scores=scores,
        score_weight=rng.randint(1, 3),
    )
