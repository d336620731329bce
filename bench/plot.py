"""Objective and bound over time as a small SVG (no plotting library): one panel per
objective level, the value found (solid, dots) and the bound proven (dashed) as steps,
and, on the coverage panel, the straightforward model's coverage when it ran."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, PANEL_H, MARGIN_L, MARGIN_R, TOP = 760, 150, 90, 20, 64
VALUE, BOUND, NAIVE = "#1f5fa8", "#c0392b", "#7f8c8d"


def objective_svg(product: dict[str, Any], naive: dict[str, Any] | None = None) -> str:
    """The SVG document for one term's product run (and optional naive run)."""
    levels = [o["name"] for o in product.get("objectives", [])]
    end = max(
        [product.get("seconds") or 0.0]
        + [e["elapsed_s"] for e in product.get("trace", [])]
        + [e["elapsed_s"] for e in (naive or {}).get("trace", [])]
    )
    end = max(end, 1.0)
    panels = [_panel(product, naive, name, end) for name in levels]
    height = TOP + len(panels) * (PANEL_H + 44) + 30
    title = (
        f"{product['students']:,} students: objective value and bound over time "
        f"(time limit {product['time_limit_s']:g} s, status {product['status']})"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{MARGIN_L}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>',
        _legend(naive is not None and bool((naive or {}).get("trace"))),
    ]
    for index, body in enumerate(panels):
        y0 = TOP + index * (PANEL_H + 44) + 20
        parts.append(f'<g transform="translate(0,{y0})">{body}</g>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(with_naive: bool) -> str:
    x = MARGIN_L
    items = [(VALUE, "", "value (product)"), (BOUND, "5,4", "bound (product)")]
    if with_naive:
        items.append((NAIVE, "2,2", "coverage (straightforward model)"))
    out = []
    for n, (color, dash, label) in enumerate(items):
        x_at, y = x + 200 * n, 40
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x_at}" y1="{y}" x2="{x_at + 24}" y2="{y}" stroke="{color}" '
            f'stroke-width="2"{dashed}/><text x="{x_at + 30}" y="{y + 4}">{escape(label)}</text>'
        )
    return "".join(out)


def _panel(product: dict[str, Any], naive: dict[str, Any] | None, name: str, end: float) -> str:
    final = next(o for o in product["objectives"] if o["name"] == name)
    events = [e for e in product.get("trace", []) if e["level"] == name]
    values = [(e["elapsed_s"], e["value"]) for e in events]
    bounds = [(e["elapsed_s"], e["bound"]) for e in events if e["bound"] != e["value"]]
    finish = product.get("seconds") or end
    if final.get("value") is not None:
        values.append((finish, final["value"]))
    if final.get("bound") is not None:
        bounds.append((finish, final["bound"]))
    extra: list[tuple[float, float]] = []
    if name == "coverage" and naive and naive.get("trace"):
        extra = [(e["elapsed_s"], e["coverage"]) for e in naive["trace"]]
    ys = [v for _, v in values + bounds + extra]
    if not ys:
        return f'<text x="{MARGIN_L}" y="20">{escape(name)}: no value</text>'
    lo, hi = min(ys), max(ys)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    plot_w = WIDTH - MARGIN_L - MARGIN_R

    def sx(t: float) -> float:
        return MARGIN_L + plot_w * t / end

    def sy(v: float) -> float:
        return PANEL_H - PANEL_H * (v - lo) / (hi - lo)

    out = [
        f'<rect x="{MARGIN_L}" y="0" width="{plot_w}" height="{PANEL_H}" fill="none" '
        'stroke="#999"/>',
        f'<text x="{MARGIN_L}" y="-6" font-weight="bold">{escape(name)}</text>',
        f'<text x="{MARGIN_L - 6}" y="10" text-anchor="end">{_num(hi - pad)}</text>',
        f'<text x="{MARGIN_L - 6}" y="{PANEL_H}" text-anchor="end">{_num(lo + pad)}</text>',
    ]
    for tick in _ticks(end):
        x = sx(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{PANEL_H}" x2="{x:.1f}" y2="{PANEL_H + 4}" stroke="#999"/>'
            f'<text x="{x:.1f}" y="{PANEL_H + 15}" text-anchor="middle">{tick:g} s</text>'
        )
    out.append(_steps(values, sx, sy, VALUE, "", dots=True))
    out.append(_steps(bounds, sx, sy, BOUND, "5,4", dots=False))
    if extra:
        out.append(_steps(extra, sx, sy, NAIVE, "2,2", dots=False))
    gap = ""
    if final.get("value") is not None and final.get("bound") is not None:
        denominator = max(abs(final["value"]), 1e-9)
        gap = f", gap {abs(final['value'] - final['bound']) / denominator:.1%}"
    label = f"final {_num(final.get('value'))} / bound {_num(final.get('bound'))}{gap}"
    out.append(f'<text x="{WIDTH - MARGIN_R - 4}" y="14" text-anchor="end">{escape(label)}</text>')
    return "".join(out)


def _steps(points, sx, sy, color: str, dash: str, *, dots: bool) -> str:
    if not points:
        return ""
    points = sorted(points)
    path = f"M{sx(points[0][0]):.1f},{sy(points[0][1]):.1f}"
    for (_t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
        path += f" L{sx(t1):.1f},{sy(v0):.1f} L{sx(t1):.1f},{sy(v1):.1f}"
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    out = f'<path d="{path}" fill="none" stroke="{color}" stroke-width="1.8"{dashed}/>'
    if dots:
        out += "".join(
            f'<circle cx="{sx(t):.1f}" cy="{sy(v):.1f}" r="2.5" fill="{color}"/>' for t, v in points
        )
    return out


def _ticks(end: float) -> list[float]:
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600) if end / s <= 8)
    return [n * step for n in range(int(end // step) + 1)]


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.1f}"
