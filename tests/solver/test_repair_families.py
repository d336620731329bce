"""Repair after one declined slot on terms of several shapes: the local path proves its
minimal change when a re-seat needs a move past a session, and the full path keeps every
holder who fits a free seat even when the term is too large to model every slot."""

from __future__ import annotations

import pytest
from factories import placement, site, slot, student, unassigned_requirement
from repair_helpers import (
    KEPT_CLASH_BEFORE,
    SESSION_CLASH_BEFORE,
    declined,
    kept_clash_term,
    previous,
    proven,
    repaired,
    session_clash_term,
)
from solver_helpers import placements_only

import solver.driver as driver
from scheduler.domain.diff import diff_schedules
from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ObjectiveResult, Schedule, Unassigned
from scheduler.domain.validator import objective_values, validate_schedule
from scheduler.synthetic import generate_term
from scheduler.synthetic_families import family_named
from solver import SolveOptions, solve
from solver.incremental import better_repair
from solver.incremental.eligibility import Eligibility
from solver.size_policy import SizePolicy

FAMILIES = ["default", "tight-seats", "facilitator-bound", "clinical-days"]
STUDENTS = 60
MODELS_FEW_SLOTS = SizePolicy(all_options_up_to=0)
"""A repair models every eligible slot only up to this many options: none, as on a large
term, so the candidates are trimmed."""


def test_a_seat_behind_a_session_is_a_proven_local_repair_of_two_changes():
    """n1's only free seat clashes with n1's session: the repair moves n1 to n2's seat and
    n2 to the free one. Two changes, proven: the free seat counts for n1 only with a
    session move, itself a change."""
    schedule = repaired(declined(session_clash_term(), "L1"), SESSION_CLASH_BEFORE)
    assert schedule.metrics["repair"]["path"] == "local"
    assert proven(schedule, "coverage") == 6
    assert proven(schedule, "stability") == 2


@pytest.fixture(scope="module", params=FAMILIES)
def first(request: pytest.FixtureRequest) -> tuple[Scenario, Schedule, str]:
    family = request.param
    scenario = generate_term(students=STUDENTS, seed=2, family=family_named(family))
    schedule = solve(scenario, options=SolveOptions(time_limit_s=5, workers=1, seed=0))
    assert validate_schedule(scenario, schedule) == []
    return scenario, schedule, family


def _busiest(schedule: Schedule) -> str:
    held: dict[str, int] = {}
    for p in schedule.placements:
        held[p.slot] = held.get(p.slot, 0) + 1
    return min(held, key=lambda s: (-held[s], s))


def _repair_problem(first: tuple[Scenario, Schedule, str]) -> tuple[Scenario, str]:
    scenario, schedule, _family = first
    slot = _busiest(schedule)
    return with_previous(declined(scenario, slot), schedule), slot


def test_one_declined_slot_of_a_small_family_term_is_repaired_validly_and_proven_if_local(first):
    """Whatever the first schedule (its solve is cut by time), the repair is valid, the
    local path never runs out of time for want of a first answer, and a local answer is
    proven with exactly the changes the diff counts. The hand-built terms above are the
    ones where the local path must answer."""
    problem, slot = _repair_problem(first)
    schedule = solve(problem, options=SolveOptions(time_limit_s=10, workers=1, seed=0))
    assert validate_schedule(problem, schedule) == []
    repair = schedule.metrics["repair"]
    assert "in its time" not in repair.get("reason", "")
    if repair["path"] != "local" or repair.get("unproven"):
        return
    changes = proven(schedule, "stability")
    assert changes == diff_schedules(first[1], schedule).changes
    assert changes >= sum(p.slot == slot for p in first[1].placements)


