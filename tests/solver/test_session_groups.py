"""Sessions of a clashing activity re-chosen with the placements (`solver.session_groups`).

On a generated term whose simulation sessions fall on placement days of one period, the
regrouped draft keeps every attendee, forms no more teams in any session than before
(rooms and facilitators still suffice), holds at least as many placements at a lower rank
sum, and passes the independent validator."""

from __future__ import annotations

from collections import Counter

from factories import site, slot, student
from solver_helpers import placements_only

from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver.candidates import restrict_options
from solver.greedy import GreedyState, greedy_sessions, greedy_values
from solver.model import TermModel
from solver.options import options_among
from solver.prepare import Prepared, prepare
from solver.readout import read_schedule
from solver.rules import apply_rules
from solver.session_groups import regroup
from solver.warm import Draft, flow_starts, greedy_drafts


def _rank(prep: Prepared, placed: dict[str, list[str]]) -> int:
    return sum(
        o.rank
        for holder, slots in placed.items()
        for o in options_among(prep.students[holder].all_options, slots).values()
    )


def _team_counts(state: GreedyState) -> Counter:
    return Counter({session: len(teams) for session, teams in state.teams.items() if teams})


def _activities(prep: Prepared, state: GreedyState) -> dict[str, list[str]]:
    return {
        student: sorted(prep.sessions[s].activity for s in sessions)
        for student, sessions in state.sessions_of.items()
        if sessions
    }


def test_the_regrouped_draft_keeps_everyone_at_a_lower_rank_and_is_valid() -> None:
    scenario = generate_term(students=600, seed=5)
    prep = prepare(scenario)
    drafts = greedy_drafts(prep, flow_starts(prep))
    best = drafts[1]  # placements around the first greedy sessions
    regrouped = regroup(prep, best.placed, best.state)
    assert regrouped is not None
    placed, state = regrouped
    assert _activities(prep, state) == _activities(prep, best.state)
    assert _team_counts(state) <= _team_counts(best.state)
    for session in state.teams:
        assert len(state.facilitators.get(session, ())) <= len(best.state.facilitators[session])
    moved = sum(
        set(state.sessions_of[s]) != set(best.state.sessions_of[s]) for s in state.sessions_of
    )
    assert moved > 0
    assert sum(map(len, placed.values())) >= sum(map(len, best.placed.values()))
    assert _rank(prep, placed) < _rank(prep, best.placed)
    for student_id, sessions in state.sessions_of.items():
        info = prep.students[student_id]
        for session in sessions:
            assert session in info.free_sessions[prep.sessions[session].activity]
        shut = {p for s in sessions for p in prep.sessions[s].clash_periods}
        held = options_among(info.all_options, placed.get(student_id, ()))
        assert not {o.period for o in held.values()} & shut
    _assert_valid(scenario, prep, Draft(placed, state))


def _attendance(state: GreedyState) -> int:
    return sum(len(sessions) for sessions in state.sessions_of.values())


def test_participants_left_out_are_seated_where_the_lp_makes_room() -> None:
    scenario = generate_term(students=600, seed=5)
    prep = prepare(scenario)
    drafts = greedy_drafts(prep, flow_starts(prep))
    short = min(drafts, key=lambda d: _attendance(d.state))  # sessions made before placements
    regrouped = regroup(prep, short.placed, short.state)
    assert regrouped is not None
    placed, state = regrouped
    assert _attendance(state) > _attendance(short.state)
    assert sum(map(len, placed.values())) >= sum(map(len, short.placed.values()))
    before, after = _activities(prep, short.state), _activities(prep, state)
    assert all(set(after[student_id]) >= set(before[student_id]) for student_id in before)
    _assert_valid(scenario, prep, Draft(placed, state))


def _assert_valid(scenario, prep: Prepared, draft: Draft) -> None:  # noqa: ANN001
    restrict_options(prep, draft.placed)
    model = TermModel(prep)
    apply_rules(model)
    values = greedy_values(model, draft.placed, draft.state)
    assert values is not None
    schedule = read_schedule(model, values, "feasible", [], SolveInfo())
    assert validate_schedule(scenario, schedule) == []


def test_a_term_without_clashing_sessions_is_left_alone() -> None:
    scenario = placements_only(
        students=[student("n1", site_preferences=["H1"])],
        sites=[site("H1")],
        slots=[slot("L1")],
    )
    prep = prepare(scenario)
    state = greedy_sessions(prep, {})
    assert regroup(prep, {"n1": ["L1"]}, state) is None
