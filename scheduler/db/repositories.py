"""Every read of stored data, scoped by the acting user here and nowhere else.

Rules (one helper each, so no route or service can forget them):
- a coordinator sees the terms of their own school, and everything in them;
- a student sees only their own student records and their assignments in published
  schedule versions;
- a partner sees only the slots of their own site (in their school's terms) and the
  students placed there by a published version: name, profession, dates and the needs a
  site must act on;
- a student sees the disclosures of their own record; a coordinator those of their
  school's students.
Out-of-scope and missing look the same (None or nothing), so callers answer 404 and never
reveal that someone else's resource exists. Reads of student records by anyone but that
student are written to the audit trail here, as they happen.

The few unscoped reads at the bottom serve sign-in and background jobs, which act for the
system rather than for a user.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, false, true
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, col, select

from scheduler.db import audit
from scheduler.db.paging import ALL, Page
from scheduler.db.tables import (
    ACTIVE_RUN_STATES,
    ActivityRow,
    AssignmentRow,
    AuditRow,
    DirectoryOptOutRow,
    DisclosureRow,
    OutboxMessageRow,
    PeriodRow,
    PublishedViewRow,
    RoomRow,
    ScheduleVersionRow,
    SessionRow,
    SiteRow,
    SlotResponseRow,
    SlotRow,
    SolveRunRow,
    StudentRow,
    TermRow,
    TokenRow,
    UserRow,
)

# ---- scopes: the one place that says who sees what ------------------------------------


def coordinator_scope(actor: UserRow) -> ColumnElement[bool]:
    """Terms a coordinator manages: their school's; nobody else manages any."""
    if actor.role != "coordinator":
        return false()
    return col(TermRow.school_id) == actor.school_id


def own_student_scope(actor: UserRow) -> ColumnElement[bool]:
    """Student rows that are the acting student themself (in their school's terms)."""
    if actor.role != "student" or not actor.student_ref:
        return false()
    return (col(StudentRow.ref) == actor.student_ref) & (col(TermRow.school_id) == actor.school_id)


def own_site_scope(actor: UserRow) -> ColumnElement[bool]:
    """Site rows of the acting partner's own site (in their school's terms)."""
    if actor.role != "partner" or not actor.site_ref:
        return false()
    return (col(SiteRow.ref) == actor.site_ref) & (col(TermRow.school_id) == actor.school_id)


# ---- terms -----------------------------------------------------------------------------


def coordinator_terms(session: Session, actor: UserRow, *, page: Page = ALL) -> Sequence[TermRow]:
    """The terms the coordinator manages, newest first."""
    query = select(TermRow).where(coordinator_scope(actor)).order_by(col(TermRow.id).desc())
    return session.exec(page.apply(query)).all()


def coordinator_term(session: Session, actor: UserRow, term_id: int) -> TermRow | None:
    """One managed term, or None when missing or someone else's."""
    query = select(TermRow).where(col(TermRow.id) == term_id, coordinator_scope(actor))
    return session.exec(query).first()


def coordinator_term_by_code(session: Session, actor: UserRow, code: str) -> TermRow | None:
    query = select(TermRow).where(col(TermRow.code) == code, coordinator_scope(actor))
    return session.exec(query).first()


# ---- students --------------------------------------------------------------------------


def term_students(
    session: Session, actor: UserRow, term: TermRow, *, via: str, page: Page = ALL
) -> list[StudentRow]:
    """A managed term's student records (audited as read by the coordinator)."""
    query = (
        select(StudentRow)
        .join(TermRow)
        .where(col(StudentRow.term_id) == term.id, coordinator_scope(actor))
        .order_by(col(StudentRow.ref))
    )
    students = list(session.exec(page.apply(query)).all())
    audit.student_reads(session, actor=actor, students=students, via=via)
    return students


def term_student(
    session: Session, actor: UserRow, term: TermRow, ref: str, *, via: str
) -> StudentRow | None:
    """One student record of a managed term (audited)."""
    query = (
        select(StudentRow)
        .join(TermRow)
        .where(
            col(StudentRow.term_id) == term.id,
            col(StudentRow.ref) == ref,
            coordinator_scope(actor),
        )
    )
    student = session.exec(query).first()
    if student is not None:
        audit.student_reads(session, actor=actor, students=[student], via=via)
    return student


