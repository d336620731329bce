"""The audit trail: one row per change and per read of a student record by someone else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from scheduler.db.tables import AuditRow, StudentRow, UserRow
from scheduler.db.types import utcnow


def record(
    session: Session,
    *,
    actor: UserRow | None,
    action: str,
    entity: str,
    entity_id: object = "",
    term_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit row to the current transaction (it is kept only if that commits)."""
    session.add(
        AuditRow(
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else "system",
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            term_id=term_id,
            detail=detail or {},
        )
    )


def student_reads(
    session: Session, *, actor: UserRow, students: Iterable[StudentRow], via: str
) -> None:
    """One `student.read` row per student record shown to anyone but that student.

    Written with one bulk INSERT, not one statement per row: a partner's roster or a
    coordinator's student list shows tens to thousands of students per request.
    """
    rows = [
        {
            "at": utcnow(),
            "actor_id": actor.id,
            "actor_email": actor.email,
            "action": "student.read",
            "entity": "student",
            "entity_id": student.ref,
            "term_id": student.term_id,
            "detail": {"via": via},
        }
        for student in students
        if not _is_self(actor, student)
    ]
    if rows:
        session.exec(insert(AuditRow), params=rows)


def _is_self(actor: UserRow, student: StudentRow) -> bool:
    return actor.role == "student" and actor.student_ref == student.ref
