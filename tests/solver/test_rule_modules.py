"""Each rule module holds its rule on its own: a bare model without any heuristic.

The product solve starts from drafts (flows, greedy sessions, LPs) that already respect most
rules, so a rule module that stopped adding its constraints could go unnoticed by tests that
run the whole solve. Here the model is only `TermModel` plus the rule modules, and CP-SAT
maximises coverage with nothing else: on each planted term the optimum breaks the rule
exactly when its module is left out (so removing the module fails this test), and the
independent validator accepts the schedule when it is in. (`placements` and `attendance`
create the variables every other rule reads, and `pins` only binds with a pinned policy:
their own test files cover them.)
"""

from __future__ import annotations

import pytest
from factories import activity, session, site, slot, student, weekly
from ortools.sat.python import cp_model
from solver_helpers import ipe_only, placements_only

from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import SolveInfo
from scheduler.domain.validator import validate_schedule
from solver.model import TermModel
from solver.objectives import builders
from solver.prepare import prepare
from solver.readout import read_schedule, snapshot
from solver.rules import RULES

MONDAYS = [weekly("mon", "08:00", "16:00")]


def _violations(scenario: Scenario, without: str | None) -> set[str]:
    """Codes the validator finds in the coverage optimum of the bare model."""
    model = TermModel(prepare(scenario))
    for name, rule in RULES:
        if name != without:
            rule(model)
    objective = builders()["coverage"](model)
    model.cp.maximize(objective.expression)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    try:
        schedule = read_schedule(model, snapshot(model, solver), "feasible", [], SolveInfo())
    except RuntimeError:  # attendees that no team rule shaped into teams cannot be read out
        return {"no_teams"}
    return {v.code for v in validate_schedule(scenario, schedule)}


def _two_placements_in_one_period() -> Scenario:
    return placements_only(
        periods=[{"id": "P1", "start": "2027-03-01", "end": "2027-03-26", "weekly": MONDAYS}],
        slots=[slot("L1", capacity=1), slot("L2", capacity=1)],
        students=[student("n1")],
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {}}],
    )


def _no_acute_seat() -> Scenario:
    periods = [
        {"id": "P1", "start": "2027-03-01", "end": "2027-03-12", "weekly": MONDAYS},
        {"id": "P2", "start": "2027-03-15", "end": "2027-03-26", "weekly": MONDAYS},
    ]
    return placements_only(
        sites=[site("H1", tags=[])],
        periods=periods,
        slots=[slot("L1", capacity=1), slot("L2", period="P2", capacity=1)],
        students=[student("n1")],
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {"acute": 1}}],
    )


def _one_room_two_sessions() -> Scenario:
    sessions = [
        session("S1", "2027-02-03T13:00", "2027-02-03T15:00"),
        session("S2", "2027-02-03T14:00", "2027-02-03T16:00"),
    ]
    students = [student(f"n{i}") for i in range(2)] + [student(f"p{i}", "PT") for i in range(2)]
    return ipe_only(
        students=[{**s, "weekly_unavailable": []} for s in students],
        facilitators=[
            {"id": "F1", "name": "F", "profession": "NURS"},
            {"id": "F2", "name": "G", "profession": "PT"},
        ],
        activities=[
            activity("A1", sessions=[sessions[0]], team={"min_size": 2, "max_size": 2}),
            activity("A2", sessions=[sessions[1]], team={"min_size": 2, "max_size": 2}),
        ],
    )


def _no_facilitator() -> Scenario:
    return ipe_only(facilitators=[])


def _teams_of_two_professions() -> Scenario:
    """Only nurses: the team rule (a PT in every team) leaves the sessions empty."""
    return ipe_only(students=[student("n1"), student("n2"), student("n3")])


CASES = [
    ("placement_overlap", _two_placements_in_one_period, "placements_overlap"),
    ("tag_minimums", _no_acute_seat, "tag_minimum_unmet"),
    ("rooms", _one_room_two_sessions, "room_double_booked"),
    ("facilitators", _no_facilitator, "too_few_facilitators"),
    ("teams", _teams_of_two_professions, "no_teams"),
]


@pytest.mark.parametrize(("rule", "term", "code"), CASES, ids=[c[0] for c in CASES])
def test_rule_module_alone_keeps_its_rule(rule: str, term, code: str) -> None:
    scenario = term()
    assert _violations(scenario, without=None) == set()
    assert code in _violations(scenario, without=rule)
