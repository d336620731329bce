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


def test_overlapping_periods_raise_the_worst_travel_bound() -> None:
    """n1 needs 2 placements; the near site offers seats only in P1 and P2, which overlap,
    so the second placement must be at the far site in P3 (about 50 km). The flows see P1
    + P2 near (about 1 km); the joint LP's clash row does not."""
    tuesdays = [weekly("tue", "08:00", "16:00")]
    periods = [
        {"id": "P1", "start": "2027-03-01", "end": "2027-03-12", "weekly": tuesdays},
        {"id": "P2", "start": "2027-03-08", "end": "2027-03-19", "weekly": tuesdays},
        {"id": "P3", "start": "2027-03-22", "end": "2027-04-02", "weekly": tuesdays},
    ]
    scenario = placements_only(
        students=[student("n1", home={"lat": 45.0, "lon": -75.0})],
        sites=[site("NEAR", lat=45.01, lon=-75.0), site("FAR", lat=45.45, lon=-75.0)],
        periods=periods,
        slots=[
            slot("N1", site="NEAR", period="P1", capacity=1),
            slot("N2", site="NEAR", period="P2", capacity=1),
            slot("F3", site="FAR", period="P3", capacity=1),
        ],
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {}}],
    )
    fixed = {"coverage": 2.0}
    flows = _bounds(scenario, joint=False).bound("travel_fairness", fixed)
    joint = _bounds(scenario, joint=True).bound("travel_fairness", fixed)
    assert flows is not None and flows < 5
    assert joint is not None and joint > 45
    schedule = solve_valid(scenario)
    assert level(schedule, "travel_fairness").value == joint
    assert schedule.status == "optimal"
