"""Tables of setting a term up in the app: preference windows and students' rankings,
seat requests to partners and their answers, and edits made after publication.

Kept apart from `scheduler.db.tables` (which imports this module at its end, so every
table is on the one metadata); the people themselves are `UserRow`s, their invitations
`TokenRow`s of kind `invitation`, their invitation messages `OutboxMessageRow`s.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.db.types import UTCDateTime, utcnow


def _now() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _moment() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _term() -> Any:
    return Field(foreign_key="term.id", ondelete="CASCADE", index=True)


def _user() -> Any:
    return Field(default=None, foreign_key="app_user.id", ondelete="SET NULL", nullable=True)


class PreferenceWindowRow(SQLModel, table=True):
    """When a term's students may rank sites: open from `opens_on` to `closes_on`
    (inclusive, UTC days), for `professions` (empty: all), with up to `ranks` choices.
    `closed_at` is set when the coordinator closed it and the rankings went into the
    scenario; after that every change is refused."""

    __tablename__ = "preference_window"

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = Field(foreign_key="term.id", ondelete="CASCADE", unique=True)
    opens_on: date
    closes_on: date
    professions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ranks: int
    created_at: datetime = _now()
    closed_at: datetime | None = _moment()


class PreferenceRow(SQLModel, table=True):
    """One student's ranking of sites (best first) and the IPE sessions they cannot make."""

    __tablename__ = "preference"
    __table_args__ = (UniqueConstraint("term_id", "student_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term()
    student_ref: str
    sites: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unavailable_sessions: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    submitted_at: datetime = _now()


class SlotRequestRow(SQLModel, table=True):
    """Seats a coordinator asked a site for (profession, period), and the partner's answer:
    `requested`, then `offered` (with `offered_seats`, `language`, `notes`, and the new
    slot's id `slot_ref`) or `refused`."""

    __tablename__ = "slot_request"

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term()
    site_ref: str = Field(index=True)
    profession: str
    period_ref: str
    seats: int
    state: str = "requested"
    offered_seats: int | None = None
    language: str | None = None
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    slot_ref: str | None = None
    created_at: datetime = _now()
    created_by: int | None = _user()
    answered_at: datetime | None = _moment()
    answered_by: int | None = _user()


class TermEditRow(SQLModel, table=True):
    """A change to a term's entities made while a version was published: what the repair
    page offers to carry into a new version. `version_number` is the published one."""

    __tablename__ = "term_edit"

    id: int | None = Field(default=None, primary_key=True)
    term_id: int = _term()
    version_number: int
    entity: str
    ref: str
    action: str
    actor_id: int | None = _user()
    at: datetime = _now()
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
