"""`ipe explain`: why needs are unmet, and which changes, verified by re-solving, meet more.

Registered into the `ipe` app by the import at the end of `scheduler.cli`. Like the other
commands it reaches the solver only through `scheduler.services`. Exit codes as `ipe`:
0 ok, 1 a given schedule breaks rules, 2 bad input, 3 the solver broke a rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from scheduler import cli_render as render
from scheduler.cli import (
    EXIT_BAD_INPUT,
    EXIT_SOLVER_BUG,
    EXIT_VIOLATIONS,
    ScenarioArg,
    _not_a_folder_or_exit,
    _scenario_or_exit,
    _schedule_or_exit,
    _write_or_exit,
    app,
)
from scheduler.domain.schedule import Suggestion, Unassigned
from scheduler.services.explaining import (
    DEFAULT_TIME_LIMIT_S,
    ExplainOutcome,
    UnknownStudent,
    explain_scenario,
)

GROUPS_SHOWN = 15


@app.command()
def explain(
    scenario: ScenarioArg,
    student: Annotated[
        str | None, typer.Option("--student", help="Only this student's unmet needs.")
    ] = None,
    time_limit: Annotated[
        float, typer.Option(min=0.0, help="Seconds for what-if suggestions (0: none).")
    ] = DEFAULT_TIME_LIMIT_S,
    schedule: Annotated[
        Path | None, typer.Option("--schedule", help="Explain this schedule instead of solving.")
    ] = None,
    solve_time_limit: Annotated[
        float | None, typer.Option(min=0.001, help="Seconds for the solve (default: policy's).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the explained schedule here.")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="CP-SAT search workers.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed of the search.")] = None,
) -> None:
    """Explain every unmet need (causes, grouped) and suggest verified changes."""
    problem = _scenario_or_exit(scenario)
    given = _schedule_or_exit(schedule) if schedule is not None else None
    if output is not None:
        _not_a_folder_or_exit(output)
    try:
        outcome = explain_scenario(
            scenario=problem,
            student=student,
            time_limit_s=time_limit,
            schedule=given,
            solve_time_limit_s=solve_time_limit,
            workers=workers,
            seed=seed,
        )
    except UnknownStudent:
        render.say(f"[bold red]unknown student:[/] {render.escape(student or '')}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if outcome.violations:
        render.violations(outcome.violations, solver_bug=given is None)
        raise typer.Exit(EXIT_SOLVER_BUG if given is None else EXIT_VIOLATIONS)
    show(outcome)
    if output is not None:
        _write_or_exit(output, outcome.schedule.model_dump_json(indent=2, exclude_none=True))
        render.say(f"wrote {render.escape(str(output))}")


def show(outcome: ExplainOutcome) -> None:
    """Status, conflicts, causes (grouped, or the student's own) and suggestions."""
    schedule = outcome.schedule
    style = render.STATUS_STYLE.get(schedule.status, "bold")
    render.say(
        f"status: [bold {style}]{schedule.status}[/], "
        f"{len(schedule.unassigned)} unmet need(s) in the term"
    )
    _conflicts(outcome.conflicts)
    if outcome.student is None:
        _groups(outcome.groups)
    else:
        _entries(outcome.student, outcome.entries)
    _suggestions(outcome.suggestions, outcome.student)


def _conflicts(conflicts: Sequence[dict[str, Any]]) -> None:
    if not conflicts:
        return
    render.say("[bold red]contradictory rules[/] (no team can ever form):")
    for conflict in conflicts:
        render.say(f"  [bold]{render.escape(conflict['activity'])}[/]")
        for rule in conflict["rules"]:
            related = ", ".join(rule["related"])
            render.say(
                f"    [magenta]{rule['code']}[/]  {render.escape(rule['message'])}"
                f"  ({render.escape(related)})"
            )


def _groups(groups: Sequence[dict[str, Any]]) -> None:
    if not groups:
        return
    render.say("[bold]unmet needs by cause:[/]")
    for group in groups[:GROUPS_SHOWN]:
        render.say(
            f"  {group['needs']:>5}  [magenta]{group['code']}[/]  {render.escape(group['message'])}"
        )
    if len(groups) > GROUPS_SHOWN:
        render.say(f"  ... and {len(groups) - GROUPS_SHOWN} more groups (see -o FILE)")


def _entries(student: str, entries: Sequence[Unassigned]) -> None:
    if not entries:
        render.say(f"student {render.escape(student)}: every need is met")
        return
    render.say(f"[bold]student {render.escape(student)}:[/] {len(entries)} unmet need(s)")
    for entry in entries:
        need = entry.activity or entry.requirement or ""
        render.say(f"  [bold]{render.escape(need)}[/]")
        for position, reason in enumerate(entry.reasons):
            indent = "    " if position == 0 else "      - "
            related = f"  ({render.escape(', '.join(reason.related))})" if reason.related else ""
            render.say(
                f"{indent}[magenta]{reason.code}[/]  {render.escape(reason.message)}{related}"
            )


def _suggestions(suggestions: Sequence[Suggestion], student: str | None) -> None:
    if not suggestions:
        render.say("no verified suggestion (within the time limit)")
        return
    render.say("[bold]suggestions[/] (each verified by re-solving; gain in needs met):")
    for suggestion in suggestions:
        mark = ""
        if student is not None:
            mark = " [green](meets this student's need)[/]" if student in suggestion.helps else ""
        render.say(
            f"  [green]+{suggestion.gain}[/]  [magenta]{suggestion.code}[/]  "
            f"{render.escape(suggestion.message)}{mark}"
        )
