"""Rule 5: a session with T teams has ceil(T / teams_per_facilitator) facilitators, each free
for the whole session, in no two overlapping sessions, within max_sessions."""

from __future__ import annotations

from collections import defaultdict

from solver.cliques import running_together
from solver.model import TermModel


def add(model: TermModel) -> None:
    """Create facilitate[session, facilitator] and cover every held team."""
    by_facilitator = defaultdict(list)
    for session_id, info in model.prep.sessions.items():
        per_facilitator = model.prep.activities[info.activity].teams_per_facilitator
        teams = model.teams.get(session_id)
        if per_facilitator <= 0 or teams is None:
            continue
        chosen = []
        for facilitator in info.facilitators:
            var = model.cp.new_bool_var(f"facilitate[{session_id},{facilitator}]")
            model.cp.add_implication(var, teams.used)
            model.facilitate[session_id, facilitator] = var
            by_facilitator[facilitator].append(session_id)
            chosen.append(var)
        model.cp.add(per_facilitator * sum(chosen) >= teams.count)
    _no_overlap(model, by_facilitator)
    _max_sessions(model, by_facilitator)


def _no_overlap(model: TermModel, by_facilitator: dict[str, list[str]]) -> None:
    """At most one session of each set running together (see `solver.cliques`)."""
    cliques = running_together(model.prep.sessions.values())
    for facilitator, sessions in by_facilitator.items():
        own = set(sessions)
        for clique in {clique & own for clique in cliques}:
            if len(clique) > 1:
                model.cp.add_at_most_one(
                    model.facilitate[session, facilitator] for session in sorted(clique)
                )


def _max_sessions(model: TermModel, by_facilitator: dict[str, list[str]]) -> None:
    limits = {f.id: f.max_sessions for f in model.prep.scenario.facilitators}
    for facilitator, sessions in by_facilitator.items():
        limit = limits[facilitator]
        if limit is not None and len(sessions) > limit:
            model.cp.add(sum(model.facilitate[s, facilitator] for s in sessions) <= limit)
