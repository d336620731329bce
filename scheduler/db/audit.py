"""The audit trail: one row per change and per read of a student record by someone else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from scheduler.db.tables import AuditRow, StudentRow, UserRow


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
    """One `student.read` row per student record shown to anyone but that student."""
    rows = [
        AuditRow(
            actor_id=actor.id,
            actor_email=actor.email,
            action="student.read",
            entity="student",
            entity_id=student.ref,
            term_id=student.term_id,
            detail={"via": via},
        )
        for student in students
        if not _is_self(actor, student)
    ]
    session.add_all(rows)


def _is_self(actor: UserRow, student: StudentRow) -> bool:
    return actor.role == "student" and actor.student_ref == student.ref
