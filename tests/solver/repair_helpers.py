"""Helpers of the repair tests: small terms, their previous schedules, and repairs."""

from __future__ import annotations

from typing import Any

from factories import (
    activity,
    make_scenario,
    placement,
    session,
    session_entry,
    slot,
    student,
    team,
)
from solver_helpers import level, placements_only, solve_valid

from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Pin, Scenario
from scheduler.domain.schedule import Schedule

REPAIR = ["coverage", "stability"]


def previous(sessions=(), placements=()) -> Schedule:
    return Schedule.model_validate(
        {
            "term": "T1",
            "status": "feasible",
            "sessions": list(sessions),
            "placements": list(placements),
        }
    )


def repaired(scenario: Scenario, before: Schedule, objectives=REPAIR) -> Schedule:
    """Solve the scenario as a repair of `before` (the validator re-checks it)."""
    problem = with_previous(scenario, before)
    policy = problem.policy.model_copy(update={"objectives": objectives})
    return solve_valid(problem.model_copy(update={"policy": policy}))


def proven(schedule: Schedule, name: str) -> float:
    result = level(schedule, name)
    assert result.value == result.bound, (name, result)
    assert result.value is not None
    return result.value


def chain_term(**fields: Any) -> Scenario:
    """n1 can only go to L1 or L2; n2 to L2 or L3 (French); n3 holds L4, out of reach."""
    students = [
        student("n1"),
        student("n2", languages=["en", "fr"]),
        student("n3", languages=["de"]),
    ]
    slots = [
        slot("L1", capacity=1),
        slot("L2", capacity=1),
        slot("L3", capacity=1, language="fr"),
        slot("L4", capacity=1, language="de"),
    ]
    data: dict[str, Any] = {"students": students, "slots": slots, **fields}
    data["placement_requirements"] = [{"profession": "NURS", "count": 1, "tags": {}}]
    return placements_only(**data)


CHAIN_BEFORE = previous(
    placements=[placement("n1", "L1"), placement("n2", "L2"), placement("n3", "L4")]
)


def declined(scenario: Scenario, slot_id: str) -> Scenario:
    slots = [
        s.model_copy(update={"status": "declined"}) if s.id == slot_id else s
        for s in scenario.slots
    ]
    return scenario.model_copy(update={"slots": slots})


def three_sessions(**fields: Any) -> Scenario:
    sessions = [
        session("S1", "2027-02-03T13:00", "2027-02-03T15:00"),
        session("S2", "2027-02-10T13:00", "2027-02-10T15:00"),
        session("S3", "2027-02-17T13:00", "2027-02-17T15:00"),
    ]
    students = [student(f"n{i}") for i in (1, 2, 3)] + [student(f"p{i}", "PT") for i in (1, 2, 3)]
    return make_scenario(
        students=fields.pop("students", students),
        activities=[activity(sessions=fields.pop("sessions", sessions), teams_per_facilitator=0)],
        slots=[],
        placement_requirements=[],
        **fields,
    )


BUSY_S2 = {"start": "2027-02-10T12:00", "end": "2027-02-10T16:00"}
SESSIONS_BEFORE = previous(
    [
        session_entry("S1", team("t1", "n1", "p1"), facilitators=()),
        session_entry("S2", team("t1", "n2", "p2"), facilitators=()),
        session_entry("S3", team("t1", "n3", "p3"), facilitators=()),
    ]
)


def pinned(scenario: Scenario, *pins: dict[str, str]) -> Scenario:
    """The scenario with pins added to its policy."""
    extra = [Pin.model_validate(p) for p in pins]
    policy = scenario.policy.model_copy(update={"pinned": [*scenario.policy.pinned, *extra]})
    return scenario.model_copy(update={"policy": policy})


