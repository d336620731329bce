"""Flow placements that keep tag minimums (`solver.placement_flow`).

The flow alone ignores tag minimums; the rounds close untagged seats of each student it
left short, so the final plan keeps the rule for (nearly) everyone without the repair
having to drop placements."""

from __future__ import annotations

from factories import site, slot, student, weekly
from solver_helpers import placements_only

from scheduler.domain.scenario import Scenario
from scheduler.synthetic import generate_term
from solver.greedy import GreedyState, greedy_sessions
from solver.options import options_among
from solver.placement_flow import flow_plan
from solver.prepare import Prepared, prepare
from solver.relaxation import PlacementTotals
from solver.warm import Draft, flow_starts, greedy_drafts


def _short(prep: Prepared, chosen: dict[str, list[str]]) -> list[str]:
    """Students holding all placements but too few at a required tag."""
    short = []
    for holder, slots in chosen.items():
        info = prep.students[holder]
        if info.requirement is None or len(slots) < info.count:
            continue
        options = options_among(info.all_options, slots)
        for tag, least in info.requirement.tags.items():
            if sum(tag in options[s].tags for s in slots) < least:
                short.append(holder)
    return short


def test_a_student_short_of_a_tag_is_moved_to_a_tagged_seat() -> None:
    """Two untagged sites rank first, a tagged one last: the flow alone takes both
    untagged; the rounds give one tagged seat and keep both placements."""
    prep = prepare(_one_nurse_three_seats())
    network = PlacementTotals(prep)
    alone = network.solve(rank_weight=network.rank_weight, travel_weight=1)
    assert _short(prep, alone.chosen) == ["n1"]
    plan = flow_plan(prep, network)
    assert _short(prep, plan.chosen) == []
    assert plan.placements == 2
    assert "L2" in plan.chosen["n1"]


def test_rounds_leave_far_fewer_short_on_a_generated_term() -> None:
    prep = prepare(generate_term(students=600, seed=5))
    network = PlacementTotals(prep)
    alone = network.solve(rank_weight=network.rank_weight, travel_weight=1)
    plan = flow_plan(prep, network)
    before, after = len(_short(prep, alone.chosen)), len(_short(prep, plan.chosen))
    assert before > 10
    assert after <= before // 4
    assert plan.placements >= alone.placements - after  # closing costs little coverage


def _one_nurse_three_seats() -> Scenario:
    """n1 needs two placements, one underserved: L1 (P1) and L3 (P2) at the preferred
    untagged site, L2 (P2) at the underserved one."""
    periods = [
        {"id": p, "start": start, "end": end, "weekly": [weekly("mon", "08:00", "16:00")]}
        for p, start, end in (
            ("P1", "2027-03-01", "2027-03-26"),
            ("P2", "2027-04-05", "2027-04-23"),
        )
    ]
    requirement = {"profession": "NURS", "count": 2, "tags": {"underserved": 1}}
    return placements_only(
        students=[student("n1", site_preferences=["H1", "H2"])],
        sites=[site("H1"), site("H2", 45.2, -75.2, tags=["underserved"])],
        periods=periods,
        slots=[slot("L1"), slot("L3", period="P2"), slot("L2", site="H2", period="P2")],
        placement_requirements=[requirement],
    )


def test_placements_that_avoid_clashing_periods_leave_sessions_their_attendees() -> None:
    """Greedy sessions around the avoiding start lose fewer attendees to placement clashes
    than around the best-rank start, with as many placements (generated term: its
    simulation sessions fall on placement days of one period)."""
    prep = prepare(generate_term(students=600, seed=5))
    starts = flow_starts(prep)
    assert starts.avoiding is not None and starts.best is not None
    drafts = greedy_drafts(prep, starts)
    first, around_best = drafts[0], drafts[-1]
    assert first.placed is starts.avoiding and around_best.placed is starts.best

    def attendance(draft: Draft) -> int:
        return sum(len(sessions) for sessions in draft.state.sessions_of.values())

    def placements(draft: Draft) -> int:
        return sum(len(slots) for slots in draft.placed.values())

    assert attendance(first) > attendance(around_best)
    assert placements(first) >= placements(around_best) - 2
    assert attendance(first) + placements(first) > attendance(around_best) + placements(around_best)


def test_sessions_free_of_placement_days_go_first_to_students_wanting_those_days() -> None:
    """Among equally scarce students, the greedy seats those whom the best-rank flow placed
    on a clashing period's days in the sessions that leave those days free."""
    prep = prepare(generate_term(students=600, seed=5))
    starts = flow_starts(prep)
    assert starts.avoiding is not None and starts.wanted

    def kept_free(state: GreedyState) -> int:
        """Students wanting a period whose sessions all leave it free."""
        return sum(
            not any(prep.sessions[s].clash_periods & periods for s in state.sessions_of[student])
            for student, periods in starts.wanted.items()
        )

    plain = greedy_sessions(prep, starts.avoiding)
    steered = greedy_sessions(prep, starts.avoiding, starts.wanted)
    assert kept_free(steered) > kept_free(plain)
    attended = sum(len(s) for s in steered.sessions_of.values())
    assert attended == sum(len(s) for s in plain.sessions_of.values())


def test_no_round_starts_that_would_end_after_the_deadline() -> None:
    """A large term's flows take long: the rounds stop at the deadline (the first solve
    always runs, so there is a plan)."""
    import time

    from solver.placement_flow import tag_rounds

    prep = prepare(_one_nurse_three_seats())
    network = PlacementTotals(prep)
    calls: list[int] = []

    def solve(closed: dict[str, set[str]]):  # noqa: ANN202
        calls.append(len(closed))
        return network.solve(rank_weight=network.rank_weight, travel_weight=1, closed=closed)

    tag_rounds(prep, solve, deadline=time.monotonic() - 1)
    assert calls == [0]
    calls.clear()
    plan = tag_rounds(prep, solve, deadline=time.monotonic() + 60)
    assert calls == [0, 1] and _short(prep, plan.chosen) == []


def test_no_solve_follows_a_closing_that_ran_into_the_deadline(monkeypatch) -> None:  # noqa: ANN001
    """The closing of seats can take longer than a solve (40 s at 20,000 students): the
    next solve is judged again after it."""
    import time

    from solver import placement_flow
    from solver.placement_flow import tag_rounds

    prep = prepare(_one_nurse_three_seats())
    network = PlacementTotals(prep)
    calls: list[int] = []
    slow_closing = placement_flow._untagged_elsewhere

    def untagged_elsewhere(*args):  # noqa: ANN002, ANN202
        time.sleep(0.6)
        return slow_closing(*args)

    def solve(closed: dict[str, set[str]]):  # noqa: ANN202
        calls.append(len(closed))
        return network.solve(rank_weight=network.rank_weight, travel_weight=1, closed=closed)

    monkeypatch.setattr(placement_flow, "_untagged_elsewhere", untagged_elsewhere)
    tag_rounds(prep, solve, deadline=time.monotonic() + 0.5)
    assert calls == [0]
