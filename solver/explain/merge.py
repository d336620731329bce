"""Fold per-session or per-slot causes of one need into one reason per shared cause."""

from __future__ import annotations

from collections.abc import Iterable

from solver.explain.facts import Cause

MAX_MESSAGES = 3
MAX_RELATED = 20


def merge(causes: Iterable[Cause]) -> list[Cause]:
    """Causes with the same code and key become one: messages joined, related ids united.

    Order is kept (first occurrence), so the most specific checks, made first, lead."""
    grouped: dict[tuple[str, tuple[str, ...]], list[Cause]] = {}
    for cause in causes:
        grouped.setdefault((cause.code, cause.key), []).append(cause)
    return [_fold(items) for items in grouped.values()]


def _fold(items: list[Cause]) -> Cause:
    if len(items) == 1:
        return items[0]
    messages = list(dict.fromkeys(c.message for c in items))
    text = "; ".join(messages[:MAX_MESSAGES])
    if len(messages) > MAX_MESSAGES:
        text += f"; and {len(messages) - MAX_MESSAGES} more"
    related = unique(r for c in items for r in c.related)
    return Cause(items[0].code, text, related, items[0].key)


def unique(values: Iterable[str], limit: int = MAX_RELATED) -> tuple[str, ...]:
    """Distinct values in first-seen order, at most `limit` of them."""
    return tuple(dict.fromkeys(values))[:limit]


def listing(values: Iterable[str], limit: int = 4) -> str:
    """ "A, B, C and 2 more": ids in a sentence without drowning it."""
    items = list(dict.fromkeys(values))
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"
