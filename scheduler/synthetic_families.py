"""Benchmark families of generated terms: one shape each, to test the solver beyond one term.

The default family is the project's own term (`scheduler.synthetic.DEFAULT`). Every other
family changes one thing a real consortium may differ in: facilitators that cannot cover all
teams, clinical days against class days, placements only in overlapping blocks, many small
activities, one large activity, or seats and sessions with almost no slack. Each is fixed by
the seed like the default and passes the scenario checks. Imports only the standard library,
`scheduler.domain` and `scheduler.synthetic`.
"""

from __future__ import annotations

from dataclasses import replace

from scheduler.domain.scenario import ProfessionLimit, TeamRule
from scheduler.synthetic import (
    ACTIVITIES,
    CODES,
    DEFAULT,
    FULL_DAY,
    JUNIOR,
    SENIOR,
    ActivityPlan,
    BlockPlan,
    Family,
    Window,
    _times,
)
from scheduler.synthetic_clerkship import generate_clerkship
from scheduler.synthetic_nursing import generate_nursing_trust

FACILITATOR_BOUND = replace(
    DEFAULT,
    name="facilitator-bound",
    summary="the default term with facilitators for about 55 % of the teams' facilitator need",
    facilitator_share=0.55,
    facilitator_floor=False,
)

# Clinical days Tue/Thu; every class on Mon/Wed/Fri; IPE sessions on class days, around the
# classes; two six-week blocks of full clinical days.
CLINICAL_CLASS_TIMES: dict[tuple[str, str | None], tuple[Window, ...]] = {
    ("NURS", SENIOR): (("mon", "08:00", "12:00"), ("wed", "08:00", "12:00")),
    ("NURS", JUNIOR): (
        ("mon", "13:00", "16:00"),
        ("wed", "13:00", "16:00"),
        ("fri", "09:00", "12:00"),
    ),
    ("PT", SENIOR): (("mon", "09:00", "12:00"), ("fri", "09:00", "12:00")),
    ("PT", JUNIOR): (
        ("mon", "09:00", "12:00"),
        ("wed", "09:00", "12:00"),
        ("fri", "13:00", "16:00"),
    ),
    ("OT", SENIOR): (("wed", "13:00", "16:00"), ("fri", "09:00", "12:00")),
    ("OT", JUNIOR): (
        ("mon", "09:00", "12:00"),
        ("wed", "09:00", "12:00"),
        ("fri", "09:00", "12:00"),
    ),
    ("SLP", SENIOR): (("mon", "13:00", "16:00"), ("wed", "13:00", "16:00")),
    ("SLP", JUNIOR): (("mon", "09:00", "12:00"), ("wed", "09:00", "12:00")),
    ("PA", SENIOR): (("wed", "08:00", "12:00"), ("fri", "08:00", "12:00")),
    ("PA", JUNIOR): (
        ("mon", "08:00", "12:00"),
        ("wed", "08:00", "12:00"),
        ("fri", "08:00", "12:00"),
    ),
    ("GC", None): (("mon", "13:00", "16:00"), ("wed", "09:00", "12:00")),
}
CLINICAL_DAYS = ("tue", "thu")
CLINICAL_BLOCKS: tuple[BlockPlan, ...] = (
    ("P1", 2, 7, (("tue", *FULL_DAY), ("thu", *FULL_DAY))),
    ("P2", 9, 14, (("tue", *FULL_DAY), ("thu", *FULL_DAY))),
)
TBL, SIM, ETHICS = ACTIVITIES
CLINICAL_DAYS_FAMILY = replace(
    DEFAULT,
    name="clinical-days",
    summary="clinical days Tue/Thu, classes and IPE on Mon/Wed/Fri, two six-week blocks",
    class_times=CLINICAL_CLASS_TIMES,
    block_choices=(CLINICAL_BLOCKS,),
    activities=(
        replace(
            TBL, times=_times((3, 4, 5), (("mon", "16:00", "18:00"), ("wed", "16:00", "18:00")))
        ),
        replace(
            SIM,
            times=_times((4, 5, 10, 11), (("fri", "13:00", "16:00"), ("wed", "13:00", "16:00"))),
        ),
        replace(
            ETHICS,
            times=_times((12, 13, 15), (("mon", "17:00", "19:00"), ("wed", "17:00", "19:00"))),
        ),
    ),
)