def _fits_a_free_seat(problem: Scenario, previous: Schedule, slot: str) -> list[str]:
    """Holders of the declined slot with a free seat that clashes with none of their
    sessions and other placements and keeps their tag minimums: nothing else of theirs
    needs to move."""
    eligibility = Eligibility(problem)
    taken: dict[str, int] = {}
    for p in previous.placements:
        taken[p.slot] = taken.get(p.slot, 0) + 1
    capacity = {s.id: s.capacity for s in problem.slots}
    sessions: dict[str, set[str]] = {}
    for entry in previous.sessions:
        for team in entry.teams:
            for member in team.students:
                sessions.setdefault(member, set()).add(entry.session)
    fit = []
    for holder in sorted({p.student for p in previous.placements if p.slot == slot}):
        mine = eligibility.options(
            holder, [p.slot for p in previous.placements if p.student == holder and p.slot != slot]
        )
        requirement = eligibility.requirement(holder)
        assert requirement is not None
        blocked = eligibility.session_periods(sessions.get(holder, set()))

        def fits(option, mine=mine, requirement=requirement, blocked=blocked) -> bool:
            if taken.get(option.slot, 0) >= capacity[option.slot] or option.period in blocked:
                return False
            if any(eligibility.clash(option.period, o.period) for o in mine):
                return False
            held = [*mine, option]
            return len(held) < requirement.count or all(
                sum(tag in o.tags for o in held) >= n for tag, n in requirement.tags.items()
            )

        if any(fits(o) for o in eligibility.options(holder)):
            fit.append(holder)
    return fit


def test_the_full_repair_of_a_trimmed_model_keeps_every_holder_who_fits_a_free_seat(first):
    """Forced to the full path with the candidate slots trimmed (a large term's regime):
    the start re-seats the holders, so coverage never drops below the holders that fit."""
    problem, slot = _repair_problem(first)
    fit = _fits_a_free_seat(problem, first[1], slot)
    options = SolveOptions(time_limit_s=10, workers=1, seed=0, local_repair=False)
    schedule = driver.run(problem, options, None, size=MODELS_FEW_SLOTS)
    assert validate_schedule(problem, schedule) == []
    held = {p.student for p in schedule.placements}
    assert set(fit) <= held
    before = objective_values(problem, first[1])["coverage"]
    lost = sum(p.slot == slot for p in first[1].placements) - len(fit)
    assert objective_values(problem, schedule)["coverage"] >= before - lost


def test_a_trimmed_repair_model_keeps_every_slot_of_the_students_the_change_unseated(first):
    """On a term too large to model every slot, the holders of the declined slot still keep
    all of theirs as candidates: the trimmed ones missed the free seat that re-seats them
    (tight-seats, 2,000 students: all 4 holders dropped)."""
    from solver.prepare import prepare
    from solver.stability import candidate_slots

    problem, slot = _repair_problem(first)
    prep = prepare(problem)
    prep.size = MODELS_FEW_SLOTS
    chosen = candidate_slots(prep, {})
    holders = {p.student for p in first[1].placements if p.slot == slot}
    assert holders
    for holder in holders:
        assert {o.slot for o in prep.students[holder].all_options} <= set(chosen[holder])
    others = set(prep.students) - holders - {p.student for p in first[1].placements}
    assert not any(chosen.get(s) for s in others)


def test_a_student_left_short_only_adds_a_seat_so_the_local_answer_stays_proven():
    """n2 holds one of two placements (U2, not acute) and could meet the second need only
    by trading U2 for the acute A2 (two changes for one need met); n1 lost the acute L1
    and takes A2. The local path re-seats n1 alone, one change, proven, instead of an
    answer whose extra trade the whole-term bound cannot prove."""
    monday = [{"day": "mon", "start": "08:00", "end": "16:00"}]
    periods = [
        {"id": "P1", "start": "2027-03-01", "end": "2027-03-26", "weekly": monday},
        {"id": "P2", "start": "2027-04-05", "end": "2027-04-23", "weekly": monday},
    ]
    plain = {**site("H2", tags=[])}
    slots = [
        slot("L1", capacity=1),
        slot("L2", site="H2", period="P2", capacity=1),
        slot("A2", capacity=2),
        slot("U2", site="H2", capacity=1),
        slot("B", site="H2", period="P2", capacity=1),
    ]
    scenario = placements_only(
        students=[student("n1"), student("n2")],
        sites=[site(), plain],
        periods=periods,
        slots=slots,
        placement_requirements=[{"profession": "NURS", "count": 2, "tags": {"acute": 1}}],
    )
    held = [placement("n1", "L1"), placement("n1", "L2"), placement("n2", "U2")]
    before = previous(placements=held).model_copy(
        update={"unassigned": [Unassigned.model_validate(unassigned_requirement("n2"))]}
    )
    assert validate_schedule(scenario, before) == []
    schedule = repaired(declined(scenario, "L1"), before)
    assert schedule.metrics["repair"]["path"] == "local", schedule.metrics["repair"]
    assert proven(schedule, "stability") == 1
    assert {p.slot for p in schedule.placements if p.student == "n2"} == {"U2"}


