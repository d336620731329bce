"""SQLModel tables: schools, users and tokens, terms and their entities, runs, versions.

A term keeps its whole scenario document (`scenario_json`, so export and solve round-trip
exactly) and one row per entity (students, sites, slots, ...) for scoping, listing and
foreign keys. Entity rows carry `ref`, the id used inside the scenario document. Every
table class is named `...Row` so it is never mistaken for the domain model of the same
name. Changing a table means a new Alembic migration (`ipe db revision`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from scheduler.db.types import UTCDateTime, utcnow

ROLES = ("coordinator", "student", "partner")

# Deterministic constraint names, so migrations can name what they alter or drop.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _now_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _moment_field() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _term_fk() -> Any:
    return Field(foreign_key="term.id", ondelete="CASCADE", index=True)


class SchoolRow(SQLModel, table=True):
    """A school: coordinators see its terms; students and partners belong to it."""

    __tablename__ = "school"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class UserRow(SQLModel, table=True):
    """A person who signs in: a coordinator, a student (`student_ref`) or a partner (`site_ref`).

    Students and partners are linked by the scenario ids of their student record and site,
    which stay the same across the terms of their school.
    """

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    role: str
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE", index=True)
    student_ref: str | None = None
    site_ref: str | None = None
    password_hash: str | None = None
    active: bool = True
    created_at: datetime = _now_field()


class TokenRow(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256: a login session or a partner API token."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    kind: str
    name: str = ""
    token_hash: str = Field(unique=True)
    created_at: datetime = _now_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = _moment_field()


class TermRow(SQLModel, table=True):
    """One term of one school, with its whole scenario document."""

    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE", index=True)
    code: str
    name: str
    start: date
    end: date
    timezone: str
    scenario_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _now_field()


class ProfessionRow(SQLModel, table=True):
    __tablename__ = "profession"
    __table_args__ = (UniqueConstraint("term_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    code: str
    name: str


class StudentRow(SQLModel, table=True):
    """A student of one term; the fields people need, the rest stays in the scenario."""

    __tablename__ = "student"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    ref: str = Field(index=True)
    name: str
    email: str = ""
    profession: str
    cohort: str | None = None
    travel_mode: str = "car"
    # Only the needs a placement site may see (`scheduler.domain.privacy.SITE_NEEDS`): any
    # other `needs` text stays in the scenario document, where no partner read reaches.
    site_needs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class StudentAttributeRow(SQLModel, table=True):
    """One demographic attribute of a student (e.g. `first_generation`), apart from the
    student row and the stored scenario document.

    Read only to count groups for the equity report and solver (figures from fewer than 5
    students suppressed) and for the coordinator's full scenario export; no per-student
    view shows it.
    """

    __tablename__ = "student_attribute"
    __table_args__ = (UniqueConstraint("student_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    student_id: int = Field(foreign_key="student.id", ondelete="CASCADE", index=True)
    name: str
    value: Any = Field(sa_column=Column(JSON, nullable=False))


class DirectoryOptOutRow(SQLModel, table=True):
    """A student who opted out of directory information: other students see no name.

    Kept per school and student id (ids outlive terms), so it holds in every term; the row
    exists while the opt-out does. `source` says who recorded it: the student or an import.
    """

    __tablename__ = "directory_opt_out"
    __table_args__ = (UniqueConstraint("school_id", "student_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE", index=True)
    student_ref: str
    source: str
    created_at: datetime = _now_field()


class DisclosureRow(SQLModel, table=True):
    """Student data shown to someone outside the school (a clinical partner), for the
    student's record of disclosures: who, what, when and on which basis.

    One row per student, recipient, channel, resource, fields and basis per UTC day
    (`key`); later views that day add to `views` and move `last_at`. No foreign key but
    the school's: the record outlives the term, user and token it names.
    """

    __tablename__ = "disclosure"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE", index=True)
    student_ref: str = Field(index=True)
    term_id: int | None = None
    term_name: str = ""
    recipient_kind: str
    recipient_user_id: int | None = None
    recipient: str
    token_id: int | None = None
    token_name: str = ""
    site_ref: str
    site_name: str
    resource: str
    export: bool = False
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    basis_code: str
    basis: str = Field(sa_column=Column(Text, nullable=False))
    version_number: int | None = None
    first_at: datetime = _now_field()
    last_at: datetime = _now_field()
    views: int = 1


class ProgramCalendarRow(SQLModel, table=True):
    __tablename__ = "program_calendar"

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    position: int
    profession: str
    cohort: str | None = None


class RoomRow(SQLModel, table=True):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    ref: str
    name: str
    accessible: bool = False


class FacilitatorRow(SQLModel, table=True):
    __tablename__ = "facilitator"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    ref: str
    name: str
    profession: str
    max_sessions: int | None = None


class ActivityRow(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    ref: str
    name: str
    teams_per_facilitator: int = 0


class SessionRow(SQLModel, table=True):
    """An IPE session; `start`/`end` are the term's local wall-clock times."""

    __tablename__ = "ipe_session"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    activity_id: int = Field(foreign_key="activity.id", ondelete="CASCADE", index=True)
    room_id: int = Field(foreign_key="room.id", ondelete="CASCADE", index=True)
    ref: str
    # Plain DateTime stated outright: sqlmodel otherwise reuses another field's sa_type.
    start: datetime = Field(sa_type=DateTime)
    end: datetime = Field(sa_type=DateTime)
    max_teams: int


