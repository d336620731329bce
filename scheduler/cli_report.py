"""`ipe report`: the equity report of a schedule as a table, and as JSON, CSV and SVG files.

Registered into the `ipe` app by the import at the end of `scheduler.cli`. It reaches the
solver only through `scheduler.services` (the baseline solve of the cost section). Exit
codes as `ipe`: 0 ok, 1 a given schedule breaks rules, 2 bad input, 3 the solver broke a rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from scheduler import cli_render as render
from scheduler.cli import (
    EXIT_BAD_INPUT,
    EXIT_SOLVER_BUG,
    EXIT_VIOLATIONS,
    ScenarioArg,
    ScheduleArg,
    _not_a_folder_or_exit,
    _scenario_or_exit,
    _schedule_or_exit,
    _write_or_exit,
    app,
)
from scheduler.domain.equity import (
    DEFAULT_THRESHOLD,
    METRICS,
    EquityReport,
    GroupOutcome,
    to_csv,
)
from scheduler.domain.equity_svg import KM, RATES, TITLES, charts, format_gap
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services.reports import equity, has_fairness_level, solve_without_fairness
from scheduler.services.solving import check_schedule

SHORT = {
    "coverage": "needs met",
    "top_choice_rate": "top choice",
    "mean_rank": "mean rank",
    "mean_travel_km": "mean km",
    "p90_travel_km": "p90 km",
    "travel_per_student_km": "km per head",
    "underserved_share": "under- served",
    "moved_share": "moved",
}
"""Column headings of words of at most 6 letters: they wrap, so the table fits 80 columns."""
LEGEND = (
    "mean km, p90 km: per placement; km per head: travel summed per student who needs "
    "placements (what equity_gap compares); ! = gap flagged, red = group worse off"
)


@app.command()
def report(
    scenario: ScenarioArg,
    schedule: ScheduleArg,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the report as JSON.")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the report as CSV.")] = None,
    svg_dir: Annotated[
        Path | None, typer.Option("--svg", help="Write SVG charts into this folder.")
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, help="Flag gaps above this share of the all-students value.")
    ] = DEFAULT_THRESHOLD,
    previous: Annotated[
        Path | None, typer.Option("--previous", help="The schedule before a repair: who moved.")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="The term solved without equity_gap: the cost."),
    ] = None,
    solve_baseline: Annotated[
        bool, typer.Option("--solve-baseline", help="Solve the term without equity_gap for it.")
    ] = False,
    time_limit: Annotated[
        float | None, typer.Option(min=0.001, help="Seconds for the baseline solve.")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="CP-SAT search workers.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed of the baseline solve.")] = None,
) -> None:
    """Equity report: outcomes by profession and student group, gaps to the rest flagged."""
    problem = _scenario_or_exit(scenario)
    answer = _checked_or_exit(problem, _schedule_or_exit(schedule))
    for path in (json_out, csv_out):
        if path is not None:
            _not_a_folder_or_exit(path)
    before = _schedule_or_exit(previous) if previous is not None else None
    plain: Schedule | None = None
    if baseline is not None:
        plain = _checked_or_exit(problem, _schedule_or_exit(baseline))
    elif solve_baseline:
        plain = _solved_baseline(problem, time_limit, workers, seed)
    result = equity(
        scenario=problem, schedule=answer, threshold=threshold, previous=before, baseline=plain
    )
    show(result)
    _write_outputs(result, json_out, csv_out, svg_dir)


def _checked_or_exit(scenario: Scenario, schedule: Schedule) -> Schedule:
    """A report only on a schedule that keeps every hard rule: else the violations, exit 1."""
    outcome = check_schedule(scenario=scenario, schedule=schedule)
    if outcome.violations:
        render.violations(outcome.violations, solver_bug=False)
        raise typer.Exit(EXIT_VIOLATIONS)
    return schedule


def _solved_baseline(
    scenario: Scenario, time_limit: float | None, workers: int | None, seed: int | None
) -> Schedule | None:
    """The term solved without the fairness level (None, with a note, when it has none)."""
    if not has_fairness_level(scenario):
        render.say("no cost to show: the policy has no equity_gap level")
        return None
    with render.ProgressDisplay() as display:
        outcome = solve_without_fairness(
            scenario=scenario,
            time_limit_s=time_limit,
            workers=workers,
            seed=seed,
            on_progress=display.update,
        )
    if outcome.violations:
        render.violations(outcome.violations, solver_bug=True)
        raise typer.Exit(EXIT_SOLVER_BUG)
    return outcome.schedule


def _write_outputs(
    result: EquityReport, json_out: Path | None, csv_out: Path | None, svg_dir: Path | None
) -> None:
    if json_out is not None:
        _write_or_exit(json_out, json.dumps(result.model_dump(mode="json"), indent=2))
        render.say(f"wrote {render.escape(str(json_out))}")
    if csv_out is not None:
        _write_or_exit(csv_out, to_csv(result).rstrip("\n"))
        render.say(f"wrote {render.escape(str(csv_out))}")
    if svg_dir is not None:
        if svg_dir.exists() and not svg_dir.is_dir():
            render.say(f"[bold red]cannot write {render.escape(str(svg_dir))}:[/] not a folder")
            raise typer.Exit(EXIT_BAD_INPUT)
        drawn = charts(result)
        for name, svg in drawn.items():
            _write_or_exit(svg_dir / name, svg.rstrip("\n"))
        render.say(f"wrote {len(drawn)} chart(s) to {render.escape(str(svg_dir))}")


# --- terminal output -------------------------------------------------------------------------


def show(result: EquityReport) -> None:
    """The outcome table, every flagged gap in words, the equity gap and the cost."""
    render.console.print(outcome_table(result))
    _flags(result)
    render.say(
        f"groups not shown: {result.suppressed_groups} (fewer than {result.min_group_size} "
        "students in the group or in the rest)"
    )
    worst = result.equity_gap.worst_group
    setter = f" (set by {render.escape(worst)})" if worst else ""
    render.say(f"equity_gap: {result.equity_gap.value:g} km{setter}")
    if result.cost:
        render.console.print(cost_table(result))


def _metrics(result: EquityReport) -> list[str]:
    return [m for m in METRICS if m != "moved_share" or result.compared_with_previous]


def outcome_table(result: EquityReport) -> Table:
    """All students, then each dimension with its groups; a flagged figure is bold and marked
    `!` (red when the group is worse off). Group names fold rather than being cut."""
    table = Table(
        title="equity by group",
        title_justify="left",
        caption=LEGEND,
        caption_justify="left",
        box=box.SIMPLE,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("group", overflow="fold")
    table.add_column("n", justify="right", min_width=3)
    metrics = _metrics(result)
    for metric in metrics:
        table.add_column(SHORT[metric], justify="right", width=6)
    overall = [_figure(m, getattr(result.overall, m)) for m in metrics]
    table.add_row("all students", str(result.students), *overall)
    dimension = None
    for group in result.groups:
        if group.dimension != dimension:
            dimension = group.dimension
            table.add_section()
            table.add_row(f"[bold]{render.escape(dimension)}[/]")
        value = group.label.split("=", 1)[1]
        table.add_row(f"  {render.escape(value)}", str(group.students), *_cells(group, metrics))
    return table


def _cells(group: GroupOutcome, metrics: list[str]) -> list[str]:
    flags = {flag.metric: flag for flag in group.flags}
    cells = []
    for metric in metrics:
        text = _figure(metric, getattr(group.outcome, metric))
        flag = flags.get(metric)
        if flag is not None:
            style = "bold red" if flag.worse else "bold yellow"
            text = f"[{style}]{text}![/]"
        cells.append(text)
    return cells


def _figure(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    if metric in RATES:
        return f"{100 * value:.0f}%"
    if metric in KM:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _flags(result: EquityReport) -> None:
    """Flagged gaps in words: those where the group is worse off or that have no better side;
    gaps in a group's favour are only counted (the table marks them, the JSON lists them)."""
    flagged = result.flagged()
    limit = f"{100 * result.threshold:g}% of the all-students figure"
    if not flagged:
        render.say(f"no gap above {limit}")
        return
    shown = [(group, flag) for group, flag in flagged if flag.worse is not False]
    render.say(f"[bold]flagged gaps[/] (above {limit}):")
    for group, flag in shown:
        inside = _figure(flag.metric, getattr(group.outcome, flag.metric))
        outside = _figure(flag.metric, getattr(group.rest, flag.metric))
        side = " [bold red]worse off[/]" if flag.worse else ""
        render.say(
            f"  {render.escape(group.label)}: {TITLES[flag.metric]} {inside} vs {outside} "
            f"for the rest ({format_gap(flag.metric, flag.gap)}){side}"
        )
    if len(shown) < len(flagged):
        render.say(f"  and {len(flagged) - len(shown)} flagged gap(s) in a group's favour")


def cost_table(result: EquityReport) -> Table:
    """Each objective without the fairness level, with it, and the change."""
    table = Table(title="cost of the fairness level", title_justify="left")
    table.add_column("objective")
    for name in ("without", "with", "change"):
        table.add_column(name, justify="right")
    for line in result.cost:
        table.add_row(
            line.objective,
            render.number(line.without_fairness),
            render.number(line.with_fairness),
            f"{line.delta:+g}",
        )
    return table
