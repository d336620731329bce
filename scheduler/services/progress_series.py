"""A run's progress over time: the points the run page draws, one series per objective level.

The solver reports its best value and bound many times per level; a run keeps each change
(`add_point`), at most `MAX_POINTS_PER_LEVEL` per level (older points are thinned, the
first and the newest always stay), so a long run's row stays small.
"""

from __future__ import annotations

from typing import Any

MAX_POINTS_PER_LEVEL = 200

Point = dict[str, Any]


def add_point(
    series: list[Point], *, level: str, elapsed_s: float, best: float | None, bound: float | None
) -> bool:
    """Append a point unless it repeats the level's last figures; True if it was added."""
    mine = [p for p in series if p["level"] == level]
    last = mine[-1] if mine else None
    if last is not None and (last["best"], last["bound"]) == (best, bound):
        return False
    series.append({"level": level, "elapsed_s": elapsed_s, "best": best, "bound": bound})
    if len(mine) + 1 > MAX_POINTS_PER_LEVEL:
        _thin(series, level)
    return True


def _thin(series: list[Point], level: str) -> None:
    """Drop every second point of a level, keeping its first and its newest."""
    positions = [i for i, p in enumerate(series) if p["level"] == level]
    dropped = set(positions[1:-1:2])
    series[:] = [p for i, p in enumerate(series) if i not in dropped]


def by_level(series: list[Point] | None) -> dict[str, list[Point]]:
    """The points of each level in the order the levels first appear."""
    levels: dict[str, list[Point]] = {}
    for point in series or []:
        levels.setdefault(str(point["level"]), []).append(point)
    return levels
