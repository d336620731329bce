"""SVG charts of an equity report for the coordinator pages: hand-written, no libraries.

Each chart is a self-contained `<svg role="img">` with a `<title>` and a `<desc>` that
states what a screen reader needs (which groups are flagged, by how much), and every bar
carries its group name and value as text: nothing is told by colour alone (a flagged bar
also says "flagged"). Charts draw gaps (group minus rest) around a zero line, with the flag
limit as dashed lines, so a coordinator sees at once which groups stand out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from scheduler.domain.equity import METRICS, CostLine, EquityReport, GroupOutcome

WIDTH = 880
MARGIN = 12
CHAR_PX = 7.6
"""Width of one character of bold 13 px text, generously: labels must not be clipped."""
LABEL_RIGHT = 245
ZERO = 420
HALF = 160
VALUE_LEFT = 600
ROW = 26
TOP = 56
BOTTOM = 40
FLAGGED_WORSE = "#a8201a"
FLAGGED = "#8a5a00"
PLAIN = "#5b6675"
INK = "#1f2328"

TITLES = {
    "coverage": "coverage",
    "top_choice_rate": "top-choice rate",
    "mean_rank": "mean preference rank",
    "mean_travel_km": "mean travel per placement",
    "p90_travel_km": "90th-percentile travel",
    "travel_per_student_km": "travel per student",
    "underserved_share": "share of placements at underserved sites",
    "moved_share": "share of students moved",
}
RATES = {"coverage", "top_choice_rate", "underserved_share", "moved_share"}
KM = {"mean_travel_km", "p90_travel_km", "travel_per_student_km"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    flagged: bool = False
    worse: bool = False


def format_gap(metric: str, gap: float) -> str:
    """A gap in the metric's unit: rates in percentage points, travel in km."""
    if metric in RATES:
        return f"{100 * gap:+.1f} pts"
    if metric in KM:
        return f"{gap:+.1f} km"
    return f"{gap:+.2f}"


def gap_chart(report: EquityReport, metric: str) -> str | None:
    """Group minus rest for one metric, one bar per group with a figure; None without any."""
    bars = [bar for group in report.groups if (bar := _gap_bar(group, metric)) is not None]
    if not bars:
        return None
    overall = getattr(report.overall, metric)
    limit = report.threshold * abs(overall) if overall is not None else None
    title = f"Gap in {TITLES[metric]}: each student group minus the rest"
    desc = _gap_desc(metric, bars, limit, report)
    return _diverging(f"gap-{metric}", title, desc, bars, limit)


def _gap_bar(group: GroupOutcome, metric: str) -> Bar | None:
    gap = getattr(group.gap, metric)
    if gap is None:
        return None
    flag = next((f for f in group.flags if f.metric == metric), None)
    return Bar(
        label=group.label,
        value=gap,
        text=format_gap(metric, gap),
        flagged=flag is not None,
        worse=bool(flag and flag.worse),
    )


def _gap_desc(metric: str, bars: list[Bar], limit: float | None, report: EquityReport) -> str:
    flagged = [f"{b.label} {b.text}{' (worse off)' if b.worse else ''}" for b in bars if b.flagged]
    limit_text = f"beyond the flag limit of ±{_plain(metric, limit)}" if limit is not None else ""
    summary = (
        f"{len(flagged)} of {len(bars)} groups are {limit_text}: {'; '.join(flagged)}."
        if flagged
        else f"No group is {limit_text or 'flagged'}."
    )
    return (
        f"Bars show each group's {TITLES[metric]} minus that of all other students; "
        f"right of zero means higher. {summary} Groups or rests of fewer than "
        f"{report.min_group_size} students are not shown ({report.suppressed_groups} left out)."
    )


def _plain(metric: str, value: float | None) -> str:
    return format_gap(metric, value or 0.0).lstrip("+")


def cost_chart(report: EquityReport) -> str | None:
    """What the fairness level cost: each objective with it minus without it."""
    if not report.cost:
        return None
    bars = [_cost_bar(line) for line in report.cost]
    desc = (
        "Each objective with the fairness level minus without it; bars are drawn relative to "
        "the value without it, so objectives in different units share one scale: "
        + "; ".join(f"{b.label} {b.text}" for b in bars)
    )
    return _diverging("cost", "What the fairness level cost", desc + ".", bars, None)