# Placements only, in four blocks whose dates overlap: A and C share Tuesdays in weeks 8-9,
# B and D Fridays in weeks 11-12, C and D Thursdays; a student placed twice needs two blocks
# that do not clash (A+B, A+D or B+C).
OVERLAPPING_BLOCKS: tuple[BlockPlan, ...] = (
    ("A", 2, 9, (("tue", *FULL_DAY), ("thu", *FULL_DAY))),
    ("B", 5, 12, (("fri", *FULL_DAY),)),
    ("C", 8, 15, (("tue", *FULL_DAY), ("thu", "07:30", "12:00"))),
    ("D", 11, 16, (("thu", *FULL_DAY), ("fri", "13:00", "17:00"))),
)
OVERLAPPING_BLOCKS_FAMILY = replace(
    DEFAULT,
    name="overlapping-blocks",
    summary="placements only (no IPE activity), four blocks whose dates overlap",
    block_choices=(OVERLAPPING_BLOCKS,),
    activities=(),
)


def _small_activities() -> tuple[ActivityPlan, ...]:
    """Twelve activities of three professions and one cohort each, each in its own week."""
    evenings: tuple[Window, ...] = (
        ("tue", "17:00", "19:00"),
        ("wed", "17:00", "19:00"),
        ("thu", "17:30", "19:30"),
    )
    plans = []
    for k in range(12):
        codes = (CODES[k % 6], CODES[(k + 1) % 6], CODES[(k + 3) % 6])
        cohort = SENIOR if k % 2 == 0 else JUNIOR
        plans.append(
            ActivityPlan(
                id=f"SMALL{k + 1:02d}",
                name=f"Case seminar {k + 1}: {', '.join(codes)}",
                participants=tuple((code, cohort) for code in codes),
                team=TeamRule(min_size=3, max_size=5, min_professions=2),
                teams_per_facilitator=2,
                typical_size=4.0,
                teams_per_session=4,
                times=_times((2 + k,), evenings),
            )
        )
    return tuple(plans)


MANY_SMALL_ACTIVITIES = replace(
    DEFAULT,
    name="many-small-activities",
    summary="twelve small activities (three professions, one cohort, one week each)",
    activities=_small_activities(),
)

ONE_LARGE_ACTIVITY = replace(
    DEFAULT,
    name="one-large-activity",
    summary="one activity every student attends, large teams, twelve weekly evenings",
    activities=(
        ActivityPlan(
            id="GRAND",
            name="Interprofessional grand rounds",
            participants=tuple((code, None) for code in CODES),
            team=TeamRule(
                min_size=6,
                max_size=10,
                min_professions=4,
                professions={"NURS": ProfessionLimit(min=1)},
            ),
            teams_per_facilitator=2,
            typical_size=8.0,
            teams_per_session=10,
            times=_times(tuple(range(3, 15)), (("wed", "17:00", "19:00"),)),
        ),
    ),
)

TIGHT_SEATS = replace(
    DEFAULT,
    name="tight-seats",
    summary="the default term with 1.00-1.05x the placement seats and session places needed",
    seat_margin=(1.0, 1.05),
    session_margin=(1.0, 1.05),
    facilitator_share=1.1,
    spare_rooms=0.05,
)

NURSING_TRUST = replace(
    DEFAULT,
    name="nursing-trust",
    summary="nursing wards in weekly blocks: weekly capacity by year, history, specialities",
    builder=generate_nursing_trust,
)
CLERKSHIP = replace(
    DEFAULT,
    name="clerkship",
    summary="medical clerkships: student plans of rotations (1-4 blocks, free start), "
    "precedences, scores (`scheduler.synthetic_clerkship`)",
    activities=(),
    builder=generate_clerkship,
)

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        DEFAULT,
        FACILITATOR_BOUND,
        CLINICAL_DAYS_FAMILY,
        OVERLAPPING_BLOCKS_FAMILY,
        MANY_SMALL_ACTIVITIES,
        ONE_LARGE_ACTIVITY,
        TIGHT_SEATS,
        NURSING_TRUST,
        CLERKSHIP,
    )
}
"""Every family by its name, as `ipe generate --family` and `bench/run.py --family` take it."""


def family_named(name: str) -> Family:
    """The family called `name`; a ValueError listing the known names otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(FAMILIES)
        raise ValueError(f"unknown family {name!r}; known families: {known}") from None
