"""The run page's charts: each objective level's best value and bound over time, as inline
SVG drawn on the server from the run's stored series (no script, no CDN: works offline).

Text in the SVG (level names, numbers) is escaped; only class attributes style it, so the
page's Content-Security-Policy (no inline styles or scripts) holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from scheduler.services.views import ProgressPoint, RunView

WIDTH, HEIGHT, PAD, LEFT, BOTTOM = 600, 220, 16, 72, 36


@dataclass(frozen=True)
class LevelChart:
    """One level's chart: its name, how many points it has, the SVG and a summary."""

    level: str
    points: int
    svg: Markup
    summary: str


def run_charts(run: RunView) -> list[LevelChart]:
    """The run's charts: its stored series, or (a run from before series were stored) the
    one point of its newest figures."""
    if run.series:
        return progress_charts(run.series)
    progress = run.progress
    if progress.level is None:
        return []
    point = ProgressPoint(
        level=progress.level,
        elapsed_s=progress.elapsed_s or 0.0,
        best=progress.best,
        bound=progress.bound,
    )
    return progress_charts([point])


def progress_charts(series: list[ProgressPoint]) -> list[LevelChart]:
    """One chart per objective level, in the order the run reached them."""
    levels: dict[str, list[ProgressPoint]] = {}
    for point in series:
        levels.setdefault(point.level, []).append(point)
    return [_chart(level, points) for level, points in levels.items()]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _chart(level: str, points: list[ProgressPoint]) -> LevelChart:
    values = [v for p in points for v in (p.best, p.bound) if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    t0 = points[0].elapsed_s
    t1 = max(points[-1].elapsed_s, t0 + 1)

    def x(t: float) -> float:
        return LEFT + (t - t0) / (t1 - t0) * (WIDTH - LEFT - PAD)

    def y(v: float) -> float:
        return HEIGHT - BOTTOM + (lo - v) / (hi - lo) * (HEIGHT - BOTTOM - PAD)

    last = points[-1]
    summary = (
        f"{level}: best {_fmt(last.best)}, bound {_fmt(last.bound)} after "
        f"{_number(last.elapsed_s)} s ({len(points)} point(s))"
    )
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(summary)}"'
        f' data-points="{len(points)}">',
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - PAD}"'
        f' y2="{HEIGHT - BOTTOM}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{PAD}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}"/>',
        f'<text x="{LEFT - 6}" y="{y(hi) + 4:.1f}" text-anchor="end">{_number(hi)}</text>',
        f'<text x="{LEFT - 6}" y="{y(lo) + 4:.1f}" text-anchor="end">{_number(lo)}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 10}" text-anchor="end">elapsed seconds:'
        f" {_number(t0)} to {_number(t1)}</text>",
    ]
    for key in ("bound", "best"):
        coords = [
            f"{x(p.elapsed_s):.1f},{y(v):.1f}" for p in points if (v := getattr(p, key)) is not None
        ]
        if coords:
            parts.append(
                f'<polyline class="{key}" fill="none" stroke-width="2"'
                f' points="{" ".join(coords)}"/>'
            )
            parts += [
                f'<circle class="dot-{key}" r="3" cx="{c.split(",")[0]}" cy="{c.split(",")[1]}"/>'
                for c in coords
            ]
    parts.append("</svg>")
    return LevelChart(level=level, points=len(points), svg=Markup("".join(parts)), summary=summary)


def _fmt(value: float | None) -> str:
    return "–" if value is None else _number(value)