def session_clash_term(n2_clashes: bool = False) -> Scenario:
    """n1 (in S1) and n2 (in S2) hold L1 and L2 of P1, one seat each; the free seat L3 is
    in P2, whose Wednesday of the first February week clashes with S1 (and, with
    `n2_clashes`, with S2 too). Once L1 is declined n1 can take L3 only by moving to S2,
    or n2's L2 when n2 moves to L3: two changes either way."""
    last = "2027-02-12" if n2_clashes else "2027-02-05"
    periods = [
        {
            "id": "P1",
            "start": "2027-03-01",
            "end": "2027-03-26",
            "weekly": [{"day": "mon", "start": "08:00", "end": "16:00"}],
        },
        {
            "id": "P2",
            "start": "2027-02-01",
            "end": last,
            "weekly": [{"day": "wed", "start": "08:00", "end": "16:00"}],
        },
    ]
    slots = [
        slot("L1", capacity=1),
        slot("L2", capacity=1),
        slot("L3", capacity=1, period="P2"),
    ]
    return make_scenario(periods=periods, slots=slots)


SESSION_CLASH_BEFORE = previous(
    [
        session_entry("S1", team("t1", "n1", "p1")),
        session_entry("S2", team("t1", "n2", "p2")),
    ],
    [placement("n1", "L1"), placement("n2", "L2")],
)


def _periods(*names: str) -> list[dict[str, Any]]:
    """Periods of two weeks each from March, on site Mondays (two placements in one
    period clash)."""
    monday = [{"day": "mon", "start": "08:00", "end": "16:00"}]
    starts = ["2027-03-01", "2027-03-15", "2027-03-29"]
    ends = ["2027-03-12", "2027-03-26", "2027-04-09"]
    return [
        {"id": name, "start": starts[i], "end": ends[i], "weekly": monday}
        for i, name in enumerate(names)
    ]


def kept_clash_term() -> Scenario:
    """n1 holds L1 (P1) and K1 (P2); n2 holds L2 (P1) and K2 (P3); the free seat F is in
    P2, where n1 already is. Once L1 is declined n1 can take F only by giving up K1, or
    take L2 while n2 moves to F: two changes either way."""
    slots = [
        slot("L1", capacity=1),
        slot("K1", period="P2", capacity=1),
        slot("L2", capacity=1),
        slot("K2", period="P3", capacity=1),
        slot("F", period="P2", capacity=1),
    ]
    return placements_only(
        students=[student("n1"), student("n2")],
        periods=_periods("P1", "P2", "P3"),
        slots=slots,
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {}}],
    )


KEPT_CLASH_BEFORE = previous(
    placements=[
        placement("n1", "L1"),
        placement("n1", "K1"),
        placement("n2", "L2"),
        placement("n2", "K2"),
    ]
)


def shared_seat_term() -> Scenario:
    """n1 and t1 each need two placements, one acute. n1 holds the acute L1 (P1) and V (P2,
    not acute); t1 holds T1 (P1) and the acute W (P3), and could take V. Once L1 and T1 are
    declined, the free seats are the acute Q (P2) and Q2 (P1), both French, which only n1
    speaks: n1 gives up V for Q and Q2, and t1 takes V. Three changes: n1's second one
    frees the seat t1 takes back, so a bound that charged it to n1 alone would claim four."""
    plain = {
        "id": "H2",
        "name": "Site H2",
        "location": {"lat": 45.0, "lon": -75.0},
        "transit_accessible": True,
        "accessible": True,
        "tags": [],
        "languages": ["en", "fr"],
    }
    acute = {**plain, "id": "H1", "name": "Site H1", "tags": ["acute"]}
    slots = [
        slot("L1", capacity=1),
        slot("V", site="H2", period="P2", capacity=1),
        slot("T1", site="H2", capacity=1),
        slot("W", period="P3", capacity=1),
        slot("Q", period="P2", capacity=1, language="fr"),
        slot("Q2", site="H2", capacity=1, language="fr"),
    ]
    return placements_only(
        students=[student("n1", languages=["en", "fr"]), student("t1")],
        sites=[acute, plain],
        periods=_periods("P1", "P2", "P3"),
        slots=slots,
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {"acute": 1}}],
    )


SHARED_SEAT_BEFORE = previous(
    placements=[
        placement("n1", "L1"),
        placement("n1", "V"),
        placement("t1", "T1"),
        placement("t1", "W"),
    ]
)
