"""The joint LP bound sees what the flow bounds cannot: a student's time shared between
sessions and placements, and several tag minimums at once (solver.joint_bound).

Each case is small enough to know the optimum by hand; the joint bound must hold (never
better than the truth) and here meet it, where the flow bounds alone are loose.
"""

from __future__ import annotations

from factories import make_scenario, site, slot, student, weekly
from solver_helpers import level, placements_only, solve_valid

from scheduler.domain.scenario import Scenario
from solver.bounds import TermBounds
from solver.prepare import prepare

WEDNESDAYS_IN_FEBRUARY = {
    "id": "P1",
    "start": "2027-02-01",
    "end": "2027-02-26",
    "weekly": [weekly("wed", "08:00", "16:00")],
}


def _bounds(scenario: Scenario, joint: bool) -> TermBounds:
    return TermBounds.of(prepare(scenario), 0, joint_seconds=10.0 if joint else 0.0)


def test_sessions_on_a_clinical_day_compete_with_the_placement() -> None:
    """Both sessions fall on P1's Wednesdays and every team needs a nurse: a nurse either
    attends or is placed, so at most 4 of the 6 needs (2 nurse placements, 4 attendances)
    can be met."""
    scenario = make_scenario(
        periods=[WEDNESDAYS_IN_FEBRUARY],
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {}}],
    )
    ipe_alone = 4
    flows = _bounds(scenario, joint=False)
    flows.ipe_best = ipe_alone
    assert flows.coverage() == 6
    joint = _bounds(scenario, joint=True)
    joint.ipe_best = ipe_alone
    assert joint.coverage() == 4
    schedule = solve_valid(scenario)
    assert level(schedule, "coverage").value == 4
    assert level(schedule, "coverage").bound == 4


def test_two_tag_minimums_raise_the_preference_bound() -> None:
    """n1 needs 2 placements, one acute and one community, and ranks H1 (acute), H3
    (acute), H2 (community): the best is H1 + H2, rank 1 + 3 = 4; without the tag rows
    the flows see H1 in both periods, rank 2."""
    sites = [
        site("H1", tags=["acute"]),
        site("H2", lat=45.01, tags=["community"]),
        site("H3", lat=45.02, tags=["acute"]),
    ]
    periods = [
        {"id": p, "start": start, "end": end, "weekly": [weekly("mon", "08:00", "16:00")]}
        for p, start, end in (
            ("P1", "2027-03-01", "2027-03-12"),
            ("P2", "2027-03-15", "2027-03-26"),
        )
    ]
    scenario = placements_only(
        students=[student("n1", site_preferences=["H1", "H3", "H2"])],
        sites=sites,
        periods=periods,
        slots=[
            slot(f"L-{s['id']}-{p['id']}", site=s["id"], period=p["id"], capacity=1)
            for s in sites
            for p in periods
        ],
        placement_requirements=[
            {"profession": "NURS", "count": 2, "tags": {"acute": 1, "community": 1}}
        ],
    )
    fixed = {"coverage": 2.0}
    assert _bounds(scenario, joint=False).bound("preferences", fixed) == 2
    assert _bounds(scenario, joint=True).bound("preferences", fixed) == 4
    schedule = solve_valid(scenario)
    assert schedule.status == "optimal"
    assert level(schedule, "preferences").value == 4
