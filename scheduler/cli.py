"""The `ipe` command line: validate, solve and check terms; export the contract's schemas.

A thin layer over `scheduler.services` and `scheduler.domain`: it parses arguments, prints
and picks exit codes. It never imports ortools or `solver`; solving goes through services.
Exit codes: 0 ok, 1 the schedule breaks rules, 2 bad input, 3 the solver broke a rule.
"""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from scheduler import cli_render as render
from scheduler.cli_service import register as register_service_commands
from scheduler.domain.alternatives import MAX_ALTERNATIVES, Tolerance, parse_tolerance
from scheduler.domain.diff import ScheduleDiff, diff_schedules
from scheduler.domain.repair import with_previous
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule
from scheduler.services.reports import coverage
from scheduler.services.solving import (
    check_schedule,
    load_scenario_file,
    load_schedule_file,
    solve_alternative_schedules,
    solve_scenario,
)

EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
EXIT_SOLVER_BUG = 3

app = typer.Typer(
    name="ipe",
    help="Schedule interprofessional education sessions and clinical placements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario JSON (ipe-scenario/1).")]
ScheduleArg = Annotated[Path, typer.Argument(help="Schedule JSON (ipe-schedule/1).")]


class SchemaKind(StrEnum):
    scenario = "scenario"
    schedule = "schedule"


SCHEMA_MODELS: dict[SchemaKind, type[Scenario] | type[Schedule]] = {
    SchemaKind.scenario: Scenario,
    SchemaKind.schedule: Schedule,
}


def _scenario_or_exit(path: Path) -> Scenario:
    """The validated scenario, or every problem printed and exit 2."""
    loaded = load_scenario_file(path)
    if loaded.scenario is None or loaded.errors:
        render.errors(str(path), loaded.errors)
        raise typer.Exit(EXIT_BAD_INPUT)
    return loaded.scenario


def _schedule_or_exit(path: Path) -> Schedule:
    """The parsed schedule, or every problem printed and exit 2."""
    schedule, errors = load_schedule_file(path)
    if schedule is None:
        render.errors(str(path), errors)
        raise typer.Exit(EXIT_BAD_INPUT)
    return schedule


