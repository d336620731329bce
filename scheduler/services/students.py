"""Student records: coordinators list and open them (audited); students see their own schedule.

A student's view is built only from their own assignment rows in published versions: no
teammate, no other placement, nothing a coordinator alone should see.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.paging import ALL, Page
from scheduler.db.tables import TermRow, UserRow
from scheduler.services.errors import found
from scheduler.services.period_hours import weekly_hours
from scheduler.services.terms import get_term
from scheduler.services.views import (
    MyPlacementView,
    MySessionView,
    MyTermView,
    StudentRecordView,
    my_session_view,
    student_record_view,
)


def list_students(
    session: Session, *, actor: UserRow, term_id: int, page: Page = ALL
) -> list[StudentRecordView]:
    """Every student record of a managed term (each read is audited)."""
    term = get_term(session, actor=actor, term_id=term_id)
    students = repositories.term_students(
        session, actor, term, via="coordinator.students", page=page
    )
    opted_out = repositories.opted_out(session, actor, [s.ref for s in students])
    return [student_record_view(s, opted_out=s.ref in opted_out) for s in students]


def get_student(
    session: Session, *, actor: UserRow, term_id: int, student_ref: str
) -> StudentRecordView:
    """One student record of a managed term (audited)."""
    term = get_term(session, actor=actor, term_id=term_id)
    student = repositories.term_student(
        session, actor, term, student_ref, via="coordinator.student"
    )
    record = found(student, "student")
    opted_out = repositories.opted_out(session, actor, [record.ref])
    return student_record_view(record, opted_out=record.ref in opted_out)


def my_schedule(session: Session, *, actor: UserRow) -> list[MyTermView]:
    """The acting student's published sessions and placements, one entry per term."""
    sessions: dict[int, list[MySessionView]] = defaultdict(list)
    for assignment, ipe_session, activity, room in repositories.own_session_assignments(
        session, actor
    ):
        sessions[ipe_session.term_id].append(
            my_session_view(assignment, ipe_session, activity, room)
        )
    placements: dict[int, list[MyPlacementView]] = defaultdict(list)
    records = repositories.own_student_records(session, actor)
    terms = {term.id: term for _, term in records}
    for _assignment, slot, site, period in repositories.own_placement_assignments(session, actor):
        hours = weekly_hours(session, terms[slot.term_id])
        placements[slot.term_id].append(
            MyPlacementView(
                slot=slot.ref,
                site=site.ref,
                site_name=site.name,
                address=site.address,
                profession=slot.profession,
                start=period.start,
                end=period.end,
                weekly=list(hours.get(period.ref, ())),
            )
        )
    return [
        MyTermView(
            term_id=term_id,
            term=term.name,
            timezone=term.timezone,
            sessions=sessions.get(term_id, []),
            placements=placements.get(term_id, []),
        )
        for term_id, term in _ids(terms).items()
        if term_id in sessions or term_id in placements
    ]


def _ids(terms: dict[int | None, TermRow]) -> dict[int, TermRow]:
    return {term_id: term for term_id, term in terms.items() if term_id is not None}
