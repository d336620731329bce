"""`ipe solve --alternatives K`: K schedules written, each valid and different, and the
comparison table printed and written; bad tolerances refused naming the item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from scheduler.cli import app
from scheduler.domain.alternatives import Comparison, differing_students
from scheduler.domain.loading import load_scenario_text, load_schedule_text
from scheduler.domain.validator import validate_schedule

DEMO = Path(__file__).parent.parent / "fixtures" / "demo.json"
runner = CliRunner()


def ipe(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.mark.slow  # solves the demo term (K searches of a few seconds)
def test_three_alternatives_are_written_checked_and_compared(tmp_path: Path) -> None:
    output, table = tmp_path / "s.json", tmp_path / "cmp.json"
    result = ipe(
        "solve", DEMO, "-o", output, "--alternatives", "3", "--time-limit", "5",
        "--workers", "2", "--comparison", table,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scenario = load_scenario_text(DEMO.read_bytes()).scenario
    assert scenario is not None
    paths = [output, tmp_path / "s-2.json", tmp_path / "s-3.json"]
    schedules = []
    for path in paths:
        schedule, errors = load_schedule_text(path.read_bytes())
        assert schedule is not None, errors
        assert validate_schedule(scenario, schedule) == []
        schedules.append(schedule)
    for i, first in enumerate(schedules):
        for second in schedules[i + 1 :]:
            assert differing_students(first, second)
    comparison = Comparison.model_validate(json.loads(table.read_text()))
    assert len(comparison.alternatives) == 3 and comparison.pairwise_different
    assert all(c.valid and c.within_tolerance for c in comparison.alternatives)
    for words in ("alternatives", "students moved vs #1", "equity flags", "(tolerance 2 %)"):
        assert words in result.output


def test_a_bad_tolerance_is_refused_naming_it(tmp_path: Path) -> None:
    output = tmp_path / "s.json"
    for item, words in [("speed=0.1", "not a level"), ("abc", "not a fraction"), ("2", "between")]:
        result = ipe("solve", DEMO, "-o", output, "--alternatives", "2", "--tolerance", item)
        assert result.exit_code == 2, result.output
        assert words in result.output and item in result.output
    assert not output.exists()
