"""Objective levels of student plans (extension): `scores`, `worst_satisfaction` and
`compactness` are solved exactly (values equal the validator's, bounds proven), and a term
with plans is solved by the exact model alone (`solver.features`)."""

from __future__ import annotations

from clerkship_factories import clerkship, med, ward
from solver_helpers import level, solve_valid

from scheduler.domain.validator import objective_values
from solver.features import heuristics_apply, term_features

PLAN = {"required": ["SURG", "PED"], "precedences": [{"before": "SURG", "after": "PED"}]}
PERIODS = ("B1", "B2", "B3", "B4", "B12", "B23", "B34")


def _term(objectives: list[str], plan=PLAN, students: int = 3, **scores) -> object:
    slots = [ward(h, d, p) for h in ("H1", "H2") for d in ("SURG", "PED") for p in PERIODS]
    people = [med(f"m{i}", plan, **scores) for i in range(students)]
    return clerkship(people, slots, policy={"objectives": objectives})


def _proven(schedule, name: str) -> float:
    result = level(schedule, name)
    assert result.value is not None and result.value == result.bound, (name, result)
    return result.value


def test_a_term_with_plans_is_for_the_exact_model_alone():
    scenario = _term(["coverage"])
    assert "student_plans" in term_features(scenario)
    assert not heuristics_apply(scenario)


def test_scores_prefer_the_scored_site_and_discipline():
    scores = {"scores": {"sites": {"H2": 3}, "disciplines": {"PED": 1}}, "score_weight": 2}
    schedule = solve_valid(_term(["coverage", "scores"], **scores))
    assert _proven(schedule, "coverage") == 6
    # each student: SURG at H2 (3) + PED at H2 (3 + 1) = 7, weight 2; three students
    assert _proven(schedule, "scores") == 3 * 2 * 7
    assert all(p.slot.startswith("H2-") for p in schedule.placements)


def test_worst_satisfaction_lifts_the_worst_off_student():
    # one seat per H2 ward and period: H2 is scarce, so not everyone can have it twice
    scores = {"scores": {"sites": {"H2": 1}}}
    schedule = solve_valid(_term(["coverage", "worst_satisfaction"], students=5, **scores))
    worst = _proven(schedule, "worst_satisfaction")
    assert (
        worst == objective_values(_term([], students=5, **scores), schedule)["worst_satisfaction"]
    )
    assert worst >= 1


def test_compactness_leaves_no_idle_days_and_no_site_change():
    schedule = solve_valid(_term(["coverage", "compactness"], students=2))
    assert _proven(schedule, "coverage") == 4
    assert _proven(schedule, "compactness") == 0


def test_compactness_counts_an_unavoidable_idle_block():
    # SURG only in B1, PED only in B3: every student idles in February (28 days)
    slots = [ward("H1", "SURG", "B1"), ward("H1", "PED", "B3")]
    scenario = clerkship(
        [med("m1", PLAN)], slots, policy={"objectives": ["coverage", "compactness"]}
    )
    schedule = solve_valid(scenario)
    assert _proven(schedule, "compactness") == 28


def test_the_whole_term_bound_of_scores_holds_and_is_tight_when_nothing_competes():
    from solver.model import TermModel
    from solver.plan_bounds import plan_level_bound
    from solver.prepare import prepare

    scores = {"scores": {"sites": {"H2": 3}, "disciplines": {"PED": 1}}}
    scenario = _term(["coverage", "scores", "worst_satisfaction"], students=1, **scores)
    model = TermModel(prepare(scenario))
    assert plan_level_bound(model, "scores") == 7  # SURG at H2 (3) + PED at H2 (4)
    assert plan_level_bound(model, "worst_satisfaction") == 7
    assert plan_level_bound(model, "compactness") == 0
    assert plan_level_bound(model, "coverage") is None
    schedule = solve_valid(scenario)
    assert _proven(schedule, "scores") == 7


def test_no_heuristic_stage_runs_on_a_term_with_plans(monkeypatch):
    import solver.driver as driver

    def refuse(*args, **kwargs):
        raise AssertionError("a heuristic stage ran on a term with plans")

    for name in ("flow_starts", "greedy_drafts", "restrict_options", "polish", "local_repair"):
        monkeypatch.setattr(driver, name, refuse)
    schedule = solve_valid(_term(["coverage", "scores"], students=2))
    assert _proven(schedule, "coverage") == 4
