"""Calendar feeds: a secret per-user URL serving the user's published schedule as iCalendar.

A student's feed holds their IPE sessions and placements; a partner's feed holds their
site's slots that have students placed in them. The URL's token is a random string shown
to its owner when made; only its SHA-256 is stored (like every token), so the address
cannot be read back from the database, only replaced: rotating revokes the old address
and hands out a new one. A feed token opens nothing but its feed (`auth.authenticate`
refuses it as a bearer token). The feeds themselves are built at publish and stored
(`scheduler.services.published_views`, which uses `student_events` here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from scheduler.db import audit, repositories
from scheduler.db.tables import TokenRow, UserRow
from scheduler.db.types import utcnow
from scheduler.services import auth, ics
from scheduler.services.errors import Forbidden
from scheduler.services.my_schedule import MyTerm

FEED_TTL = timedelta(days=5 * 365)
"""Feeds are subscribed to once and read for years; rotating is how one is ended."""
FEED_ROLES = ("student", "partner")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedStatus:
    """Whether the user has a working feed address, and since when (never the address)."""

    active: bool
    created_at: datetime | None


def feed_status(session: Session, *, actor: UserRow) -> FeedStatus:
    live = _live_tokens(session, actor)
    return FeedStatus(active=bool(live), created_at=live[0].created_at if live else None)


def rotate_feed(session: Session, *, actor: UserRow) -> str:
    """Revoke the user's feed address (if any) and return a new secret token for it."""
    if actor.role not in FEED_ROLES:
        raise Forbidden("calendar feeds are for students and partners")
    now = utcnow()
    for token in _live_tokens(session, actor):
        token.revoked_at = now
        session.add(token)
    issued = auth.issue_token(session, user=actor, kind=auth.CALENDAR_FEED, ttl=FEED_TTL)
    audit.record(
        session, actor=actor, action="feed.rotate", entity="api_token", entity_id=issued.row.id
    )
    return issued.token


def _live_tokens(session: Session, actor: UserRow) -> list[TokenRow]:
    now = utcnow()
    return [
        t
        for t in repositories.own_tokens(session, actor, auth.CALENDAR_FEED)
        if t.revoked_at is None and t.expires_at > now
    ]


# ---- students --------------------------------------------------------------------------


def student_events(term: MyTerm, student: str) -> list[ics.AnyEvent]:
    """One event per session, one weekly series per placement and pair of hours."""
    events: list[ics.AnyEvent] = [
        ics.TimedEvent(
            uid=ics.uid("session", term.code, student, s.session),
            about=ics.About(
                summary=f"IPE: {s.activity}",
                location=s.room,
                description=f"{term.name}. Session {s.session}, team {s.team}.",
                sequence=term.version,
            ),
            timezone=term.timezone,
            start=s.start,
            end=s.end,
        )
        for s in term.sessions
    ]
    for p in term.placements:
        about = ics.About(
            summary=f"Placement: {p.site_name}",
            location=f"{p.site_name}, {p.address}" if p.address else p.site_name,
            description=f"{term.name}. {p.profession} placement, period {p.period}, slot {p.slot}.",
            geo=(p.lat, p.lon),
            sequence=term.version,
        )
        events += ics.weekly_events(
            ["placement", term.code, student, p.slot],
            p.weekly,
            about=about,
            timezone=term.timezone,
            first=p.start,
            last=p.end,
        )
    return events