def own_student_records(session: Session, actor: UserRow) -> list[tuple[StudentRow, TermRow]]:
    """The acting student's own records, one per term of their school."""
    query = (
        select(StudentRow, TermRow)
        .options(_without_document())
        .join(TermRow)
        .where(own_student_scope(actor))
        .order_by(col(TermRow.start))
    )
    return [(student, term) for student, term in session.exec(query).all()]


def _without_document() -> Any:
    """Load a term's scenario document only when it is used: it is megabytes at 5,000
    students, and a joined query would carry it once per row."""
    return defer(TermRow.scenario_json)  # type: ignore[arg-type]


# ---- assignments -----------------------------------------------------------------------

SessionAssignment = tuple[AssignmentRow, SessionRow, ActivityRow, RoomRow]
PlacementAssignment = tuple[AssignmentRow, SlotRow, SiteRow, PeriodRow]


STUDENT_VISIBLE_STATES = ("published", "superseded")
"""Versions a student may see: the published one, and those published before it."""


def _published_own(actor: UserRow, state: str = "published") -> ColumnElement[bool]:
    if state not in STUDENT_VISIBLE_STATES:
        return false()
    return (col(ScheduleVersionRow.state) == state) & own_student_scope(actor)


def own_session_assignments(
    session: Session, actor: UserRow, *, state: str = "published"
) -> list[SessionAssignment]:
    """The acting student's team places in published (or once published) versions."""
    query = (
        select(AssignmentRow, SessionRow, ActivityRow, RoomRow)
        .join(StudentRow, col(AssignmentRow.student_id) == StudentRow.id)
        .join(TermRow, col(StudentRow.term_id) == TermRow.id)
        .join(ScheduleVersionRow, col(AssignmentRow.version_id) == ScheduleVersionRow.id)
        .join(SessionRow, col(AssignmentRow.session_id) == SessionRow.id)
        .join(ActivityRow, col(SessionRow.activity_id) == ActivityRow.id)
        .join(RoomRow, col(SessionRow.room_id) == RoomRow.id)
        .where(_published_own(actor, state))
        .order_by(col(SessionRow.start))
    )
    return [tuple(row) for row in session.exec(query).all()]  # type: ignore[misc]


def own_placement_assignments(
    session: Session, actor: UserRow, *, state: str = "published"
) -> list[PlacementAssignment]:
    """The acting student's placements in published (or once published) versions."""
    query = (
        select(AssignmentRow, SlotRow, SiteRow, PeriodRow)
        .join(StudentRow, col(AssignmentRow.student_id) == StudentRow.id)
        .join(TermRow, col(StudentRow.term_id) == TermRow.id)
        .join(ScheduleVersionRow, col(AssignmentRow.version_id) == ScheduleVersionRow.id)
        .join(SlotRow, col(AssignmentRow.slot_id) == SlotRow.id)
        .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
        .join(PeriodRow, col(SlotRow.period_id) == PeriodRow.id)
        .where(_published_own(actor, state))
        .order_by(col(PeriodRow.start))
    )
    return [tuple(row) for row in session.exec(query).all()]  # type: ignore[misc]


def own_teammates(
    session: Session, actor: UserRow, *, state: str = "published"
) -> dict[int, list[StudentRow]]:
    """The acting student's teammates, by the student's own assignment id (audited).

    Only teams the student is in, of versions a student may see: a teammate is someone
    they will meet in the room, so their name and profession are the student's to know.
    """
    mine = aliased(AssignmentRow)
    theirs = aliased(AssignmentRow)
    query = (
        select(mine.id, StudentRow)
        .select_from(mine)
        .join(
            theirs,
            (col(theirs.version_id) == col(mine.version_id))
            & (col(theirs.session_id) == col(mine.session_id))
            & (col(theirs.team_ref) == col(mine.team_ref))
            & (col(theirs.id) != col(mine.id)),
        )
        .join(StudentRow, col(theirs.student_id) == StudentRow.id)
        .join(ScheduleVersionRow, col(mine.version_id) == ScheduleVersionRow.id)
        .where(col(mine.kind) == "session", col(mine.student_id).in_(_own_student_ids(actor)))
        .where(_version_state(state))
        .order_by(col(StudentRow.name))
    )
    teams: dict[int, list[StudentRow]] = defaultdict(list)
    for assignment_id, student in session.exec(query).all():
        if assignment_id is not None:
            teams[assignment_id].append(student)
    audit.student_reads(
        session, actor=actor, students=[s for team in teams.values() for s in team], via="teammates"
    )
    return teams


