"""The `ipe` command line: exit codes, error paths and never a traceback for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from scheduler.cli import app

HERE = Path(__file__).parent
MALFORMED = HERE / "malformed"
SCHEDULES = HERE / "schedules"
BASE = MALFORMED / "_base.json"
TINY = HERE.parent / "fixtures" / "tiny.json"

runner = CliRunner()


def ipe(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def assert_clean(result: Result) -> None:
    """Bad input is reported, never raised: no traceback, no stray exception."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# (file under tests/malformed, JSON path the error must name)
MALFORMED_CASES = [
    ("bad_json_syntax.json", "$"),
    ("empty_file.json", "$"),
    ("not_an_object.json", "$"),
    ("wrong_format.json", "format"),
    ("wrong_type.json", "slots[0].capacity"),
    ("missing_required_field.json", "term.timezone"),
    ("unknown_field.json", "students[1].nickname"),
    ("dangling_profession.json", "students[2].profession"),
    ("dangling_room.json", "activities[0].sessions[1].room"),
    ("dangling_slot_site.json", "slots[1].site"),
    ("dangling_period.json", "slots[0].period"),
    ("duplicate_student_id.json", "students[2].id"),
    ("duplicate_session_id.json", "activities[1].sessions[0].id"),
    ("end_before_start.json", "activities[0].sessions[0].end"),
    ("interval_outside_term.json", "students[0].unavailable[0]"),
    ("unknown_timezone.json", "term.timezone"),
    ("negative_capacity.json", "slots[0].capacity"),
    ("min_size_above_max_size.json", "activities[0].team.min_size"),
    ("min_professions_above_participants.json", "activities[0].team.min_professions"),
    ("profession_minimums_above_max_size.json", "activities[0].team.professions"),
    ("offset_in_datetime.json", "activities[0].sessions[0].start"),
    ("weekly_window_bad_time.json", "periods[0].weekly[0].end"),
    ("wrong_weekday.json", "program_calendars[0].weekly_unavailable[0].day"),
    ("site_preferences_unknown_site.json", "students[1].site_preferences[0]"),
    ("tag_minimum_above_count.json", "placement_requirements[1].tags.community"),
]


def test_every_malformed_file_has_a_case() -> None:
    on_disk = {p.name for p in MALFORMED.glob("*.json") if not p.name.startswith("_")}
    assert on_disk == {name for name, _ in MALFORMED_CASES}


def test_validate_accepts_the_base_scenario() -> None:
    result = ipe("validate", BASE)
    assert result.exit_code == 0, result.output
    assert "valid: 4 students, 3 sessions, 2 slots" in result.output


@pytest.mark.parametrize(("name", "path"), MALFORMED_CASES)
def test_validate_names_the_json_path(name: str, path: str) -> None:
    result = ipe("validate", MALFORMED / name)
    assert result.exit_code == 2, result.output
    assert f"  {path}  " in result.output
    assert_clean(result)


def test_validate_explains_a_bad_clock_time() -> None:
    result = ipe("validate", MALFORMED / "weekly_window_bad_time.json")
    assert result.exit_code == 2
    assert "expected a clock time HH:MM (00:00-24:00), found '25:00'" in result.output
    assert "should match pattern" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage\x80\x81", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "not a usable JSON document"),
        (b'{"format": "ipe-scenario/1", "x": ' + b"9" * 5000 + b"}", "not a usable JSON document"),
    ],
    ids=["binary", "deep-nesting", "huge-number"],
)
def test_validate_survives_hostile_bytes(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "scenario.json"
    file.write_bytes(content)
    result = ipe("validate", file)
    assert result.exit_code == 2
    assert message in result.output
    assert_clean(result)


def test_validate_reports_missing_file_and_folder(tmp_path: Path) -> None:
    missing = ipe("validate", tmp_path / "nope.json")
    folder = ipe("validate", tmp_path)
    for result in (missing, folder):
        assert result.exit_code == 2
        assert "cannot read" in result.output
        assert_clean(result)


def test_schema_prints_both_schemas_as_one_document() -> None:
    result = ipe("schema")
    assert result.exit_code == 0
    schemas = json.loads(result.output)
    assert set(schemas) == {"scenario", "schedule"}
    assert {"format", "term", "students", "activities", "slots", "policy"} <= set(
        schemas["scenario"]["properties"]
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("scenario", {"format", "term", "professions", "students", "placement_requirements"}),
        ("schedule", {"format", "term", "status", "objectives", "sessions", "unassigned"}),
    ],
)
def test_schema_of_one_kind(kind: str, expected: set[str]) -> None:
    result = ipe("schema", "--kind", kind)
    assert result.exit_code == 0
    assert expected <= set(json.loads(result.output)["properties"])


def test_schema_writes_files(tmp_path: Path) -> None:
    result = ipe("schema", "-o", tmp_path / "schemas")
    assert result.exit_code == 0
    written = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert written == ["ipe-scenario-1.schema.json", "ipe-schedule-1.schema.json"]
    scenario = json.loads((tmp_path / "schemas" / "ipe-scenario-1.schema.json").read_text())
    assert "students" in scenario["properties"]


