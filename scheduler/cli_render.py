"""How the `ipe` command line shows things: errors, violations, progress and summaries.

Kept apart from `scheduler.cli` so the commands stay a few lines each. Everything printed
here is user data, so it is escaped before rich sees it (ids like `[x]` are not markup).
Long lines are never wrapped: a JSON path or a rule code must stay greppable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from scheduler.domain.alternatives import Comparison
from scheduler.domain.schedule import ErrorItem, ObjectiveResult, Schedule
from scheduler.services.reports import Coverage, total_coverage
from scheduler.services.solving import SolveProgress, Violation

console = Console(highlight=False)

STATUS_STYLE = {"optimal": "green", "feasible": "yellow", "infeasible": "red", "invalid": "red"}


def number(value: float | None) -> str:
    """An objective figure as people read it: integers plain, others to two decimals."""
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def say(text: str) -> None:
    """Print one line of markup without wrapping it."""
    console.print(text, soft_wrap=True)


def errors(source: str, items: Sequence[ErrorItem]) -> None:
    """Every problem of an input file, one `path  message` line each."""
    say(f"[bold red]invalid:[/] {escape(source)} has {len(items)} problem(s)")
    for item in items:
        say(f"  [cyan]{escape(item.path)}[/]  {escape(item.message)}")


def violations(items: Sequence[Violation], *, solver_bug: bool) -> None:
    """Every broken hard rule, one line each; louder when the solver produced them."""
    if solver_bug:
        say(f"[bold white on red] SOLVER BUG [/] the schedule breaks {len(items)} hard rule(s):")
    else:
        say(f"[bold red]{len(items)} violation(s):[/]")
    for item in items:
        related = f"  ({escape(', '.join(item.related))})" if item.related else ""
        say(f"  rule {item.rule}  [magenta]{escape(item.code)}[/]  {escape(item.message)}{related}")


def coverage_table(lines: Sequence[Coverage]) -> Table:
    """Needs met per activity and for placements, with the total."""
    table = Table(title="coverage", title_justify="left")
    table.add_column("need")
    for name in ("met", "total", "%"):
        table.add_column(name, justify="right")
    for line in [*lines, total_coverage(list(lines))]:
        share = f"{100 * line.met / line.total:.0f}" if line.total else "-"
        table.add_row(escape(line.name), str(line.met), str(line.total), share)
    return table


def objectives_table(
    results: Iterable[ObjectiveResult], recomputed: Mapping[str, float] | None = None
) -> Table:
    """Each level's value and bound; with `recomputed`, the validator's value beside it.

    A recomputed value that differs from the claimed one is shown in red: a readout bug.
    """
    table = Table(title="objectives", title_justify="left")
    table.add_column("level")
    table.add_column("value", justify="right")
    table.add_column("bound", justify="right")
    if recomputed is not None:
        table.add_column("recomputed", justify="right")
    rows = list(results)
    if recomputed is not None:
        claimed = {result.name for result in rows}
        rows += [ObjectiveResult(name=name) for name in recomputed if name not in claimed]
    for result in rows:
        row = [escape(result.name), number(result.value), number(result.bound)]
        if recomputed is not None:
            row.append(_recomputed_cell(result, recomputed))
        table.add_row(*row)
    return table


def _recomputed_cell(result: ObjectiveResult, recomputed: Mapping[str, float]) -> str:
    value = recomputed.get(result.name)
    if value is None:
        return "-"
    if result.value is not None and abs(value - result.value) > 1e-6:
        return f"[bold red]{number(value)}[/]"
    return number(value)


def claim_problems(problems: Iterable[str]) -> None:
    """Claims of a schedule that do not hold: a wrong value or a bound that is beaten."""
    for problem in problems:
        say(f"[bold red]wrong claim:[/] {escape(problem)}")


def unmet_reasons(schedule: Schedule, limit: int = 10) -> None:
    """Why needs are unmet, by headline reason code (each entry's first), most common first;
    `ipe explain` shows the causes behind them."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for entry in schedule.unassigned:
        for reason in schedule.reasons_of(entry)[:1]:
            counts[reason.code] += 1
            example.setdefault(reason.code, reason.message)
    if not counts:
        return
    say(f"[bold]unmet needs:[/] {len(schedule.unassigned)}, by reason:")
    for code, count in counts.most_common(limit):
        say(f"  {count:>6}  [magenta]{escape(code)}[/]  e.g. {escape(example[code])}")


def infeasible(schedule: Schedule) -> None:
    """Never a bare "infeasible": the errors, else the conflicting rules, else where to look."""
    conflicts = schedule.metrics.get("explanations", {}).get("conflicts", [])
    if schedule.errors:
        errors("the scenario", schedule.errors)
    elif conflicts:
        for conflict in conflicts:
            say(f"  [bold red]conflict:[/] {escape(conflict['message'])}")
    else:
        say("  no conflicting rules were identified; run `ipe explain` on the scenario")


def solve_summary(schedule: Schedule, lines: Sequence[Coverage]) -> None:
    """Status, coverage, objective levels and time of a finished solve."""
    style = STATUS_STYLE.get(schedule.status, "bold")
    say(f"status: [bold {style}]{schedule.status}[/]")
    console.print(coverage_table(lines))
    console.print(objectives_table(schedule.objectives))
    info = schedule.solve
    solver = f" ({escape(info.solver)}, {info.workers} workers)" if info.solver else ""
    say(f"solved in {info.seconds:.1f} s{solver}")
    if schedule.status == "infeasible":
        infeasible(schedule)
    unmet_reasons(schedule)


def comparison(table: Comparison) -> None:
    """Alternatives side by side: every level (proven ones marked, out-of-tolerance in red),
    coverage per activity and requirement, equity flags, students moved."""
    columns = table.alternatives
    grid = Table(title="alternatives", title_justify="left")
    grid.add_column("")
    for column in columns:
        grid.add_column(f"#{column.index}", justify="right")
    grid.add_row("valid", *("yes" if c.valid else "[bold red]NO[/]" for c in columns))
    for position, name in enumerate(table.levels):
        cells = []
        for column in columns:
            cell = column.objectives[position]
            text = number(cell.value) + (" (proven)" if cell.proven else "")
            cells.append(text if cell.within else f"[bold red]{text}[/]")
        share = f"{100 * table.tolerance.of(name):g} %"
        grid.add_row(f"{escape(name)} (tolerance {share})", *cells)
    for activity in columns[0].coverage_by_activity:
        rates = (_percent(c.coverage_by_activity.get(activity)) for c in columns)
        grid.add_row(f"coverage {escape(activity)}", *rates)
    for requirement in columns[0].coverage_by_requirement:
        rates = (_percent(c.coverage_by_requirement.get(requirement)) for c in columns)
        grid.add_row(f"coverage {escape(requirement)}", *rates)
    grid.add_row("equity flags", *(str(len(c.equity_flags)) for c in columns))
    grid.add_row("students moved vs #1", *(str(c.moved_vs_first) for c in columns))
    grid.add_row(
        "fewest differing from an earlier",
        *("-" if c.fewest_differing is None else str(c.fewest_differing) for c in columns),
    )
    console.print(grid)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f} %"


class ProgressDisplay:
    """Live rows of solver progress, one per objective level, fed by `on_progress`.

    The solver may call `update` from its own threads; rich's progress is lock-protected.
    """

    def __init__(self) -> None:
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("[bold]{task.description:<16}"),
            TextColumn("best {task.fields[value]:>10}"),
            TextColumn("bound {task.fields[bound]:>10}"),
            TextColumn("{task.fields[elapsed]:>8}"),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, event: SolveProgress) -> None:
        """Show the newest value and bound of the level being optimised."""
        if event.level not in self._tasks:
            for task in self._tasks.values():
                self._progress.update(task, completed=1)
            self._tasks[event.level] = self._progress.add_task(
                escape(event.level), total=1, value="", bound="", elapsed=""
            )
        self._progress.update(
            self._tasks[event.level],
            value=number(event.value),
            bound=number(event.bound),
            elapsed=f"{event.elapsed_s:.1f} s",
        )
