"""Rule 4 for rooms: a room hosts at most one held session at any moment.

Accessible rooms for students who need them are part of availability (`solver.prepare`).
"""

from __future__ import annotations

from solver.model import TermModel


def add(model: TermModel) -> None:
    """Two overlapping sessions in one room are never both held."""
    sessions = model.prep.sessions
    for session_id, others in model.prep.session_overlaps.items():
        for other_id in others:
            if other_id <= session_id or sessions[other_id].room != sessions[session_id].room:
                continue
            first, second = model.session_used(session_id), model.session_used(other_id)
            if first is not None and second is not None:
                model.cp.add_at_most_one([first, second])