def test_check_accepts_a_valid_schedule() -> None:
    result = ipe("check", BASE, SCHEDULES / "valid.json")
    assert result.exit_code == 0, result.output
    assert "valid:" in result.output
    assert "recomputed" in result.output


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("unknown_student.json", "unknown_student"),
        ("slot_over_capacity.json", "slot_over_capacity"),
    ],
)
def test_check_lists_violations(name: str, code: str) -> None:
    result = ipe("check", BASE, SCHEDULES / name)
    assert result.exit_code == 1, result.output
    assert code in result.output
    assert_clean(result)


def test_check_rejects_a_malformed_schedule() -> None:
    result = ipe("check", BASE, SCHEDULES / "bad_status.json")
    assert result.exit_code == 2
    assert "  status  " in result.output
    assert "  sessions[0].activity  " in result.output
    assert_clean(result)


def test_check_rejects_a_malformed_scenario() -> None:
    result = ipe("check", MALFORMED / "dangling_room.json", SCHEDULES / "valid.json")
    assert result.exit_code == 2
    assert "activities[0].sessions[1].room" in result.output


def test_solve_writes_nothing_for_an_invalid_scenario(tmp_path: Path) -> None:
    out = tmp_path / "schedule.json"
    result = ipe("solve", MALFORMED / "dangling_room.json", "-o", out)
    assert result.exit_code == 2
    assert not out.exists()
    assert_clean(result)


def test_solve_refuses_a_folder_as_output(tmp_path: Path) -> None:
    result = ipe("solve", BASE, "-o", tmp_path)
    assert result.exit_code == 2
    assert "folder" in result.output


@pytest.mark.parametrize("scenario", [BASE, TINY], ids=["base", "tiny"])
def test_solve_then_check(tmp_path: Path, scenario: Path) -> None:
    pytest.importorskip("solver.driver")
    if not scenario.exists():
        pytest.skip(f"{scenario} not there yet")
    out = tmp_path / "schedule.json"
    solved = ipe(
        "solve", scenario, "-o", out, "--time-limit", "10", "--workers", "1", "--seed", "1"
    )
    assert solved.exit_code == 0, solved.output
    assert "status:" in solved.output and "coverage" in solved.output
    assert json.loads(out.read_text())["format"] == "ipe-schedule/1"
    checked = ipe("check", scenario, out)
    assert checked.exit_code == 0, checked.output


def test_generate_writes_a_valid_scenario(tmp_path: Path) -> None:
    pytest.importorskip("scheduler.synthetic")
    out = tmp_path / "term.json"
    result = ipe("generate", "--students", "40", "--seed", "3", "-o", out)
    assert result.exit_code == 0, result.output
    assert "40 students" in result.output
    assert ipe("validate", out).exit_code == 0


def _claiming(tmp_path: Path, name: str, **levels: tuple[float, float]) -> Path:
    """tests/schedules/valid.json with some levels' (value, bound) claims replaced."""
    data = json.loads((SCHEDULES / "valid.json").read_text())
    for level in data["objectives"]:
        if level["name"] in levels:
            level["value"], level["bound"] = levels[level["name"]]
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_check_fails_on_a_claimed_value_that_differs_from_the_recomputed_one(
    tmp_path: Path,
) -> None:
    result = ipe("check", BASE, _claiming(tmp_path, "wrong.json", preferences=(5, 3)))
    assert result.exit_code == 1, result.output
    assert "preferences: the schedule claims 5, but its placements and sessions give 3" in (
        " ".join(result.output.split())
    )
    assert_clean(result)


def test_check_fails_when_the_schedule_beats_its_own_claimed_bound(tmp_path: Path) -> None:
    result = ipe("check", BASE, _claiming(tmp_path, "bound.json", coverage=(11, 9)))
    assert result.exit_code == 1, result.output
    assert "coverage: the claimed bound 9 is beaten" in " ".join(result.output.split())


def test_check_against_another_schedule_refutes_its_bound(tmp_path: Path) -> None:
    """A valid schedule with coverage 11 refutes another schedule's claim that 10 is the most
    possible; a claim it does not beat stands."""
    weaker = _claiming(tmp_path, "weaker.json", coverage=(10, 10))
    result = ipe("check", BASE, SCHEDULES / "valid.json", "--against", weaker)
    assert result.exit_code == 1, result.output
    assert "against: coverage: the claimed bound 10 is beaten by a valid schedule with 11" in (
        " ".join(result.output.split())
    )
    fair = _claiming(tmp_path, "fair.json", coverage=(11, 12))
    assert ipe("check", BASE, SCHEDULES / "valid.json", "--against", fair).exit_code == 0


def test_generate_takes_a_family_and_rejects_an_unknown_one(tmp_path: Path) -> None:
    out = tmp_path / "term.json"
    result = ipe("generate", "--students", "30", "--family", "clinical-days", "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["term"]["id"] == "gen-30-0-clinical-days"
    assert ipe("validate", out).exit_code == 0
    bad = ipe("generate", "--students", "30", "--family", "huge", "-o", tmp_path / "x.json")
    assert bad.exit_code == 2 and "known families" in bad.output
    assert not (tmp_path / "x.json").exists()
