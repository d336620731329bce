"""Sessions running at the same moment, as cliques: one constraint per clique instead of one
per overlapping pair.

Sessions are time intervals, so every overlapping pair is running together at the later of
their two starts; the sets of sessions running at each start therefore cover every
overlapping pair. On the 5,000-student term one at-most-one per facilitator and clique
replaced about 500,000 pairwise ones (measured: model build and presolve seconds saved).
"""

from __future__ import annotations

from collections.abc import Iterable

from solver.prepare import SessionInfo


def running_together(sessions: Iterable[SessionInfo]) -> list[frozenset[str]]:
    """The maximal sets of sessions (two or more) that all run at one moment."""
    ordered = list(sessions)
    found = []
    for moment in {s.start for s in ordered}:
        group = frozenset(s.id for s in ordered if s.start <= moment < s.end)
        if len(group) > 1:
            found.append(group)
    return _maximal(found)


def _maximal(groups: list[frozenset[str]]) -> list[frozenset[str]]:
    """Drop groups contained in another (and duplicates)."""
    unique = sorted(set(groups), key=len, reverse=True)
    kept: list[frozenset[str]] = []
    for group in unique:
        if not any(group <= other for other in kept):
            kept.append(group)
    return kept
