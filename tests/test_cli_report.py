"""`ipe report`: the equity table in the terminal, JSON/CSV/SVG files, the cost section, and
the exit codes of the other commands (1 broken schedule, 2 bad input)."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from factories import make_scenario, make_schedule, placement, site, slot, student
from typer.testing import CliRunner, Result

from scheduler.cli import app
from scheduler.domain.equity import EquityReport, csv_columns
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.domain.validator import objective_values
from scheduler.services.solving import solve_scenario

runner = CliRunner()
CITY = {"lat": 45.0, "lon": -75.0}
FAR = {"lat": 45.45, "lon": -75.0}  # 50 km north


def ipe(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def transit_term(objectives: list[str] | None = None) -> Scenario:
    """Six car students in the city and six transit students 50 km out (`rural_origin`);
    two sites in the city, H2 7.9 km east; three students speak French (never shown)."""
    students = []
    for i in range(6):
        students.append(student(f"c{i}", home=CITY, attributes={"rural_origin": False}))
        students.append(
            student(
                f"t{i}",
                travel_mode="transit",
                home=FAR,
                languages=["en", "fr"] if i < 3 else ["en"],
                attributes={"rural_origin": True},
            )
        )
    fields: dict[str, Any] = {
        "students": students,
        "activities": [],
        "sites": [site("H1", 45.0, -75.0), site("H2", 45.0, -74.9)],
        "slots": [slot("L1", site="H1", capacity=12), slot("L2", site="H2", capacity=12)],
        "placement_requirements": [{"profession": "NURS", "count": 1, "tags": {}}],
    }
    if objectives is not None:
        fields["policy"] = {"objectives": objectives}
    return make_scenario(**fields)


def all_at(slot_id: str, **moved: str) -> Schedule:
    ids = [f"{kind}{i}" for i in range(6) for kind in "ct"]
    return make_schedule(sessions=[], placements=[placement(s, moved.get(s, slot_id)) for s in ids])


def write(tmp_path: Path, name: str, document: Scenario | Schedule) -> Path:
    path = tmp_path / name
    path.write_text(document.model_dump_json(exclude_none=True), encoding="utf-8")
    return path


def files(tmp_path: Path, schedule: Schedule | None = None) -> tuple[Path, Path]:
    return (
        write(tmp_path, "term.json", transit_term()),
        write(tmp_path, "schedule.json", schedule or all_at("L1")),
    )


def test_report_prints_groups_flags_and_the_equity_gap(tmp_path):
    result = ipe("report", *files(tmp_path))
    assert result.exit_code == 0, result.output
    assert "equity by group" in result.output
    assert "travel_mode" in result.output
    assert "travel_mode=transit: mean travel per placement 50.0 vs 0.0" in result.output
    assert "worse off" in result.output
    assert "travel_mode=car:" not in result.output  # in the car students' favour: counted
    assert "flagged gap(s) in a group's favour" in result.output
    assert "equity_gap: 50 km (set by attributes.rural_origin=true)" in result.output
    assert "groups not shown: 1" in result.output  # language=fr, three students
    assert "language" not in result.output  # English is everyone, French too few


def test_report_writes_json_csv_and_svg(tmp_path):
    out = tmp_path / "out"
    result = ipe(
        "report",
        *files(tmp_path),
        "--json",
        out / "equity.json",
        "--csv",
        out / "equity.csv",
        "--svg",
        out / "charts",
    )
    assert result.exit_code == 0, result.output
    report = EquityReport.model_validate_json((out / "equity.json").read_text())
    assert report.equity_gap.value == 50.0
    with (out / "equity.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == csv_columns()
    assert len(rows) == 1 + len(report.groups)
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert "gap-mean_travel_km.svg" in charts
    for name in charts:
        assert ET.parse(out / "charts" / name).getroot().get("role") == "img"


def test_threshold_changes_what_is_flagged(tmp_path):
    result = ipe("report", *files(tmp_path), "--threshold", "100")
    assert result.exit_code == 0, result.output
    assert "no gap above 10000% of the all-students figure" in result.output


def test_previous_schedule_adds_who_moved(tmp_path):
    before = write(tmp_path, "before.json", all_at("L1", c0="L2", c1="L2", c2="L2"))
    result = ipe("report", *files(tmp_path), "--previous", before, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    report = EquityReport.model_validate_json((tmp_path / "r.json").read_text())
    assert report.overall.moved_share == 0.25
    assert "moved" in result.output


def test_baseline_file_gives_the_cost(tmp_path):
    scenario_path, schedule_path = files(tmp_path)
    plain = all_at("L2")
    baseline = write(tmp_path, "plain.json", plain)
    result = ipe(
        "report",
        scenario_path,
        schedule_path,
        "--baseline",
        baseline,
        "--json",
        tmp_path / "r.json",
    )
    assert result.exit_code == 0, result.output
    assert "cost of the fairness level" in result.output
    report = EquityReport.model_validate_json((tmp_path / "r.json").read_text())
    fair = objective_values(transit_term(), all_at("L1"))
    without = objective_values(transit_term(), plain)
    for line in report.cost:
        assert line.delta == round(fair[line.objective] - without[line.objective], 6)


def test_solve_baseline_needs_an_equity_level(tmp_path):
    result = ipe("report", *files(tmp_path), "--solve-baseline", "--time-limit", "5")
    assert result.exit_code == 0, result.output
    assert "no cost to show: the policy has no equity_gap level" in result.output
    assert "cost of the fairness level" not in result.output


def test_solve_baseline_solves_the_term_without_fairness(tmp_path):
    scenario = transit_term(["coverage", "equity_gap"])
    fair = solve_scenario(scenario=scenario, time_limit_s=5, workers=2, seed=0)
    assert fair.trusted
    scenario_path = write(tmp_path, "term.json", scenario)
    schedule_path = write(tmp_path, "fair.json", fair.schedule)
    out = tmp_path / "r.json"
    result = ipe(
        "report",
        scenario_path,
        schedule_path,
        "--solve-baseline",
        "--time-limit",
        "5",
        "--workers",
        "2",
        "--seed",
        "0",
        "--json",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "cost of the fairness level" in result.output
    cost = {line["objective"]: line for line in json.loads(out.read_text())["cost"]}
    assert (
        cost["equity_gap"]["with_fairness"]
        == objective_values(scenario, fair.schedule)["equity_gap"]
    )
    assert cost["equity_gap"]["delta"] <= 0


def test_a_schedule_that_breaks_rules_gets_no_report(tmp_path):
    broken = make_schedule(sessions=[], placements=[placement("c0", "L9")])
    out = tmp_path / "r.json"
    result = ipe("report", *files(tmp_path, broken), "--json", out)
    assert result.exit_code == 1
    assert "violation" in result.output
    assert not out.exists()


def test_svg_folder_that_is_a_file_is_bad_input(tmp_path):
    target = tmp_path / "charts"
    target.write_text("not a folder")
    result = ipe("report", *files(tmp_path), "--svg", target)
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_negative_threshold_is_bad_input(tmp_path):
    result = ipe("report", *files(tmp_path), "--threshold", "-1")
    assert result.exit_code == 2