def _with_levels(*levels: tuple[str, float]) -> Schedule:
    objectives = [{"name": n, "value": v, "bound": None} for n, v in levels]
    return previous().model_copy(
        update={"objectives": [ObjectiveResult.model_validate(o) for o in objectives]}
    )


def test_the_full_solve_answers_unless_the_unproven_local_answer_is_better_level_by_level():
    """A full solve cut short (a draft read out without the model) never replaces a valid
    local answer that is better: coverage first, then fewer changes."""
    local = _with_levels(("coverage", 10), ("stability", 6))
    assert better_repair(None, local) is local
    for worse in [(("coverage", 9), ("stability", 4)), (("coverage", 10), ("stability", 4238))]:
        assert better_repair(local, _with_levels(*worse)).objectives == local.objectives
    full = _with_levels(("coverage", 11), ("stability", 40))
    assert better_repair(local, full) is full
    same = _with_levels(("coverage", 10), ("stability", 6))
    assert better_repair(local, same) is same


def test_a_large_term_answers_with_its_unproven_local_repair_at_once(monkeypatch):
    """Forced into the large regime, a repair whose local answer is valid but not proven
    (n1 needs n2's seat, n2 needs n3's, only n3 fits the free L4: a chain longer than the
    neighbourhood) answers with it, without the full solve, whose draft read-out ignored
    the previous schedule at 5,000 students."""
    slots = [
        slot("L1", capacity=1),
        slot("L2", capacity=1),
        slot("L3", capacity=1, language="fr"),
        slot("L4", capacity=1, language="de"),
    ]
    term = placements_only(
        students=[
            student("n1"),
            student("n2", languages=["fr"]),
            student("n3", languages=["fr", "de"]),
        ],
        slots=slots,
        placement_requirements=[{"profession": "NURS", "count": 1, "tags": {}}],
    )
    held = [placement("n1", "L1"), placement("n2", "L2"), placement("n3", "L3")]
    problem = with_previous(declined(term, "L1"), previous(placements=held))
    options = SolveOptions(time_limit_s=10, workers=1, seed=0)

    def no_full_solve(*_args, **_kwargs):
        raise AssertionError("the full solve ran")

    monkeypatch.setattr(driver, "prepare", no_full_solve)
    answer = driver.run(problem, options, None, size=SizePolicy(large_students=0))
    assert validate_schedule(problem, answer) == []
    repair = answer.metrics["repair"]
    assert repair["path"] == "local" and "n1" in repair["unproven"], repair
    assert answer.status == "feasible"


def test_the_local_model_starts_from_the_slots_its_movers_keep():
    """The kept slots are hinted as a complete valid answer: with every hinted variable
    fixed to its hint, the model still has a solution (so a level never ends empty-handed
    for want of a first one)."""
    from ortools.sat.python import cp_model

    from solver.incremental.model import LocalModel
    from solver.incremental.run import LocalSettings, _Search
    from solver.incremental.scope import build_scope

    problem = with_previous(declined(kept_clash_term(), "L1"), KEPT_CLASH_BEFORE)
    eligibility = Eligibility(problem)
    scope = build_scope(KEPT_CLASH_BEFORE, eligibility)
    search = _Search(eligibility, scope, LocalSettings(10, 0, 1, 0.0, ""), ["coverage"])
    fixed = {s: len(h - search.movers.keys()) for s, h in scope.holders.items()}
    seats = {s: c - fixed.get(s, 0) for s, c in search.capacity.items()}
    model = LocalModel(list(search.movers.values()), seats, eligibility.clash, 0)
    hinted = {v.index for v in model.place.values()}
    assert hinted and {h for h in model.cp.proto.solution_hint.vars} == hinted
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(model.cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
