"""Facilitators in interchangeable groups: the model counts how many of a group run each
session, and the read-out names them.

Facilitators free for exactly the same sessions with the same `max_sessions` are
interchangeable. One count per session and group replaces one boolean per session and
facilitator (on the 5,000-student term, 52 groups instead of 200 facilitators: about 16,000
counts instead of 62,000 booleans). The counts are exact, not a relaxation, because a group
is only formed when any counts meeting its constraints can be dealt to named members:

- at most `size` of the group in sessions running together (a clique), and
- at most `size * max_sessions` sessions in all.

Dealing copies of the sessions in start order to the least-loaded free member succeeds
whenever there is no `max_sessions` (interval graphs are perfect: clique weight <= size is
enough), and also with one when the group's sessions that overlap form separate cliques
(loads then stay within one of each other, so nobody exceeds ceil(total / size)). Other
facilitators form groups of one, which are the plain booleans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from solver.prepare import Prepared, SessionInfo


@dataclass(frozen=True)
class FacilitatorGroup:
    index: int
    members: tuple[str, ...]
    sessions: frozenset[str]
    max_sessions: int | None

    @property
    def size(self) -> int:
        return len(self.members)


def facilitator_groups(prep: Prepared, sessions: Iterable[str]) -> list[FacilitatorGroup]:
    """Groups of interchangeable facilitators over the given (staffed) sessions."""
    staffed = set(sessions)
    free_for: dict[str, set[str]] = defaultdict(set)
    for session_id in staffed:
        for facilitator in prep.sessions[session_id].facilitators:
            free_for[facilitator].add(session_id)
    limits = {f.id: f.max_sessions for f in prep.scenario.facilitators}
    alike: dict[tuple[frozenset[str], int | None], list[str]] = defaultdict(list)
    for facilitator in sorted(free_for):
        alike[frozenset(free_for[facilitator]), limits[facilitator]].append(facilitator)
    groups: list[FacilitatorGroup] = []
    for (free, limit), members in alike.items():
        dealable = limit is None or _separate_cliques(prep, free)
        parts = [members] if dealable else [[m] for m in members]
        for part in parts:
            groups.append(FacilitatorGroup(len(groups), tuple(part), free, limit))
    return groups


def _separate_cliques(prep: Prepared, sessions: frozenset[str]) -> bool:
    """True when every two overlapping sessions overlap the same others (among `sessions`)."""
    overlaps = prep.session_overlaps
    for session_id in sessions:
        around = (overlaps.get(session_id, set()) & sessions) | {session_id}
        for other in around - {session_id}:
            if (overlaps.get(other, set()) & sessions) | {other} != around:
                return False
    return True


def counts_of(
    groups: list[FacilitatorGroup], named: Mapping[str, Iterable[str]]
) -> dict[tuple[str, int], int]:
    """counts[session, group] of named facilitators (for hints from a named schedule)."""
    group_of = {member: group.index for group in groups for member in group.members}
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for session_id, facilitators in named.items():
        for facilitator in facilitators:
            if facilitator in group_of:
                counts[session_id, group_of[facilitator]] += 1
    return dict(counts)


def name_facilitators(
    sessions: Mapping[str, SessionInfo],
    groups: list[FacilitatorGroup],
    counts: Mapping[tuple[str, int], int],
    preferred: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, list[str]]:
    """Named facilitators per session from the counts; `preferred` (the previous schedule's)
    are kept where the deal allows, so a repair does not reshuffle faculty for nothing."""
    named: dict[str, list[str]] = defaultdict(list)
    for group in groups:
        wanted = {s: counts.get((s, group.index), 0) for s in group.sessions}
        for session_id, facilitator in _deal(sessions, group, wanted, preferred or {}):
            named[session_id].append(facilitator)
    return {session_id: sorted(names) for session_id, names in named.items()}


def _deal(
    sessions: Mapping[str, SessionInfo],
    group: FacilitatorGroup,
    wanted: dict[str, int],
    preferred: Mapping[str, Iterable[str]],
) -> list[tuple[str, str]]:
    """Copies of each session, in start order, to free members: the least loaded when
    `max_sessions` binds (see the module docstring for why this never runs out), preferred
    ones first among equals."""
    load = dict.fromkeys(group.members, 0)
    busy_until: dict[str, datetime] = {}
    dealt: list[tuple[str, str]] = []
    order = sorted(
        (s for s, n in wanted.items() if n > 0),
        key=lambda s: (sessions[s].start, sessions[s].end, s),
    )
    for session_id in order:
        info = sessions[session_id]
        liked = set(preferred.get(session_id, ()))
        for _ in range(wanted[session_id]):
            free = [
                m
                for m in group.members
                if (m not in busy_until or busy_until[m] <= info.start)
                and (group.max_sessions is None or load[m] < group.max_sessions)
            ]
            if not free:
                raise ValueError(f"facilitator group {group.index} cannot staff {session_id}")
            chosen = min(free, key=lambda m: (_balance(group, load[m]), m not in liked, m))
            load[chosen] += 1
            busy_until[chosen] = max(info.end, busy_until.get(chosen, info.end))
            dealt.append((session_id, chosen))
    return dealt


def _balance(group: FacilitatorGroup, load: int) -> int:
    """Load decides first only when there is a `max_sessions` to keep to."""
    return load if group.max_sessions is not None else 0
