"""Calendar feeds: a secret per-user URL serving the user's published schedule as iCalendar.

A student's feed holds their IPE sessions and placements; a partner's feed holds their
site's slots that have students placed in them. The URL's token is a random string shown
to its owner when made; only its SHA-256 is stored (like every token), so the address
cannot be read back from the database, only replaced: rotating revokes the old address
and hands out a new one. A feed token opens nothing but its feed (`auth.authenticate`
refuses it as a bearer token).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from scheduler.db import audit, repositories
from scheduler.db.tables import TokenRow, UserRow
from scheduler.db.types import utcnow
from scheduler.services import auth, disclosures, ics
from scheduler.services.errors import Forbidden, NotFound
from scheduler.services.my_schedule import MyTerm, my_terms
from scheduler.services.period_hours import weekly_hours

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


def feed_calendar(session: Session, *, token: str) -> bytes:
    """The iCalendar document behind a feed token (NotFound for any token that is not one)."""
    owner = auth.feed_owner(session, token=token)
    if owner.role == "student":
        return student_calendar(session, actor=owner)
    if owner.role == "partner":
        return partner_calendar(session, actor=owner)
    raise NotFound("no such calendar feed")


# ---- students --------------------------------------------------------------------------


def student_calendar(session: Session, *, actor: UserRow) -> bytes:
    """The student's sessions and placements in every published version, as iCalendar."""
    terms = my_terms(session, actor=actor)
    events = [e for term in terms for e in student_events(term, actor.student_ref or "")]
    stamps = [t.published_at for t in terms if t.published_at is not None]
    return ics.build_calendar(
        name=f"IPE schedule: {actor.name}", events=events, stamp=max(stamps, default=EPOCH)
    )


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


# ---- partners --------------------------------------------------------------------------


def partner_calendar(session: Session, *, actor: UserRow) -> bytes:
    """The partner's slots with students placed by a published version, as iCalendar."""
    rows = repositories.partner_slots(session, actor)
    placed = repositories.placed_students(
        session, actor, [slot for slot, *_ in rows], via="partner.feed"
    )
    events: list[ics.AnyEvent] = []
    stamps: list[datetime] = []
    shown: list[disclosures.Shown] = []
    for slot, site, period, term in rows:
        students = placed.get(slot.id or 0, [])
        if not students:
            continue
        version = repositories.published_version(session, slot.term_id)
        shown += [
            disclosures.placed(
                s,
                term=term,
                site=site,
                slot_ref=slot.ref,
                period=period,
                version=version.number if version else None,
                fields=disclosures.placement_fields(s, with_needs=False),
            )
            for s in students
        ]
        if version is not None and version.published_at is not None:
            stamps.append(version.published_at)
        hours = weekly_hours(session, term)
        names = ", ".join(f"{s.name} ({s.profession})" for s in students)
        about = ics.About(
            summary=f"Placement students: {len(students)} {slot.profession}",
            location=f"{site.name}, {site.address}" if site.address else site.name,
            description=f"{term.name}. Slot {slot.ref}, period {period.ref}: {names}.",
            geo=(site.lat, site.lon),
            sequence=version.number if version else 0,
        )
        events += ics.weekly_events(
            ["slot", term.code, site.ref, slot.ref],
            hours.get(period.ref, ()),
            about=about,
            timezone=term.timezone,
            first=period.start,
            last=period.end,
        )
    disclosures.record(
        session,
        recipient=actor,
        channel=disclosures.CALENDAR_FEED,
        resource="partner.feed",
        shown=shown,
        export=True,
    )
    return ics.build_calendar(
        name=f"IPE placements: {actor.name}", events=events, stamp=max(stamps, default=EPOCH)
    )