def _cost_bar(line: CostLine) -> Bar:
    """Bar length: the change relative to the value without fairness (0 when that is 0)."""
    unit = " km" if line.objective in ("travel_total", "travel_fairness", "equity_gap") else ""
    base = abs(line.without_fairness)
    relative = line.delta / base if base else 0.0
    share = f", {100 * relative:+.0f} %" if base else ""
    text = f"{line.delta:+g}{unit}{share} ({line.without_fairness:g} → {line.with_fairness:g})"
    return Bar(label=line.objective, value=relative, text=text)


def charts(report: EquityReport) -> dict[str, str]:
    """Every chart of the report by file name: gap-METRIC.svg per metric, cost.svg."""
    result = {}
    for metric in METRICS:
        chart = gap_chart(report, metric)
        if chart is not None:
            result[f"gap-{metric}.svg"] = chart
    cost = cost_chart(report)
    if cost is not None:
        result["cost.svg"] = cost
    return result


# --- drawing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Columns of a chart: labels end at `label_right`, bars grow from `zero` by up to
    `HALF` px either way, values start at `value_left`. Wide labels push everything right."""

    label_right: float
    zero: float
    value_left: float
    width: float
    scale: float

    @classmethod
    def of(cls, bars: list[Bar], limit: float | None) -> Layout:
        longest = max((len(b.label) for b in bars), default=0)
        label_right = max(LABEL_RIGHT, MARGIN + CHAR_PX * longest)
        zero = label_right + ZERO - LABEL_RIGHT
        value_left = zero + VALUE_LEFT - ZERO
        texts = max((len(b.text) + len(" flagged, worse off") for b in bars), default=0)
        width = max(WIDTH, value_left + CHAR_PX * texts + MARGIN)
        scale = HALF / max([abs(b.value) for b in bars] + [limit or 0.0, 1e-9])
        return cls(label_right, zero, value_left, width, scale)


def _diverging(ident: str, title: str, desc: str, bars: list[Bar], limit: float | None) -> str:
    """Horizontal bars around a zero line: labels left, bars centre, values right."""
    layout = Layout.of(bars, limit)
    width, height = round(layout.width), TOP + ROW * len(bars) + BOTTOM
    slug = re.sub(r"[^a-z0-9-]", "-", ident.lower())
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{slug}-title {slug}-desc" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{slug}-title">{escape(title)}</title>',
        f'<desc id="{slug}-desc">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="24" font-size="15" font-weight="bold" fill="{INK}">'
        f"{escape(title)}</text>",
    ]
    parts += _axis(layout, height, limit)
    parts += [_bar(layout, index, bar) for index, bar in enumerate(bars)]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _axis(layout: Layout, height: int, limit: float | None) -> list[str]:
    bottom, zero = height - BOTTOM + 6, layout.zero
    lines = [
        f'<line x1="{zero:.1f}" y1="{TOP - 8}" x2="{zero:.1f}" y2="{bottom}" stroke="{INK}"/>',
        f'<text x="{zero:.1f}" y="{bottom + 16}" text-anchor="middle" fill="{INK}">0</text>',
    ]
    if limit:
        for x in (zero - limit * layout.scale, zero + limit * layout.scale):
            lines.append(
                f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{bottom}" '
                f'stroke="{INK}" stroke-dasharray="4 3"/>'
            )
        right = zero + limit * layout.scale + 4
        lines.append(f'<text x="{right:.1f}" y="{TOP - 12}" fill="{INK}">flag limit</text>')
    return lines


def _bar(layout: Layout, index: int, bar: Bar) -> str:
    y = TOP + index * ROW
    length = bar.value * layout.scale
    x = min(layout.zero, layout.zero + length)
    colour = FLAGGED_WORSE if bar.worse else FLAGGED if bar.flagged else PLAIN
    note = " flagged" + (", worse off" if bar.worse else "") if bar.flagged else ""
    weight = ' font-weight="bold"' if bar.flagged else ""
    return (
        f"<g><title>{escape(bar.label)}: {escape(bar.text)}{note}</title>"
        f'<text x="{layout.label_right:.1f}" y="{y + 15}" text-anchor="end" fill="{INK}"'
        f"{weight}>{escape(bar.label)}</text>"
        f'<rect x="{x:.1f}" y="{y + 4}" width="{max(abs(length), 1):.1f}" height="{ROW - 8}" '
        f"fill={quoteattr(colour)}/>"
        f'<text x="{layout.value_left:.1f}" y="{y + 15}" fill="{INK}"{weight}>'
        f"{escape(bar.text + note)}</text>"
        "</g>"
    )