def _own_student_ids(actor: UserRow) -> Any:
    """A subquery of the acting student's own student row ids (one per term)."""
    return (
        select(StudentRow.id)
        .join(TermRow, col(StudentRow.term_id) == TermRow.id)
        .where(own_student_scope(actor))
    )


def _version_state(state: str) -> ColumnElement[bool]:
    if state not in STUDENT_VISIBLE_STATES:
        return false()
    return col(ScheduleVersionRow.state) == state


@dataclass(frozen=True)
class PublishedVersion:
    """A version a student may know of: its number and when it was published, no content."""

    id: int
    term_id: int
    number: int
    state: str
    published_at: datetime | None


def own_published_history(session: Session, actor: UserRow) -> list[PublishedVersion]:
    """Published and superseded versions of the acting student's terms, newest first."""
    query = (
        select(ScheduleVersionRow)
        # The document names every student of the term: never load it here.
        .options(defer(ScheduleVersionRow.schedule_json))  # type: ignore[arg-type]
        .join(StudentRow, col(StudentRow.term_id) == ScheduleVersionRow.term_id)
        .join(TermRow, col(StudentRow.term_id) == TermRow.id)
        .where(own_student_scope(actor))
        .where(col(ScheduleVersionRow.state).in_(STUDENT_VISIBLE_STATES))
        .order_by(col(ScheduleVersionRow.published_at).desc(), col(ScheduleVersionRow.id).desc())
    )
    return [
        PublishedVersion(
            id=v.id, term_id=v.term_id, number=v.number, state=v.state, published_at=v.published_at
        )
        for v in session.exec(query).all()
        if v.id is not None
    ]


# ---- published views ------------------------------------------------------------------


def _own_view_scope(user: UserRow) -> ColumnElement[bool]:
    """The view rows of the user themself: a student's by student id, a partner's by site."""
    student = (
        (col(UserRow.role) == "student")
        & (col(PublishedViewRow.owner_kind) == "student")
        & (col(PublishedViewRow.owner_ref) == UserRow.student_ref)
    )
    site = (
        (col(UserRow.role) == "partner")
        & (col(PublishedViewRow.owner_kind) == "site")
        & (col(PublishedViewRow.owner_ref) == UserRow.site_ref)
    )
    return (col(PublishedViewRow.school_id) == UserRow.school_id) & (student | site)


def token_view_ref(session: Session, token_hash: str, kind: str) -> Row[Any] | None:
    """The cached read's one query: a token's and its user's facts, and the id, ETag and
    disclosures of that user's own view of `kind`, without its bytes (which
    `scheduler.services.view_cache` holds); the view's columns are None when it has none."""
    params = {"token_hash": token_hash, "kind": kind}
    return session.execute(_token_view_ref_query(), params).first()


@cache
def _token_view_ref_query() -> Select[Any]:
    """Built once: composing the statement cost more than running it (SQLite)."""
    return (
        sa_select(
            col(TokenRow.kind).label("token_kind"),
            col(TokenRow.revoked_at),
            col(TokenRow.expires_at),
            col(UserRow.id).label("user_id"),
            col(UserRow.role),
            col(UserRow.active),
            col(PublishedViewRow.id).label("view_id"),
            col(PublishedViewRow.etag),
            col(PublishedViewRow.built_at),
            col(PublishedViewRow.disclosures),
        )
        .select_from(TokenRow)
        .join(UserRow, col(TokenRow.user_id) == UserRow.id)
        .outerjoin(
            PublishedViewRow,
            _own_view_scope(UserRow) & (col(PublishedViewRow.kind) == bindparam("kind")),  # type: ignore[arg-type]
        )
        .where(col(TokenRow.token_hash) == bindparam("token_hash"))
    )


def view_body(session: Session, view_id: int, etag: str) -> bytes | None:
    """A view's bytes, if it still has this ETag (None once it was rebuilt)."""
    query = _view_body_query()
    body: bytes | None = session.execute(query, {"id": view_id, "etag": etag}).scalar()
    return body


