"""The equity report of a stored schedule version, for the coordinator of its term.

Owns choosing the version (the one asked for, else the published one, else the newest),
building the report from the term as it stands, with the students' demographic attributes
put back (the figures need them), and the table a page shows of it. The report holds
groups only in aggregate (groups or rests under 5 suppressed, `scheduler.domain.equity`),
never a student, so a read is audited as one `equity.report` row naming the version and
the output rather than one `student.read` per student. Must not import `api`, fastapi or
starlette.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from scheduler.db import audit
from scheduler.db.tables import UserRow
from scheduler.domain.equity import METRICS, EquityReport, GapFlag, GroupOutcome, to_csv
from scheduler.domain.equity_svg import KM, RATES, TITLES, format_gap
from scheduler.services import term_rows
from scheduler.services.errors import found
from scheduler.services.reports import equity, equity_charts
from scheduler.services.versions import get_version, list_versions, version_schedule
from scheduler.services.views import VersionView, version_view

Output = Literal["page", "csv", "json"]


@dataclass(frozen=True)
class VersionEquity:
    """A version's equity report, its charts (SVG by file name) and the version."""

    version: VersionView
    report: EquityReport
    charts: dict[str, str]

    def csv(self) -> str:
        return to_csv(self.report)

    def json(self) -> str:
        return self.report.model_dump_json(indent=2)


def chosen_version(
    session: Session, *, actor: UserRow, term_id: int, version_id: int | None
) -> int | None:
    """`version_id` when given; else the published version, else the newest; None when
    the term has no version yet."""
    if version_id is not None:
        return version_id
    listed = list_versions(session, actor=actor, term_id=term_id)
    published = [v.id for v in listed if v.state == "published"]
    candidates = published + [v.id for v in listed]
    return candidates[0] if candidates else None


def version_equity(
    session: Session, *, actor: UserRow, term_id: int, version_id: int | None, output: Output
) -> VersionEquity:
    """The equity report of a version of a managed term (`chosen_version` when None),
    audited as one `equity.report` row; NotFound when the term has no version."""
    chosen = chosen_version(session, actor=actor, term_id=term_id, version_id=version_id)
    term, version = get_version(
        session, actor=actor, term_id=term_id, version_id=found(chosen, "schedule version")
    )
    scenario = term_rows.current_scenario(session, term)
    report = equity(scenario=scenario, schedule=version_schedule(version))
    audit.record(
        session,
        actor=actor,
        action="equity.report",
        entity="schedule_version",
        entity_id=version.id,
        term_id=term.id,
        detail={"version": version.number, "output": output},
    )
    charts = equity_charts(report) if output == "page" else {}
    return VersionEquity(version=version_view(version), report=report, charts=charts)


# ---- the table a page shows ------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One metric of one group, in words: its figure, the rest's, the gap and any flag."""

    value: str
    rest: str = ""
    gap: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Line:
    label: str
    students: int
    cells: list[Cell]


@dataclass(frozen=True)
class EquityTable:
    """Columns are the metrics with any figure; the first line is all students."""

    metrics: list[str]
    titles: list[str]
    lines: list[Line]
    flagged: list[str]
    """Flagged gaps where the group is worse off or that have no better side, as sentences
    (as `ipe report` says them); gaps in a group's favour are only counted."""
    favourable: int


def equity_table(report: EquityReport) -> EquityTable:
    """The report as a page shows it: figures in their units, flags spelled out."""
    metrics = [m for m in METRICS if _has_figure(report, m)]
    overall = Line(
        "all students",
        report.students,
        [Cell(figure(m, getattr(report.overall, m))) for m in metrics],
    )
    lines = [overall, *(_group_line(group, metrics) for group in report.groups)]
    flags = report.flagged()
    flagged = [_sentence(group, flag) for group, flag in flags if flag.worse is not False]
    favourable = len(flags) - len(flagged)
    return EquityTable(metrics, [TITLES[m] for m in metrics], lines, flagged, favourable)


def _has_figure(report: EquityReport, metric: str) -> bool:
    outcomes = [report.overall, *(g.outcome for g in report.groups)]
    return any(getattr(o, metric) is not None for o in outcomes)


def _group_line(group: GroupOutcome, metrics: list[str]) -> Line:
    flags = {flag.metric: flag for flag in group.flags}
    cells = []
    for metric in metrics:
        gap = getattr(group.gap, metric)
        cells.append(
            Cell(
                value=figure(metric, getattr(group.outcome, metric)),
                rest=figure(metric, getattr(group.rest, metric)),
                gap=format_gap(metric, gap) if gap is not None else "",
                flag=_flag_text(flags.get(metric)),
            )
        )
    return Line(group.label, group.students, cells)


def figure(metric: str, value: float | None) -> str:
    """A figure in its unit ("–" when blank: nothing to measure or too few students)."""
    if value is None:
        return "–"
    if metric in RATES:
        return f"{100 * value:.0f}%"
    if metric in KM:
        return f"{value:.1f} km"
    return f"{value:.2f}"


def _flag_text(flag: GapFlag | None) -> str:
    if flag is None:
        return ""
    if flag.worse is None:
        return "flagged"
    return "flagged, worse off" if flag.worse else "flagged, better off"


def _sentence(group: GroupOutcome, flag: GapFlag) -> str:
    inside = figure(flag.metric, getattr(group.outcome, flag.metric))
    outside = figure(flag.metric, getattr(group.rest, flag.metric))
    return (
        f"{group.label}: {TITLES[flag.metric]} {inside} against {outside} for the rest "
        f"(gap {format_gap(flag.metric, flag.gap)}, limit ±"
        f"{format_gap(flag.metric, flag.limit).lstrip('+')}): {_flag_text(flag)}."
    )