class SiteRow(SQLModel, table=True):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    ref: str = Field(index=True)
    name: str
    lat: float
    lon: float
    transit_accessible: bool = False
    accessible: bool = False
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    address: str | None = None


class PeriodRow(SQLModel, table=True):
    __tablename__ = "period"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    ref: str
    start: date
    end: date


class SlotRow(SQLModel, table=True):
    """Seats a site offers; `status` follows partner responses, `version` guards races."""

    __tablename__ = "slot"
    __table_args__ = (UniqueConstraint("term_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    period_id: int = Field(foreign_key="period.id", ondelete="CASCADE", index=True)
    ref: str
    profession: str
    capacity: int
    language: str | None = None
    status: str = "offered"
    version: int = 1


class PlacementRequirementRow(SQLModel, table=True):
    __tablename__ = "placement_requirement"

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    position: int
    key: str
    profession: str
    cohort: str | None = None
    count: int


ACTIVE_RUN_STATES = ("queued", "running", "cancelling")
"""Run states that hold their term and their seats: a worker is, or will be, on them."""
ACTIVE_RUN = "status IN ({})".format(", ".join(f"'{state}'" for state in ACTIVE_RUN_STATES))


def _while_active(name: str, *columns: str) -> Index:
    """A unique index over the active runs only: finished runs free what they held."""
    where = text(ACTIVE_RUN)
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


class SolveRunRow(SQLModel, table=True):
    """One solve job: what it was asked, how it went, and what produced it.

    The database itself keeps the run caps (`scheduler.services.run_caps`): while a run is
    active it holds its term (one active run per term), a numbered seat of its school
    (`school_seat` < the per-school cap) and one of the service (`service_seat` < the
    overall cap), each unique among active runs. Two starts racing for the last seat cannot
    both be inserted, on SQLite or PostgreSQL; finishing (any status change out of the
    active ones) frees the seats with no further write.
    """

    __tablename__ = "solve_run"
    __table_args__ = (
        _while_active("uq_solve_run_active_term", "term_id"),
        _while_active("uq_solve_run_school_seat", "school_id", "school_seat"),
        _while_active("uq_solve_run_service_seat", "service_seat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    school_id: int | None = None
    school_seat: int | None = None
    service_seat: int | None = None
    created_by: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL", nullable=True
    )
    status: str = "queued"
    time_limit_s: float
    workers: int
    seed: int
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ortools_version: str = ""
    git_revision: str = ""
    pid: int | None = None
    worker_host: str | None = None
    created_at: datetime = _now_field()
    started_at: datetime | None = _moment_field()
    heartbeat_at: datetime | None = _moment_field()
    finished_at: datetime | None = _moment_field()
    progress_level: str | None = None
    progress_best: float | None = None
    progress_bound: float | None = None
    progress_elapsed_s: float | None = None
    progress_series: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    """Progress over time: {level, elapsed_s, best, bound} each time a figure changed."""
    result: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    """What a run that makes no schedule found (a what-if search: its suggestions)."""
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ScheduleVersionRow(SQLModel, table=True):
    """A validated schedule of a term: a draft, the published one, or a superseded one."""

    __tablename__ = "schedule_version"
    __table_args__ = (UniqueConstraint("term_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term_fk()
    run_id: int | None = Field(
        default=None, foreign_key="solve_run.id", ondelete="SET NULL", nullable=True
    )
    number: int
    state: str = "draft"
    status: str
    schedule_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _now_field()
    published_at: datetime | None = _moment_field()
    published_by: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL", nullable=True
    )


class AssignmentRow(SQLModel, table=True):
    """One student in one session team, or holding one slot, in one schedule version."""

    __tablename__ = "assignment"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="schedule_version.id", ondelete="CASCADE", index=True)
    student_id: int = Field(foreign_key="student.id", ondelete="CASCADE", index=True)
    kind: str
    session_id: int | None = Field(
        default=None, foreign_key="ipe_session.id", ondelete="CASCADE", nullable=True
    )
    team_ref: str | None = None
    slot_id: int | None = Field(
        default=None, foreign_key="slot.id", ondelete="CASCADE", nullable=True, index=True
    )


class SlotResponseRow(SQLModel, table=True):
    """A partner's confirm or decline of a slot, kept for the coordinator."""

    __tablename__ = "slot_response"

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="slot.id", ondelete="CASCADE", index=True)
    user_id: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL", nullable=True
    )
    decision: str
    reason: str = ""
    slot_version: int
    created_at: datetime = _now_field()


class AuditRow(SQLModel, table=True):
    """Who did or read what, when. No foreign keys: the trail outlives what it mentions."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _now_field()
    actor_id: int | None = Field(default=None, index=True)
    actor_email: str = ""
    action: str = Field(index=True)
    entity: str
    entity_id: str = ""
    term_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxMessageRow(SQLModel, table=True):
    """A message to one affected person, written in the transaction that publishes.

    `key` (unique) is the idempotency key: one row per version and recipient, and the
    Message-ID of the email. Delivery claims a row (`sending`, with `lease_until`), sends,
    then marks it `sent`; a worker that dies mid-way leaves a lease that expires, so the row
    is retried, never sent by two workers at once. Without SMTP rows become `in_app`.
    """

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    # Both empty for an invitation (`recipient_kind` "invitation"): it belongs to no term.
    term_id: int | None = Field(
        default=None, foreign_key="term.id", ondelete="CASCADE", index=True, nullable=True
    )
    version_id: int | None = Field(
        default=None,
        foreign_key="schedule_version.id",
        ondelete="CASCADE",
        index=True,
        nullable=True,
    )
    recipient_kind: str
    recipient_ref: str = Field(index=True)
    user_id: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL", nullable=True, index=True
    )
    email: str = ""
    subject: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", index=True)
    attempts: int = 0
    lease_until: datetime | None = _moment_field()
    sent_at: datetime | None = _moment_field()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _now_field()


class LoginAttemptRow(SQLModel, table=True):
    """A failed sign-in (or one whose password is being checked), kept for the throttling
    window (`scheduler.services.login_throttle`).

    In the database, not in memory, so the limit holds across server processes. The account
    is the SHA-256 of the normalised email: people type passwords into the email field,
    and those must not be stored in the clear.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        UniqueConstraint("account", "account_seat"),
        UniqueConstraint("address", "address_seat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(index=True)
    address: str = Field(index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    # Seats: attempts in the window are numbered per account and per address, uniquely, so
    # simultaneous attempts cannot both take the last one (`login_throttle.claim_attempt`).
    account_seat: int = 0
    address_seat: int = 0


class PublishedViewRow(SQLModel, table=True):
    """A person's published schedule, built once at publish and served as stored bytes.

    One row per school, owner (`student` by student id, `site` by site id: ids outlive
    terms) and kind (`schedule`: the JSON of `GET /me/schedule`; `feed`: the iCalendar
    feed). `etag` is a digest of `body`; `built_at` moves only when the bytes change, so it
    is the Last-Modified. `disclosures` holds, for a site's feed, the students it shows and
    the facts of each disclosure row a read must write (`scheduler.services.published_views`).
    """

    __tablename__ = "published_view"
    __table_args__ = (UniqueConstraint("school_id", "owner_kind", "owner_ref", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE", index=True)
    owner_kind: str
    owner_ref: str
    kind: str
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    etag: str
    built_at: datetime = _now_field()
    disclosures: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


# The term set-up tables live in their own module; importing it registers them here too.
from scheduler.db import term_setup_tables  # noqa: E402, F401
