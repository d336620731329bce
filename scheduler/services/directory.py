"""Directory opt-out: a student may withhold their name from other students.

A teammate's name is directory information (FERPA, 34 CFR 99.37): the school may show it
to other students unless the student opts out. With an opt-out, other students' team
rosters say "A student (directory opt-out)" and keep only the profession, which the mixed
team exists for. Coordinators and the partner site supervising a placement still see the
name: they have a legitimate educational interest, which an opt-out does not change.

The opt-out belongs to the student: they set and withdraw it (page or API); an import can
record one (`students[].directory_opt_out: true`) but never withdraws it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from scheduler.db import audit, repositories
from scheduler.db.tables import DirectoryOptOutRow, UserRow
from scheduler.services import published_views
from scheduler.services.errors import Forbidden, found
from scheduler.services.views import View


class DirectoryView(View):
    """The student's directory choice: opted out or not, since when and recorded by whom."""

    directory_opt_out: bool
    since: datetime | None = None
    source: str | None = None


def my_directory(session: Session, *, actor: UserRow) -> DirectoryView:
    """The acting student's directory choice."""
    _require_student(actor)
    return _view(repositories.own_opt_out(session, actor))


def set_my_directory(session: Session, *, actor: UserRow, opt_out: bool) -> DirectoryView:
    """Opt out of (or back into) directory information; repeating a choice changes nothing."""
    _require_student(actor)
    row = repositories.own_opt_out(session, actor)
    if opt_out and row is None:
        row = _add(session, actor)
        _audit(session, actor, "directory.opt_out")
    elif not opt_out and row is not None:
        session.delete(row)
        row = None
        _audit(session, actor, "directory.opt_in")
    else:
        return _view(row)
    session.flush()
    published_views.directory_changed(
        session, school_id=actor.school_id, student_ref=actor.student_ref or ""
    )
    return _view(row)


def _add(session: Session, actor: UserRow) -> DirectoryOptOutRow:
    """Insert the opt-out; when a concurrent request already did, that row is the answer."""
    row = DirectoryOptOutRow(
        school_id=actor.school_id, student_ref=actor.student_ref or "", source="student"
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return found(repositories.own_opt_out(session, actor), "directory opt-out")
    return row


def _view(row: DirectoryOptOutRow | None) -> DirectoryView:
    if row is None:
        return DirectoryView(directory_opt_out=False)
    return DirectoryView(directory_opt_out=True, since=row.created_at, source=row.source)


def _audit(session: Session, actor: UserRow, action: str) -> None:
    audit.record(
        session, actor=actor, action=action, entity="student", entity_id=actor.student_ref or ""
    )


def _require_student(actor: UserRow) -> None:
    if actor.role != "student" or not actor.student_ref:
        raise Forbidden("only a student sets their own directory choice", code="wrong_role")
