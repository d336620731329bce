"""Rule 5: a session with T teams has ceil(T / teams_per_facilitator) facilitators, each free
for the whole session, in no two overlapping sessions, within max_sessions.

Facilitators are counted by interchangeable group (`solver.staffing`); the read-out names
them."""

from __future__ import annotations

from collections import defaultdict

from solver.cliques import running_together
from solver.model import TermModel
from solver.staffing import FacilitatorGroup, facilitator_groups


def add(model: TermModel) -> None:
    """Create staff[session, group] and cover every held team."""
    staffed = [
        session_id
        for session_id, info in model.prep.sessions.items()
        if model.prep.activities[info.activity].teams_per_facilitator > 0
        and session_id in model.teams
    ]
    model.facilitator_groups = facilitator_groups(model.prep, staffed)
    by_session: dict[str, list] = defaultdict(list)
    for group in model.facilitator_groups:
        for session_id in sorted(group.sessions):
            var = model.cp.new_int_var(0, group.size, f"staff[{session_id},{group.index}]")
            model.cp.add(var <= group.size * model.teams[session_id].used)
            model.staff[session_id, group.index] = var
            by_session[session_id].append(var)
    for session_id in staffed:
        per_facilitator = model.prep.activities[model.prep.sessions[session_id].activity]
        needed = model.teams[session_id].count
        model.cp.add(per_facilitator.teams_per_facilitator * sum(by_session[session_id]) >= needed)
    cliques = running_together(model.prep.sessions[s] for s in staffed)
    for group in model.facilitator_groups:
        _no_overlap(model, group, cliques)
        _max_sessions(model, group)


def _no_overlap(model: TermModel, group: FacilitatorGroup, cliques: list[frozenset[str]]) -> None:
    """At most `size` of the group in sessions running together (see `solver.cliques`)."""
    for clique in {clique & group.sessions for clique in cliques}:
        if len(clique) > 1:
            model.cp.add(sum(model.staff[s, group.index] for s in sorted(clique)) <= group.size)


def _max_sessions(model: TermModel, group: FacilitatorGroup) -> None:
    limit = group.max_sessions
    if limit is not None and len(group.sessions) > limit:
        total = sum(model.staff[s, group.index] for s in group.sessions)
        model.cp.add(total <= group.size * limit)
