"""Facilitator groups: counts that meet a group's constraints can always be dealt to named
members, and facilitators are only grouped when that holds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from factories import activity, make_scenario, session, student
from ortools.sat.python import cp_model

from solver.cliques import running_together
from solver.prepare import SessionInfo, prepare
from solver.staffing import FacilitatorGroup, facilitator_groups, name_facilitators

DAY = datetime(2027, 2, 3)


def _session(session_id: str, start_h: float, hours: float) -> SessionInfo:
    start = DAY + timedelta(hours=start_h)
    return SessionInfo(
        id=session_id,
        activity="A",
        start=start,
        end=start + timedelta(hours=hours),
        room="R1",
        max_teams=4,
        room_accessible=True,
        facilitators=(),
        clash_periods=frozenset(),
    )


def _random_sessions(rng: random.Random, separate_cliques: bool) -> dict[str, SessionInfo]:
    """Sessions in time blocks (each block's sessions all overlap: separate cliques), or at
    random times (partial overlaps)."""
    sessions = {}
    for n in range(rng.randint(3, 12)):
        if separate_cliques:
            block = rng.randint(0, 4)
            info = _session(f"S{n:02d}", 3 * block + rng.choice([0, 0.5]), 2)
        else:
            info = _session(f"S{n:02d}", rng.uniform(0, 10), rng.uniform(0.5, 3))
        sessions[info.id] = info
    return sessions


def _random_counts(
    rng: random.Random, sessions: dict[str, SessionInfo], group: FacilitatorGroup
) -> dict[tuple[str, int], int]:
    """Any counts meeting the group's constraints (clique and total), chosen at random."""
    model = cp_model.CpModel()
    counts = {s: model.new_int_var(0, group.size, s) for s in group.sessions}
    for clique in running_together(sessions[s] for s in group.sessions):
        model.add(sum(counts[s] for s in clique) <= group.size)
    if group.max_sessions is not None:
        model.add(sum(counts.values()) <= group.size * group.max_sessions)
    model.maximize(sum(rng.randint(1, 9) * var for var in counts.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return {(s, group.index): int(solver.value(var)) for s, var in counts.items()}


def _check_dealt(
    sessions: dict[str, SessionInfo],
    group: FacilitatorGroup,
    counts: dict[tuple[str, int], int],
    named: dict[str, list[str]],
) -> None:
    for session_id in group.sessions:
        people = named.get(session_id, [])
        assert len(people) == len(set(people)) == counts[session_id, group.index]
    runs: dict[str, list[SessionInfo]] = {m: [] for m in group.members}
    for session_id, people in named.items():
        for person in people:
            runs[person].append(sessions[session_id])
    for person, held in runs.items():
        if group.max_sessions is not None:
            assert len(held) <= group.max_sessions, person
        held.sort(key=lambda s: s.start)
        for first, second in zip(held, held[1:], strict=False):
            assert first.end <= second.start, (person, first.id, second.id)


@pytest.mark.parametrize("seed", range(60))
def test_counts_meeting_group_constraints_are_always_dealt(seed):
    rng = random.Random(seed)
    limited = seed % 2 == 0
    sessions = _random_sessions(rng, separate_cliques=limited)
    size = rng.randint(1, 4)
    group = FacilitatorGroup(
        index=0,
        members=tuple(f"F{i}" for i in range(size)),
        sessions=frozenset(sessions),
        max_sessions=rng.randint(1, 4) if limited else None,
    )
    counts = _random_counts(rng, sessions, group)
    named = name_facilitators(sessions, [group], counts)
    _check_dealt(sessions, group, counts, named)


def _facilitator(fid: str, max_sessions: int | None = None, **fields) -> dict:
    return {"id": fid, "name": fid, "profession": "NURS", "max_sessions": max_sessions, **fields}


def _groups_of(sessions: list[dict], facilitators: list[dict]) -> list[FacilitatorGroup]:
    scenario = make_scenario(
        activities=[activity(sessions=sessions, teams_per_facilitator=1)],
        students=[student("n1")],
        facilitators=facilitators,
        slots=[],
        placement_requirements=[],
    )
    prep = prepare(scenario)
    return facilitator_groups(prep, prep.sessions)


def _wed(session_id: str, start: str, end: str) -> dict:
    return session(session_id, f"2027-02-03T{start}", f"2027-02-03T{end}")


def test_alike_facilitators_form_one_group_and_different_limits_do_not():
    sessions = [_wed("S1", "13:00", "15:00"), _wed("S2", "16:00", "18:00")]
    groups = _groups_of(
        sessions, [_facilitator("F1", 2), _facilitator("F2", 2), _facilitator("F3", 1)]
    )
    assert sorted(g.members for g in groups) == [("F1", "F2"), ("F3",)]


def test_partial_overlaps_with_a_session_limit_keep_facilitators_apart():
    """S1 overlaps S2 and S2 overlaps S3, but S1 and S3 do not: with max_sessions, counts
    could not always be dealt, so each facilitator is modelled on its own."""
    sessions = [
        _wed("S1", "13:00", "15:00"),
        _wed("S2", "14:00", "16:00"),
        _wed("S3", "15:00", "17:00"),
    ]
    limited = _groups_of(sessions, [_facilitator("F1", 2), _facilitator("F2", 2)])
    assert sorted(g.members for g in limited) == [("F1",), ("F2",)]
    unlimited = _groups_of(sessions, [_facilitator("F1"), _facilitator("F2")])
    assert [g.members for g in unlimited] == [("F1", "F2")]


def test_dealing_keeps_preferred_facilitators_where_it_can():
    sessions = {s.id: s for s in (_session("S1", 0, 2), _session("S2", 3, 2))}
    group = FacilitatorGroup(0, ("F1", "F2", "F3"), frozenset(sessions), None)
    counts = {("S1", 0): 1, ("S2", 0): 2}
    named = name_facilitators(sessions, [group], counts, preferred={"S1": ["F3"], "S2": ["F2"]})
    assert named["S1"] == ["F3"]
    assert "F2" in named["S2"]


def test_a_session_limit_is_met_by_spreading_the_load():
    """Two facilitators, at most two sessions each: single sessions at 9 and 12 must go to
    different people, or nobody is left for both sessions at 15."""
    sessions = {
        s.id: s
        for s in (
            _session("S1", 9, 2),
            _session("S2", 12, 2),
            _session("S3", 15, 2),
            _session("S4", 15, 2),
        )
    }
    group = FacilitatorGroup(0, ("F1", "F2"), frozenset(sessions), max_sessions=2)
    counts = {(s, 0): 1 for s in sessions}
    named = name_facilitators(sessions, [group], counts)
    _check_dealt(sessions, group, counts, named)