@cache
def _view_body_query() -> Select[Any]:
    return sa_select(col(PublishedViewRow.body)).where(
        col(PublishedViewRow.id) == bindparam("id"),
        col(PublishedViewRow.etag) == bindparam("etag"),
    )


def own_view(session: Session, actor: UserRow, kind: str) -> PublishedViewRow | None:
    """The acting student's or partner's own stored view of `kind`."""
    if actor.role == "student" and actor.student_ref:
        owner = ("student", actor.student_ref)
    elif actor.role == "partner" and actor.site_ref:
        owner = ("site", actor.site_ref)
    else:
        return None
    query = select(PublishedViewRow).where(
        col(PublishedViewRow.school_id) == actor.school_id,
        col(PublishedViewRow.owner_kind) == owner[0],
        col(PublishedViewRow.owner_ref) == owner[1],
        col(PublishedViewRow.kind) == kind,
    )
    return session.exec(query).first()


# ---- slots -----------------------------------------------------------------------------

SlotContext = tuple[SlotRow, SiteRow, PeriodRow, TermRow]


def term_slots(
    session: Session, actor: UserRow, term: TermRow, *, page: Page = ALL
) -> list[SlotContext]:
    """Every slot of a managed term, with its site, period and term."""
    query = (
        select(SlotRow, SiteRow, PeriodRow, TermRow)
        .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
        .join(PeriodRow, col(SlotRow.period_id) == PeriodRow.id)
        .join(TermRow, col(SlotRow.term_id) == TermRow.id)
        .where(col(SlotRow.term_id) == term.id, coordinator_scope(actor))
        .order_by(col(SlotRow.ref))
    )
    return [tuple(row) for row in session.exec(page.apply(query)).all()]  # type: ignore[misc]


def partner_slots(
    session: Session, actor: UserRow, slot_id: int | None = None, *, page: Page = ALL
) -> list[SlotContext]:
    """The acting partner's own site's slots (one of them when `slot_id` is given)."""
    query = (
        select(SlotRow, SiteRow, PeriodRow, TermRow)
        .options(_without_document())
        .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
        .join(PeriodRow, col(SlotRow.period_id) == PeriodRow.id)
        .join(TermRow, col(SlotRow.term_id) == TermRow.id)
        .where(own_site_scope(actor))
        .where(col(SlotRow.id) == slot_id if slot_id is not None else true())
        .order_by(col(TermRow.start), col(PeriodRow.start), col(SlotRow.ref))
    )
    return [tuple(row) for row in session.exec(page.apply(query)).all()]  # type: ignore[misc]


def slot_responses(
    session: Session, actor: UserRow, slots: Iterable[SlotRow]
) -> dict[int, list[tuple[SlotResponseRow, str]]]:
    """Responses to managed slots, newest first, each with the responder's email."""
    ids = [slot.id for slot in slots]
    query = (
        select(SlotResponseRow, UserRow.email)
        .join(SlotRow, col(SlotResponseRow.slot_id) == SlotRow.id)
        .join(TermRow, col(SlotRow.term_id) == TermRow.id)
        .outerjoin(UserRow, col(SlotResponseRow.user_id) == UserRow.id)
        .where(col(SlotResponseRow.slot_id).in_(ids), coordinator_scope(actor))
        .order_by(col(SlotResponseRow.id).desc())
    )
    found: dict[int, list[tuple[SlotResponseRow, str]]] = defaultdict(list)
    for response, email in session.exec(query).all():
        found[response.slot_id].append((response, email or ""))
    return found


def placed_students(
    session: Session, actor: UserRow, slots: Iterable[SlotRow], *, via: str
) -> dict[int, list[StudentRow]]:
    """Students a published version places in the partner's own slots (audited)."""
    ids = [slot.id for slot in slots]
    query = (
        select(AssignmentRow.slot_id, StudentRow)
        .join(StudentRow, col(AssignmentRow.student_id) == StudentRow.id)
        .join(ScheduleVersionRow, col(AssignmentRow.version_id) == ScheduleVersionRow.id)
        .join(SlotRow, col(AssignmentRow.slot_id) == SlotRow.id)
        .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
        .join(TermRow, col(SlotRow.term_id) == TermRow.id)
        .where(
            col(AssignmentRow.slot_id).in_(ids),
            col(ScheduleVersionRow.state) == "published",
            own_site_scope(actor),
        )
        .order_by(col(StudentRow.name))
    )
    placed: dict[int, list[StudentRow]] = defaultdict(list)
    for slot_id, student in session.exec(query).all():
        if slot_id is not None:
            placed[slot_id].append(student)
    audit.student_reads(
        session, actor=actor, students=[s for group in placed.values() for s in group], via=via
    )
    return placed


