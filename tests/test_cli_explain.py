"""`ipe explain`: causes, grouped or per student, verified suggestions, clean failures."""

from __future__ import annotations

import json
from pathlib import Path

from factories import make_scenario, student
from typer.testing import CliRunner, Result

from scheduler.cli import app

HERE = Path(__file__).parent
TINY = HERE.parent / "fixtures" / "tiny.json"
BASE = HERE / "malformed" / "_base.json"
FAST = ("--solve-time-limit", "5", "--workers", "2", "--seed", "0")

runner = CliRunner()


def ipe(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def assert_clean(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "INFEASIBLE" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_explain_groups_the_causes_of_the_tiny_term():
    result = ipe("explain", TINY, "--time-limit", "5", *FAST)
    assert result.exit_code == 0, result.output
    assert "unmet needs by cause:" in result.output
    assert "no_eligible_slot" in result.output
    assert "they travel by transit" in result.output
    assert_clean(result)


def test_explain_one_student_lists_every_cause_with_its_ids():
    result = ipe("explain", TINY, "--student", "T04", "--time-limit", "0", *FAST)
    assert result.exit_code == 0, result.output
    assert "student T04: 1 unmet need(s)" in result.output
    assert "transit_inaccessible" in result.output
    assert "students[3].weekly_unavailable[0]" in result.output


def test_explain_writes_the_schedule_with_explanations_and_suggestions(tmp_path: Path):
    scenario = make_scenario(
        activities=[], students=[student(f"n{i}") for i in range(1, 6)], policy={"seed": 0}
    )
    path = tmp_path / "term.json"
    path.write_text(scenario.model_dump_json(), encoding="utf-8")
    out = tmp_path / "explained.json"
    result = ipe("explain", path, "--time-limit", "20", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    assert "+3  add_seats  add 3 NURS seat(s) to slot L1" in result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["metrics"]["explanations"]["groups"][0]["needs"] == 3
    assert written["suggestions"][0]["changes"] == [
        {"op": "set_capacity", "slot": "L1", "capacity": 5}
    ]


def test_explain_a_given_schedule_without_solving(tmp_path: Path):
    schedule = tmp_path / "schedule.json"
    assert ipe("solve", TINY, "-o", schedule, "--time-limit", "5").exit_code == 0
    result = ipe("explain", TINY, "--schedule", schedule, "--time-limit", "0")
    assert result.exit_code == 0, result.output
    assert "no_eligible_slot" in result.output


def test_unknown_student_is_bad_input():
    result = ipe("explain", TINY, "--student", "NOPE", *FAST)
    assert result.exit_code == 2
    assert "unknown student: NOPE" in result.output
    assert_clean(result)


def test_contradictory_rules_are_listed_with_their_paths():
    result = ipe("explain", HERE / "malformed" / "min_size_above_max_size.json")
    assert result.exit_code == 2
    assert "activities[0].team.min_size" in result.output
    assert_clean(result)


def test_a_schedule_breaking_rules_is_not_explained():
    result = ipe("explain", BASE, "--schedule", HERE / "schedules" / "slot_over_capacity.json")
    assert result.exit_code == 1
    assert "violation" in result.output
    assert_clean(result)
