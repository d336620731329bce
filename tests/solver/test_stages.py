"""The solve pipeline as data (`solver.driver.STAGES`): docs/solver.md describes every
declared stage, each stage reads only what the run starts with or an earlier stage
produced, the time plan holds its measured shares, and the schedule and the progress events
carry the trace."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import validate_schedule
from scheduler.synthetic import generate_term
from solver import SolveOptions, SolveProgress
from solver.driver import RUN_INPUTS, STAGES, RunState, run
from solver.pipeline import diagram, facts

DOC = Path(__file__).resolve().parents[2] / "docs" / "solver.md"


def _sections() -> dict[str, str]:
    """docs/solver.md's stage paragraphs by stage name (`### \\`name\\``)."""
    text = DOC.read_text()
    parts = re.split(r"^### `([a-z_]+)`\n", text, flags=re.MULTILINE)
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return {name: " ".join(body.split("\n## ")[0].split()) for name, body in pairs}


def test_every_declared_stage_has_its_paragraph_in_docs_solver_md() -> None:
    sections = _sections()
    declared = [stage.name for stage in STAGES]
    assert [name for name in sections if name in declared] == declared, "order or missing"
    for stage in STAGES:
        body = sections[stage.name]
        assert stage.reason in body, f"{stage.name}: its reason is not in its paragraph"
        assert facts(stage) in body, f"{stage.name}: regenerate its line: {facts(stage)}"


def test_docs_solver_md_describes_no_stage_that_is_not_declared() -> None:
    declared = {stage.name for stage in STAGES}
    assert set(_sections()) <= declared


def test_the_diagram_in_docs_solver_md_is_the_declared_order() -> None:
    assert f"```mermaid\n{diagram(STAGES)}\n```" in DOC.read_text()


def test_each_stage_needs_only_what_the_run_starts_with_or_an_earlier_stage_produced() -> None:
    known = set(RUN_INPUTS)
    for stage in STAGES:
        missing = set(stage.needs) - known
        assert not missing, f"{stage.name} needs {missing} before anything produces it"
        known |= set(stage.produces)
    assert len({stage.name for stage in STAGES}) == len(STAGES)
    assert all(stage.reason and "\n" not in stage.reason for stage in STAGES)


def test_what_a_stage_needs_and_produces_are_fields_of_the_run_state() -> None:
    state = {f.name for f in fields(RunState)}
    for stage in STAGES:
        assert set(stage.needs) | set(stage.produces) <= state, stage.name
    assert set(RUN_INPUTS) <= state


def test_the_time_plan_keeps_the_measured_shares() -> None:
    plan = {stage.name: dict(stage.shares) for stage in STAGES if stage.shares}
    assert plan == {
        "flow_starts": {"ends_by": 0.2},
        "drafts": {"ends_by": 0.5, "lp_draft_ends_by": 0.7},
        "warm_start": {"ipe_solve_cap": 0.3, "ipe_solve_of_left": 0.4},
        "bounds": {"joint_lp_cap": 0.1, "joint_lp_of_left": 0.25},
        "readout": {"reserve": 0.1, "reserve_when_slow": 1 / 3},
    }


@pytest.fixture(scope="module")
def traced() -> tuple[Schedule, list[SolveProgress]]:
    scenario = generate_term(students=40, seed=2)
    events: list[SolveProgress] = []
    schedule = run(scenario, SolveOptions(time_limit_s=2, workers=1), events.append)
    assert validate_schedule(scenario, schedule) == []
    return schedule, events


def test_the_schedule_records_each_stage_once_in_order(
    traced: tuple[Schedule, list[SolveProgress]],
) -> None:
    schedule, _ = traced
    assert schedule.solve.stages is not None
    stages = [s.name for s in schedule.solve.stages if not s.name.startswith("level:")]
    assert stages == [stage.name for stage in STAGES]
    outcome = {s.name: s.outcome for s in schedule.solve.stages}
    assert outcome["local_repair"] == "skipped" and outcome["readout"] == "answered"
    assert outcome["flow_starts"] == "ran"
    why = {s.name: s.detail.get("why") for s in schedule.solve.stages}
    assert why["local_repair"] == "no previous schedule"


def test_each_level_records_its_value_and_bound(
    traced: tuple[Schedule, list[SolveProgress]],
) -> None:
    schedule, _ = traced
    assert schedule.solve.stages is not None
    levels = {s.name: s for s in schedule.solve.stages if s.name.startswith("level:")}
    assert set(levels) == {f"level:{o.name}" for o in schedule.objectives}
    coverage = levels["level:coverage"]
    assert coverage.outcome in ("searched", "kept", "reached")
    claimed = next(o for o in schedule.objectives if o.name == "coverage")
    assert coverage.detail["bound"] == claimed.bound


def test_progress_events_name_their_stage_and_carry_the_trace_so_far(
    traced: tuple[Schedule, list[SolveProgress]],
) -> None:
    _, events = traced
    assert events and all(event.stage is not None for event in events)
    first = events[0]
    assert first.stage in ("drafts", "first_answer", "levels")
    assert [s.name for s in first.stages][:3] == ["local_repair", "size_check", "prepare"]
    last = events[-1]
    assert last.stage == "levels" and len(last.stages) > len(first.stages)


def test_an_old_schedule_without_stages_stays_valid() -> None:
    document = {"format": "ipe-schedule/1", "term": "T", "status": "feasible"}
    document["solve"] = {"seconds": 1.0, "solver": "x", "workers": 1}  # type: ignore[assignment]
    assert Schedule.model_validate(document).solve.stages is None