# ---- privacy: disclosures and directory opt-outs --------------------------------------

DISCLOSURES_SHOWN = 500
"""The newest disclosures a list holds (one row covers a day's repeated views)."""


def own_disclosures(session: Session, actor: UserRow) -> Sequence[DisclosureRow]:
    """Disclosures of the acting student's own record, in every term, newest first."""
    if actor.role != "student" or not actor.student_ref:
        return []
    query = (
        select(DisclosureRow)
        .where(
            col(DisclosureRow.school_id) == actor.school_id,
            col(DisclosureRow.student_ref) == actor.student_ref,
        )
        .order_by(col(DisclosureRow.last_at).desc(), col(DisclosureRow.id).desc())
        .limit(DISCLOSURES_SHOWN)
    )
    return session.exec(query).all()


def student_disclosures(
    session: Session, actor: UserRow, term: TermRow, ref: str
) -> Sequence[DisclosureRow]:
    """Disclosures of a student of a managed term (in every term of the school)."""
    query = (
        select(DisclosureRow)
        .join(TermRow, col(TermRow.school_id) == DisclosureRow.school_id)
        .where(col(TermRow.id) == term.id, coordinator_scope(actor))
        .where(col(DisclosureRow.student_ref) == ref)
        .order_by(col(DisclosureRow.last_at).desc(), col(DisclosureRow.id).desc())
        .limit(DISCLOSURES_SHOWN)
    )
    return session.exec(query).all()


def own_opt_out(session: Session, actor: UserRow) -> DirectoryOptOutRow | None:
    """The acting student's directory opt-out, if they have one."""
    if actor.role != "student" or not actor.student_ref:
        return None
    query = select(DirectoryOptOutRow).where(
        col(DirectoryOptOutRow.school_id) == actor.school_id,
        col(DirectoryOptOutRow.student_ref) == actor.student_ref,
    )
    return session.exec(query).first()


def opted_out(session: Session, actor: UserRow, refs: Iterable[str]) -> set[str]:
    """Which of these students of the acting user's school opted out of the directory."""
    query = select(DirectoryOptOutRow.student_ref).where(
        col(DirectoryOptOutRow.school_id) == actor.school_id,
        col(DirectoryOptOutRow.student_ref).in_(set(refs)),
    )
    return set(session.exec(query).all())


# ---- runs and versions -----------------------------------------------------------------


def term_runs(
    session: Session, actor: UserRow, term: TermRow, *, page: Page = ALL
) -> Sequence[SolveRunRow]:
    query = (
        select(SolveRunRow)
        .join(TermRow)
        .where(col(SolveRunRow.term_id) == term.id, coordinator_scope(actor))
        .order_by(col(SolveRunRow.id).desc())
    )
    return session.exec(page.apply(query)).all()


def term_run(session: Session, actor: UserRow, term: TermRow, run_id: int) -> SolveRunRow | None:
    query = (
        select(SolveRunRow)
        .join(TermRow)
        .where(
            col(SolveRunRow.id) == run_id,
            col(SolveRunRow.term_id) == term.id,
            coordinator_scope(actor),
        )
    )
    return session.exec(query).first()


def term_versions(
    session: Session, actor: UserRow, term: TermRow, *, page: Page = ALL
) -> Sequence[ScheduleVersionRow]:
    query = (
        select(ScheduleVersionRow)
        .join(TermRow)
        .where(col(ScheduleVersionRow.term_id) == term.id, coordinator_scope(actor))
        .order_by(col(ScheduleVersionRow.number).desc())
    )
    return session.exec(page.apply(query)).all()


