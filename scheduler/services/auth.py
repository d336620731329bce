"""Accounts and sign-in: argon2 password hashes, expiring login tokens, partner API tokens.

Tokens are random strings handed out once; only their SHA-256 is stored, so a copy of the
database lets nobody sign in. Login tokens expire after the configured minutes; partner
API tokens (for a site's own systems) after the configured days, and can be revoked.
Every request checks its token, the user's `active` flag and role afresh, so a sign-out,
a revoked token, a new password or a deactivated account counts from the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.tables import ROLES, SchoolRow, TokenRow, UserRow
from scheduler.db.types import utcnow
from scheduler.services.errors import Forbidden, Invalid, NotFound, Unauthorized, found

HASHER = PasswordHasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = HASHER.hash("no such user")

LOGIN = "login"
PARTNER_API = "partner_api"
CALENDAR_FEED = "calendar_feed"
BEARER_KINDS = (LOGIN, PARTNER_API)
"""Token kinds that sign a request in; a calendar feed token only opens its own feed."""


@dataclass(frozen=True)
class IssuedToken:
    """A token as handed to its owner: the only time the plain value is seen."""

    token: str
    row: TokenRow
    user: UserRow


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def get_or_create_school(session: Session, *, name: str) -> SchoolRow:
    school = session.exec(select(SchoolRow).where(col(SchoolRow.name) == name)).first()
    if school is None:
        school = SchoolRow(name=name)
        session.add(school)
        session.flush()
    return school


def save_user(
    session: Session,
    *,
    school: SchoolRow,
    email: str,
    name: str,
    role: str,
    password: str | None,
    student_ref: str | None = None,
    site_ref: str | None = None,
) -> UserRow:
    """Create the account, or update it in place (same email): used by setup and the demo."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    assert school.id is not None
    existing = repositories.user_by_email(session, email)
    user = existing or UserRow(email=email.lower(), name=name, role=role, school_id=school.id)
    user.name, user.role, user.school_id = name, role, school.id
    user.student_ref = student_ref if role == "student" else None
    user.site_ref = site_ref if role == "partner" else None
    user.active = True
    session.add(user)
    session.flush()
    if existing is None:
        user.password_hash = hash_password(password) if password else None
    else:
        set_password(session, user=user, password=password)
    audit.record(session, actor=None, action="user.save", entity="user", entity_id=user.id)
    return user


def set_password(session: Session, *, user: UserRow, password: str | None) -> None:
    """Set (or clear) a user's password; a new one signs them out everywhere at once.

    Whoever knew the old password may hold a token made with it, so every login and
    partner API token of the user is revoked: the next request with one answers 401.
    Setting the same password again changes nothing (the demo re-saves its users).
    """
    if password and user.password_hash and _verifies(user.password_hash, password):
        return
    user.password_hash = hash_password(password) if password else None
    session.add(user)
    revoke_all_tokens(session, user=user, kinds=BEARER_KINDS)
    audit.record(session, actor=None, action="user.password", entity="user", entity_id=user.id)


def revoke_all_tokens(session: Session, *, user: UserRow, kinds: tuple[str, ...]) -> int:
    """Revoke every live token of these kinds of the user; how many were live."""
    moment = utcnow()
    live = [
        row
        for kind in kinds
        for row in repositories.own_tokens(session, user, kind)
        if row.revoked_at is None
    ]
    for row in live:
        row.revoked_at = moment
        session.add(row)
    return len(live)


def _verifies(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def login(session: Session, *, email: str, password: str, ttl: timedelta) -> IssuedToken:
    """Check a password and hand out a login token; one message for every failure."""
    if "\x00" in email:  # no address has one, and PostgreSQL cannot even compare it
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    user = repositories.user_by_email(session, email)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active or stored is _DUMMY_HASH:
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    if HASHER.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
        session.add(user)
    issued = issue_token(session, user=user, kind=LOGIN, ttl=ttl)
    audit.record(session, actor=user, action="auth.login", entity="user", entity_id=user.id)
    return issued


def issue_token(
    session: Session, *, user: UserRow, kind: str, ttl: timedelta, name: str = ""
) -> IssuedToken:
    """A new random token of `kind` for `user`, valid for `ttl`."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    row = TokenRow(
        user_id=user.id,
        kind=kind,
        name=name,
        token_hash=_digest(token),
        expires_at=utcnow() + ttl,
    )
    session.add(row)
    session.flush()
    return IssuedToken(token=token, row=row, user=user)


def authenticate(
    session: Session, *, token: str, now: datetime | None = None
) -> tuple[UserRow, TokenRow]:
    """The user a bearer token stands for; expired, revoked or unknown tokens are refused."""
    found_row = repositories.token_with_user(session, _digest(token))
    moment = now or utcnow()
    if found_row is None:
        raise Unauthorized("unknown token", code="invalid_token")
    row, user = found_row
    if row.kind not in BEARER_KINDS:
        raise Unauthorized("unknown token", code="invalid_token")
    if row.revoked_at is not None or row.expires_at <= moment or not user.active:
        raise Unauthorized("the token has expired or was revoked", code="invalid_token")
    if row.kind == PARTNER_API and user.role != "partner":
        raise Unauthorized("a partner API token serves partner accounts only", code="invalid_token")
    return user, row


def feed_owner(session: Session, *, token: str, now: datetime | None = None) -> UserRow:
    """The user a calendar feed token belongs to; any other token, or a stale one, is unknown.

    The feed URL is the only secret a calendar app holds, so every refusal looks the same
    and names nothing (NotFound: a feed address either exists or does not).
    """
    found_row = repositories.token_with_user(session, _digest(token))
    moment = now or utcnow()
    if found_row is None:
        raise NotFound("no such calendar feed")
    row, user = found_row
    if row.kind != CALENDAR_FEED or row.revoked_at is not None or row.expires_at <= moment:
        raise NotFound("no such calendar feed")
    if not user.active:
        raise NotFound("no such calendar feed")
    return user


def logout(session: Session, *, actor: UserRow, token: TokenRow) -> None:
    """Revoke the token the request came with."""
    token.revoked_at = utcnow()
    session.add(token)
    audit.record(session, actor=actor, action="auth.logout", entity="api_token", entity_id=token.id)


def create_partner_token(
    session: Session, *, actor: UserRow, name: str, ttl: timedelta
) -> IssuedToken:
    """A long-lived API token for the partner's own systems."""
    if actor.role != "partner":
        raise Forbidden("only partners create partner API tokens")
    issued = issue_token(session, user=actor, kind=PARTNER_API, ttl=ttl, name=name)
    audit.record(
        session,
        actor=actor,
        action="partner_token.create",
        entity="api_token",
        entity_id=issued.row.id,
        detail={"name": name},
    )
    return issued


def revoke_partner_token(session: Session, *, actor: UserRow, token_id: int) -> None:
    """Revoke one of the partner's own API tokens (again is fine)."""
    row = found(repositories.own_token(session, actor, token_id), "token")
    if row.kind != PARTNER_API:
        raise NotFound("token not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(
            session,
            actor=actor,
            action="partner_token.revoke",
            entity="api_token",
            entity_id=row.id,
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
