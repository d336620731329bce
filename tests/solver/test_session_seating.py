"""Attendees of one activity seated exactly, team counts free up to the former ones
(`solver.session_seating`).

Two sessions of one activity: F leaves period P2 free, S clashes with it. The former
seating (the greedy's averaged teams) puts four attendees in F; the seating moves the
attendees whose placements need P2 into F in full teams, and every team it deals keeps
the rule."""

from __future__ import annotations

from collections import Counter

import pytest

from scheduler.domain.scenario import ProfessionLimit, TeamRule
from solver.session_seating import Attendee, facilitators_needed, seat

RULE = TeamRule(
    min_size=2,
    max_size=3,
    min_professions=2,
    professions={"NURS": ProfessionLimit(min=1, max=1)},
)
FREE, SHUT = frozenset(), frozenset({"P2"})
GROUP_OF = {"F": FREE, "S": SHUT}


def _attendee(name: str, profession: str, needs_p2: bool) -> Attendee:
    """Someone who may sit in either session; a need for P2 makes S cost a placement."""
    return Attendee(name, profession, ("F", "S"), ((FREE, 0), (SHUT, 4 if needs_p2 else 0)))


def _team_ok(team: list[str], profession: dict[str, str]) -> bool:
    counts = Counter(profession[s] for s in team)
    return (
        RULE.min_size <= len(team) <= RULE.max_size
        and counts["NURS"] == 1
        and len(counts) >= RULE.min_professions
    )


def test_attendees_needing_the_free_period_fill_its_session_in_full_teams() -> None:
    attendees = [_attendee(f"n{i}", "NURS", False) for i in range(4)]
    attendees += [_attendee(f"p{i}", "PT", i < 4) for i in range(6)]
    former = {"n0": "F", "n1": "F", "p4": "F", "p5": "F"}
    former |= {a.id: "S" for a in attendees if a.id not in former}
    profession = {a.id: a.profession for a in attendees}

    seating = seat(RULE, {"F": 2, "S": 2}, GROUP_OF, attendees, former)

    assert seating is not None
    in_free = {s for team in seating.teams["F"] for s in team}
    assert {"p0", "p1", "p2", "p3"} <= in_free
    seated = [s for teams in seating.teams.values() for team in teams for s in team]
    assert sorted(seated) == sorted(profession)
    for teams in seating.teams.values():
        assert len(teams) <= 2
        assert all(_team_ok(team, profession) for team in teams)


def test_a_session_may_form_fewer_teams_or_none() -> None:
    attendees = [_attendee("n0", "NURS", True), _attendee("n1", "NURS", True)]
    attendees += [_attendee(f"p{i}", "PT", True) for i in range(4)]
    former = {"n0": "F", "p0": "F", "n1": "S", "p1": "S", "p2": "S", "p3": "F"}

    seating = seat(RULE, {"F": 2, "S": 1}, GROUP_OF, attendees, former)

    assert seating is not None
    assert seating.teams["S"] == []
    assert sorted(len(team) for team in seating.teams["F"]) == [3, 3]


def test_a_student_sits_only_in_sessions_they_may_attend() -> None:
    attendees = [
        Attendee("n0", "NURS", ("S",), ((SHUT, 4),)),
        _attendee("n1", "NURS", True),
        _attendee("p0", "PT", True),
        _attendee("p1", "PT", True),
    ]
    former = {"n0": "S", "p0": "S", "n1": "F", "p1": "F"}

    seating = seat(RULE, {"F": 1, "S": 1}, GROUP_OF, attendees, former)

    assert seating is not None
    assert any("n0" in team for team in seating.teams["S"])


def _with_newcomer(p0_needs_p2: bool) -> list[Attendee]:
    """Six people for two teams of three: p3 and the newcomer p2 may only sit in F."""
    return [
        _attendee("n0", "NURS", False),
        _attendee("n1", "NURS", False),
        _attendee("p1", "PT", False),
        _attendee("p0", "PT", p0_needs_p2),
        Attendee("p3", "PT", ("F",), ((FREE, 0),)),
        Attendee("p2", "PT", ("F",), ((FREE, 0),), optional=True),
    ]


def test_a_newcomer_takes_a_seat_others_can_give_up_at_no_cost() -> None:
    attendees = _with_newcomer(p0_needs_p2=False)
    former = {"n0": "F", "p3": "F", "p0": "F", "n1": "S", "p1": "S"}
    profession = {a.id: a.profession for a in attendees}

    seating = seat(RULE, {"F": 1, "S": 1}, GROUP_OF, attendees, former)

    assert seating is not None
    assert "p2" in seating.teams["F"][0]
    assert all(_team_ok(team, profession) for teams in seating.teams.values() for team in teams)


def test_a_newcomer_never_takes_a_seat_whose_holder_would_lose_a_placement() -> None:
    attendees = _with_newcomer(p0_needs_p2=True)
    former = {"n0": "F", "p3": "F", "p0": "F", "n1": "S", "p1": "S"}

    seating = seat(RULE, {"F": 1, "S": 1}, GROUP_OF, attendees, former)

    assert seating is not None
    seated = {s for teams in seating.teams.values() for team in teams for s in team}
    assert seated == {"n0", "n1", "p0", "p1", "p3"}
    assert "p0" in seating.teams["F"][0]


@pytest.mark.parametrize(
    ("teams", "per", "former", "kept"), [(0, 2, 2, 0), (3, 2, 2, 2), (1, 2, 2, 1), (2, 0, 1, 1)]
)
def test_a_session_keeps_the_facilitators_its_teams_need(
    teams: int, per: int, former: int, kept: int
) -> None:
    assert facilitators_needed(teams, per, former) == kept