def _write_or_exit(path: Path, text: str) -> None:
    """Write a whole file (creating its folder); an unwritable path is bad input."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, (text + "\n").encode("utf-8"))
    except OSError as error:
        render.say(f"[bold red]cannot write {render.escape(str(path))}:[/] {error.strerror}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once: a crash or kill -9 part-way leaves the old
    file (or none), never half a schedule. Written beside it, synced, then renamed over it."""
    if path.exists() and not path.is_file():  # /dev/stdout, a pipe: nothing to replace
        path.write_bytes(data)
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), 0o666 & ~_umask())
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (reading it means setting it: put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _not_a_folder_or_exit(path: Path) -> None:
    """Refuse an output path that is a folder before spending minutes solving."""
    if path.is_dir():
        render.say(f"[bold red]cannot write {render.escape(str(path))}:[/] it is a folder")
        raise typer.Exit(EXIT_BAD_INPUT)


def _previous_or_exit(path: Path, scenario: Scenario) -> Schedule:
    """The earlier schedule to repair; it must be of the same term."""
    schedule = _schedule_or_exit(path)
    if schedule.term != scenario.term.id:
        message = f"schedule is for term {schedule.term!r}, the scenario is {scenario.term.id!r}"
        render.errors(str(path), [ErrorItem(path="term", message=message)])
        raise typer.Exit(EXIT_BAD_INPUT)
    return schedule


def _diff_line(diff: ScheduleDiff) -> str:
    return (
        f"changes against --previous: {diff.changes} ({len(diff.moved)} moved, "
        f"{len(diff.added)} added, {len(diff.dropped)} dropped), "
        f"{diff.people_affected} students affected"
    )


def _repair_path_line(schedule: Schedule) -> str:
    """Which repair path produced the schedule, and why a full solve when it was one."""
    repair = schedule.metrics.get("repair", {})
    if repair.get("path") == "local":
        return "repair path: local (only the affected students and their chains re-solved)"
    return f"repair path: full ({render.escape(str(repair.get('reason', 'unknown')))})"


def _counts(scenario: Scenario) -> str:
    sessions = sum(len(a.sessions) for a in scenario.activities)
    return f"{len(scenario.students)} students, {sessions} sessions, {len(scenario.slots)} slots"


@app.command()
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file and list every problem with its JSON path."""
    render.say(f"valid: {_counts(_scenario_or_exit(scenario))}")


@app.command()
def solve(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the schedule.")],
    time_limit: Annotated[
        float | None, typer.Option(min=0.001, help="Seconds (default: the policy's).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="CP-SAT search workers.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed of the search.")] = None,
    previous: Annotated[
        Path | None,
        typer.Option(help="Repair this earlier schedule: keep all the change allows."),
    ] = None,
    full_repair: Annotated[
        bool,
        typer.Option(help="With --previous: solve the whole term, not the local repair first."),
    ] = False,
    alternatives: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_ALTERNATIVES,
            help="Up to this many schedules within --tolerance of the best, as different as "
            "possible; the 2nd is written as OUTPUT-2.json and so on (docs/alternatives.md).",
        ),
    ] = 1,
    tolerance: Annotated[
        list[str] | None,
        typer.Option(
            help="With --alternatives: FRACTION for every level but coverage (default 0.02), "
            "or LEVEL=FRACTION (coverage=0 by default); repeatable.",
        ),
    ] = None,
    comparison: Annotated[
        Path | None,
        typer.Option(help="With --alternatives: write the comparison table as JSON here."),
    ] = None,
) -> None:
    """Solve a scenario, write the schedule and summarise it.

    With --previous, `stability` (fewest changes) comes right after `coverage` unless the
    policy places it, and the changes against the earlier schedule are summarised. With
    --alternatives K, up to K schedules and their comparison table."""
    problem = _scenario_or_exit(scenario)
    if alternatives > 1 or tolerance or comparison is not None:
        if previous is not None:
            render.say("[bold red]--alternatives:[/] cannot be combined with --previous")
            raise typer.Exit(EXIT_BAD_INPUT)
        shares = _tolerance_or_exit(tolerance or [], problem)
        _not_a_folder_or_exit(output)
        _solve_alternatives(
            problem, output, alternatives, shares, comparison, time_limit, workers, seed
        )
        return
    before = _previous_or_exit(previous, problem) if previous is not None else None
    if before is not None:
        problem = with_previous(problem, before)
    _not_a_folder_or_exit(output)
    with render.ProgressDisplay() as display:
        outcome = solve_scenario(
            scenario=problem,
            time_limit_s=time_limit,
            workers=workers,
            seed=seed,
            on_progress=display.update,
            local_repair=not full_repair,
        )
    schedule = outcome.schedule
    _write_or_exit(output, schedule.model_dump_json(indent=2, exclude_none=True))
    render.solve_summary(schedule, coverage(problem, schedule))
    render.say(f"wrote {render.escape(str(output))}")
    if schedule.status == "infeasible" and schedule.errors:
        render.errors(str(scenario), schedule.errors)
        raise typer.Exit(EXIT_BAD_INPUT)
    if before is not None:
        render.say(_diff_line(diff_schedules(before, schedule)))
        render.say(_repair_path_line(schedule))
    if outcome.violations:
        render.violations(outcome.violations, solver_bug=True)
        raise typer.Exit(EXIT_SOLVER_BUG)


def _tolerance_or_exit(texts: list[str], scenario: Scenario) -> Tolerance:
    try:
        return parse_tolerance(texts, list(scenario.policy.objectives))
    except ValueError as error:
        render.say(f"[bold red]--tolerance:[/] {render.escape(str(error))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def alternative_path(output: Path, index: int) -> Path:
    """Where alternative `index` (1 = the best, written to `output` itself) goes."""
    return output if index == 1 else output.with_name(f"{output.stem}-{index}{output.suffix}")


def _solve_alternatives(
    problem: Scenario,
    output: Path,
    count: int,
    tolerance: Tolerance,
    comparison: Path | None,
    time_limit: float | None,
    workers: int | None,
    seed: int | None,
) -> None:
    """Solve for alternatives, write each and the comparison, and print the table."""
    with render.ProgressDisplay() as display:
        outcome = solve_alternative_schedules(
            scenario=problem,
            count=count,
            tolerance=tolerance,
            time_limit_s=time_limit,
            workers=workers,
            seed=seed,
            on_progress=display.update,
        )
    render.solve_summary(outcome.schedules[0], coverage(problem, outcome.schedules[0]))
    for index, schedule in enumerate(outcome.schedules, start=1):
        path = alternative_path(output, index)
        _write_or_exit(path, schedule.model_dump_json(indent=2, exclude_none=True))
        render.say(f"wrote {render.escape(str(path))} (alternative {index})")
    if comparison is not None:
        _write_or_exit(comparison, outcome.comparison.model_dump_json(indent=2))
        render.say(f"wrote {render.escape(str(comparison))}")
    render.comparison(outcome.comparison)
    if len(outcome.schedules) < count:
        render.say(f"found {len(outcome.schedules)} of {count}: no further schedule in time")
    bad = [v for o in outcome.outcomes for v in o.violations]
    if bad:
        render.violations(bad, solver_bug=True)
        raise typer.Exit(EXIT_SOLVER_BUG)


@app.command()
def check(
    scenario: ScenarioArg,
    schedule: ScheduleArg,
    against: Annotated[
        Path | None,
        typer.Option(
            help="Another schedule of the scenario: fail when this (valid) schedule beats a "
            "bound it claims."
        ),
    ] = None,
) -> None:
    """Re-check a schedule against its scenario: every hard rule, every objective value and
    bound it claims (exit 1 on any broken rule or wrong claim)."""
    problem = _scenario_or_exit(scenario)
    answer = _schedule_or_exit(schedule)
    other = _schedule_or_exit(against) if against is not None else None
    outcome = check_schedule(scenario=problem, schedule=answer, against=other)
    render.console.print(render.objectives_table(answer.objectives, outcome.recomputed))
    if outcome.violations:
        render.violations(outcome.violations, solver_bug=False)
    if outcome.claim_problems:
        render.claim_problems(outcome.claim_problems)
    if outcome.violations or outcome.claim_problems:
        raise typer.Exit(EXIT_VIOLATIONS)
    render.say(
        f"valid: the schedule meets every hard rule ({len(answer.sessions)} sessions held, "
        f"{len(answer.placements)} placements)"
    )


@app.command()
def schema(
    kind: Annotated[SchemaKind | None, typer.Option(help="Only this document's schema.")] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write ipe-*-1.schema.json files here.")
    ] = None,
) -> None:
    """Print the JSON Schemas of the contract (both, keyed by kind, unless --kind is given)."""
    kinds = [kind] if kind else list(SchemaKind)
    schemas = {k: SCHEMA_MODELS[k].model_json_schema() for k in kinds}
    if output_dir is None:
        both = {k.value: body for k, body in schemas.items()}
        document: dict[str, Any] = schemas[kind] if kind else both
        typer.echo(json.dumps(document, indent=2))
        return
    for k, body in schemas.items():
        path = output_dir / f"ipe-{k.value}-1.schema.json"
        _write_or_exit(path, json.dumps(body, indent=2))
        render.say(f"wrote {render.escape(str(path))}")


@app.command()
def generate(
    students: Annotated[int, typer.Option(min=1, help="How many students.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the scenario.")],
    seed: Annotated[int, typer.Option(help="Same seed, same term.")] = 0,
    family: Annotated[
        str,
        typer.Option(
            help="Shape of the term: default, facilitator-bound, clinical-days, "
            "overlapping-blocks, many-small-activities, one-large-activity, tight-seats, "
            "nursing-trust or clerkship."
        ),
    ] = "default",
) -> None:
    """Generate a synthetic term scenario for demos and benchmarks."""
    from scheduler.synthetic import generate_term, scenario_to_json
    from scheduler.synthetic_families import family_named

    try:
        shape = family_named(family)
    except ValueError as error:
        render.say(f"[bold red]--family:[/] {render.escape(str(error))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    term = generate_term(students=students, seed=seed, family=shape)
    _write_or_exit(output, scenario_to_json(term))
    render.say(f"wrote {render.escape(str(output))}: {_counts(term)}, {len(term.sites)} sites")


# `ipe db ...`, `ipe serve` and `ipe demo` live in their own module.
register_service_commands(app)
# `ipe explain`, `ipe outbox deliver`, `ipe report`:
from scheduler import cli_explain, cli_outbox, cli_report  # noqa: E402, F401


def main() -> None:
    """Console-script entry point (`ipe`)."""
    app()