def term_version(
    session: Session, actor: UserRow, term: TermRow, version_id: int
) -> ScheduleVersionRow | None:
    query = (
        select(ScheduleVersionRow)
        .join(TermRow)
        .where(
            col(ScheduleVersionRow.id) == version_id,
            col(ScheduleVersionRow.term_id) == term.id,
            coordinator_scope(actor),
        )
    )
    return session.exec(query).first()


# ---- messages (outbox) -----------------------------------------------------------------


def own_messages(
    session: Session, actor: UserRow, *, page: Page = ALL
) -> Sequence[OutboxMessageRow]:
    """Messages to the acting user, newest first: a student's by their student id (in their
    school's terms), a partner's by their user; nobody else receives any."""
    mine: ColumnElement[bool]
    if actor.role == "student" and actor.student_ref:
        mine = (
            (col(OutboxMessageRow.recipient_kind) == "student")
            & (col(OutboxMessageRow.recipient_ref) == actor.student_ref)
            & (col(TermRow.school_id) == actor.school_id)
        )
    elif actor.role == "partner":
        mine = (col(OutboxMessageRow.recipient_kind) == "partner") & (
            col(OutboxMessageRow.user_id) == actor.id
        )
    else:
        mine = false()
    query = (
        select(OutboxMessageRow)
        .join(TermRow, col(OutboxMessageRow.term_id) == TermRow.id)
        .where(mine)
        .order_by(col(OutboxMessageRow.id).desc())
    )
    return session.exec(page.apply(query)).all()


def term_messages(
    session: Session,
    actor: UserRow,
    term: TermRow,
    *,
    page: Page = ALL,
    state: str | None = None,
) -> Sequence[OutboxMessageRow]:
    """A managed term's outbox (or its rows in one state), newest first (the coordinator
    watches delivery)."""
    query = (
        select(OutboxMessageRow)
        .join(TermRow, col(OutboxMessageRow.term_id) == TermRow.id)
        .where(col(OutboxMessageRow.term_id) == term.id, coordinator_scope(actor))
        .order_by(col(OutboxMessageRow.id).desc())
    )
    if state is not None:
        query = query.where(col(OutboxMessageRow.state) == state)
    return session.exec(page.apply(query)).all()


# ---- the access record -----------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """Which audit rows a coordinator asked for; None/empty: no condition."""

    person: str = ""
    """Part of the actor's email, or a student id whose record was read or changed."""
    term_id: int | None = None
    action: str = ""
    since: datetime | None = None
    """Inclusive lower end of `at` (UTC)."""
    before: datetime | None = None
    """Exclusive upper end of `at` (UTC)."""


def school_audit(
    session: Session, actor: UserRow, wanted: AuditFilter, *, page: Page = ALL
) -> Sequence[AuditRow]:
    """Audit rows of the coordinator's school, newest first: rows about its terms, and rows
    of its users' actions (sign-ins, tokens). A coordinator of another school sees none."""
    if actor.role != "coordinator":
        return []
    school_terms = select(TermRow.id).where(col(TermRow.school_id) == actor.school_id)
    school_users = select(UserRow.id).where(col(UserRow.school_id) == actor.school_id)
    query = select(AuditRow).where(
        col(AuditRow.term_id).in_(school_terms) | col(AuditRow.actor_id).in_(school_users)
    )
    if wanted.person:
        person = wanted.person.strip()
        query = query.where(
            col(AuditRow.actor_email).icontains(person, autoescape=True)
            | ((col(AuditRow.entity) == "student") & (col(AuditRow.entity_id) == person))
        )
    if wanted.term_id is not None:
        query = query.where(col(AuditRow.term_id) == wanted.term_id)
    if wanted.action:
        query = query.where(col(AuditRow.action) == wanted.action)
    if wanted.since is not None:
        query = query.where(col(AuditRow.at) >= wanted.since)
    if wanted.before is not None:
        query = query.where(col(AuditRow.at) < wanted.before)
    query = query.order_by(col(AuditRow.id).desc())
    return session.exec(page.apply(query)).all()


def school_audit_actions(session: Session, actor: UserRow) -> list[str]:
    """Every action name in the school's audit rows, for the filter's choices."""
    if actor.role != "coordinator":
        return []
    school_terms = select(TermRow.id).where(col(TermRow.school_id) == actor.school_id)
    school_users = select(UserRow.id).where(col(UserRow.school_id) == actor.school_id)
    query = (
        select(AuditRow.action)
        .where(col(AuditRow.term_id).in_(school_terms) | col(AuditRow.actor_id).in_(school_users))
        .distinct()
    )
    return sorted(session.exec(query).all())


