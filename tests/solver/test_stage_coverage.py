"""Every declared stage (`solver.driver.STAGES`) runs in the fast test suite, and every size
regime with it: a handful of regimes forced on one 40-student term (a size policy, stage
costs, a repair, pins, the exact model alone), each schedule accepted by the validator, and
the union of their traces covering every stage. A stage added to the pipeline without a
case that runs it fails `test_every_declared_stage_runs_in_some_case`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

import solver.driver as driver
from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Pin, Scenario
from scheduler.domain.schedule import Schedule, StageTrace
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions
from solver.deadline import DEFAULT_COSTS, StageCosts
from solver.size_policy import DEFAULT_SIZE_POLICY, SizePolicy

QUICK = SolveOptions(time_limit_s=2, workers=1, seed=0)
SLOW = 1.0  # seconds per option: no stage with this cost fits the limit


@dataclass(frozen=True)
class Case:
    """One regime: how the term is changed and what the run is given."""

    term: Callable[[Scenario, Schedule], Scenario] = lambda term, first: term
    options: SolveOptions = QUICK
    costs: StageCosts = DEFAULT_COSTS
    size: SizePolicy = DEFAULT_SIZE_POLICY
    exact_alone: bool = False
    """The term is taken to use a feature the heuristic stages do not encode."""
    ran: tuple[str, ...] = ()
    """Stages this case exists to run (ran or answered)."""
    detail: dict[str, dict[str, object]] = field(default_factory=dict)
    """Stage -> detail values the regime shows in the trace."""


def _declined(term: Scenario, first: Schedule) -> Scenario:
    """A repair: the slot of the first placement declined."""
    slot = first.placements[0].slot
    slots = [s.model_copy(update={"status": "declined"}) if s.id == slot else s for s in term.slots]
    return with_previous(term.model_copy(update={"slots": slots}), first)


def _pinned(term: Scenario, first: Schedule) -> Scenario:
    held = first.placements[0]
    policy = term.policy.model_copy(update={"pinned": [Pin(student=held.student, slot=held.slot)]})
    return term.model_copy(update={"policy": policy})


def _no_levels(term: Scenario, first: Schedule) -> Scenario:
    return term.model_copy(update={"policy": term.policy.model_copy(update={"objectives": []})})


CASES = {
    "default": Case(
        ran=("size_check", "prepare", "flow_starts", "drafts", "draft_answer", "candidates"),
        detail={
            "prepare": {"large": False},
            "drafts": {"lp_draft": True},
            "warm_start": {"cp_sat_starts": True},
        },
    ),
    "large": Case(
        size=SizePolicy(large_students=0),
        ran=("flow_starts", "drafts", "warm_start", "bounds", "levels", "readout"),
        detail={
            "prepare": {"large": True},
            "drafts": {"lp_draft": True},
            "warm_start": {"cp_sat_starts": False},
        },
    ),
    "largest": Case(
        size=SizePolicy(large_students=0, lp_draft_max_students=0),
        ran=("drafts", "levels"),
        detail={"drafts": {"lp_draft": False}},
    ),
    "local repair": Case(term=_declined, ran=("local_repair",)),
    "full repair": Case(
        term=_declined,
        options=SolveOptions(time_limit_s=2, workers=1, seed=0, local_repair=False),
        size=SizePolicy(all_options_up_to=0),
        ran=("repair_start", "candidates"),
        detail={"candidates": {"restricted": True}},
    ),
    "pins": Case(term=_pinned, ran=("refine_classes", "pin_check", "first_answer")),
    "too large": Case(costs=StageCosts(prepare=SLOW), ran=("size_check",)),
    "model too slow": Case(costs=StageCosts(model=SLOW), ran=("draft_answer",)),
    "exact model alone, no levels": Case(
        term=_no_levels, exact_alone=True, ran=("model", "warm_start", "any_solution")
    ),
}


@pytest.fixture(scope="module")
def first() -> tuple[Scenario, Schedule]:
    term = generate_term(students=40, seed=2)
    return term, driver.run(term, QUICK, None)


@pytest.fixture(scope="module")
def traces(first: tuple[Scenario, Schedule]) -> Iterator[dict[str, list[StageTrace]]]:
    """Each case's trace, its schedule checked by the validator."""
    term, before = first
    found: dict[str, list[StageTrace]] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, case in CASES.items():
            scenario = case.term(term, before)
            heuristics = driver.heuristics_apply
            if case.exact_alone:
                patch.setattr(driver, "heuristics_apply", lambda scenario: False)
            schedule = driver.run(scenario, case.options, None, case.costs, case.size)
            patch.setattr(driver, "heuristics_apply", heuristics)
            if schedule.status != "infeasible":
                assert validate_schedule(scenario, schedule) == [], name
            assert schedule.solve.stages is not None
            found[name] = schedule.solve.stages
    yield found


@pytest.mark.parametrize("name", list(CASES))
def test_each_regime_runs_its_stages(name: str, traces: dict[str, list[StageTrace]]) -> None:
    case = CASES[name]
    ran = {s.name: s for s in traces[name] if s.outcome in ("ran", "answered")}
    missing = [stage for stage in case.ran if stage not in ran]
    assert not missing, f"{name}: {missing} did not run"
    for stage, values in case.detail.items():
        for key, value in values.items():
            assert ran[stage].detail.get(key) == value, f"{name}: {stage}.{key}"


def test_every_declared_stage_runs_in_some_case(traces: dict[str, list[StageTrace]]) -> None:
    seen = {s.name for trace in traces.values() for s in trace if s.outcome in ("ran", "answered")}
    assert [stage.name for stage in driver.STAGES if stage.name not in seen] == []


def test_the_answering_stages_answer_in_their_regime(traces: dict[str, list[StageTrace]]) -> None:
    def answered(name: str) -> str:
        return next(s.name for s in traces[name] if s.outcome == "answered")

    assert answered("too large") == "size_check"
    assert answered("model too slow") == "draft_answer"
    assert answered("default") == "readout"
    assert answered("local repair") in ("local_repair", "readout")


def test_the_exact_model_alone_skips_every_heuristic_stage(
    traces: dict[str, list[StageTrace]],
) -> None:
    skipped = {s.name for s in traces["exact model alone, no levels"] if s.outcome == "skipped"}
    assert {"flow_starts", "drafts", "candidates", "draft_answer"} <= skipped