# ---- tokens ----------------------------------------------------------------------------


def own_token(session: Session, actor: UserRow, token_id: int) -> TokenRow | None:
    query = select(TokenRow).where(col(TokenRow.id) == token_id, col(TokenRow.user_id) == actor.id)
    return session.exec(query).first()


def own_tokens(session: Session, actor: UserRow, kind: str) -> Sequence[TokenRow]:
    """The acting user's tokens of one kind, newest first (revoked ones included)."""
    query = (
        select(TokenRow)
        .where(col(TokenRow.user_id) == actor.id, col(TokenRow.kind) == kind)
        .order_by(col(TokenRow.id).desc())
    )
    return session.exec(query).all()


# ---- unscoped reads: sign-in and background jobs act for the system ---------------------


def user_by_email(session: Session, email: str) -> UserRow | None:
    return session.exec(select(UserRow).where(col(UserRow.email) == email.lower())).first()


def token_with_user(session: Session, token_hash: str) -> tuple[TokenRow, UserRow] | None:
    query = (
        select(TokenRow, UserRow)
        .join(UserRow, col(TokenRow.user_id) == UserRow.id)
        .where(col(TokenRow.token_hash) == token_hash)
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def active_runs(session: Session) -> Sequence[SolveRunRow]:
    """Runs that should have a live worker: the reaper checks each."""
    query = select(SolveRunRow).where(col(SolveRunRow.status).in_(ACTIVE_RUN_STATES))
    return session.exec(query).all()


def published_version(session: Session, term_id: int) -> ScheduleVersionRow | None:
    query = select(ScheduleVersionRow).where(
        col(ScheduleVersionRow.term_id) == term_id, col(ScheduleVersionRow.state) == "published"
    )
    return session.exec(query).first()


def due_messages(session: Session, now: datetime, limit: int) -> Sequence[OutboxMessageRow]:
    """Outbox rows to deliver: pending, or claimed by a worker whose lease ran out."""
    query = (
        select(OutboxMessageRow)
        .where(
            (col(OutboxMessageRow.state) == "pending")
            | (
                (col(OutboxMessageRow.state) == "sending")
                & (col(OutboxMessageRow.lease_until) < now)
            )
        )
        .order_by(col(OutboxMessageRow.id))
        .limit(limit)
    )
    return session.exec(query).all()


def published_numbers(session: Session, term_ids: Iterable[int]) -> dict[int, int]:
    """The number of each term's published version (the basis named in a disclosure)."""
    query = select(ScheduleVersionRow.term_id, ScheduleVersionRow.number).where(
        col(ScheduleVersionRow.term_id).in_(set(term_ids)),
        col(ScheduleVersionRow.state) == "published",
    )
    return {term_id: number for term_id, number in session.exec(query).all()}


def disclosure_ids_by_key(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """Ids of disclosure rows already written under these keys (plain columns)."""
    query = select(DisclosureRow.key, DisclosureRow.id).where(col(DisclosureRow.key).in_(set(keys)))
    return {key: row_id for key, row_id in session.exec(query).all() if row_id is not None}


def disclosures_by_key(session: Session, keys: Iterable[str]) -> dict[str, DisclosureRow]:
    """Disclosure rows already written under these keys (a repeat view adds to them)."""
    query = select(DisclosureRow).where(col(DisclosureRow.key).in_(set(keys)))
    return {row.key: row for row in session.exec(query).all()}


def term_students_unaudited(session: Session, term_id: int) -> Sequence[StudentRow]:
    """A term's student rows for the system (addressing messages), not shown to anyone."""
    return session.exec(select(StudentRow).where(col(StudentRow.term_id) == term_id)).all()


def site_partners(session: Session, school_id: int, site_refs: Iterable[str]) -> Sequence[UserRow]:
    """Active partner users of the given sites in a school (message recipients)."""
    query = select(UserRow).where(
        col(UserRow.role) == "partner",
        col(UserRow.active),
        col(UserRow.school_id) == school_id,
        col(UserRow.site_ref).in_(list(site_refs)),
    )
    return session.exec(query).all()
