"""Login throttling: after too many failed sign-ins, for an account or from an address,
further attempts are refused (429 with Retry-After) until the window has moved on.

Why: a password form answers anyone, so without a limit it is an oracle for guessing
passwords, one account at a time or many accounts from one machine. Argon2 makes each
guess slow, not rare. Failures are rows in the database (`login_attempt`), not counters in
memory, so the limit holds across every server process and machine. A refused attempt is
not checked (the right password is refused too, or the limit would tell which one is
right) and not counted (so the lock ends one window after the last real failure). A
success clears the account's failures. The per-address limit is higher than the
per-account one: many people of one school may share an address. Behind a proxy, the
address is the proxy's unless uvicorn runs with `--proxy-headers`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, func
from sqlmodel import Session, col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import LoginAttemptRow
from scheduler.db.types import utcnow
from scheduler.services import auth
from scheduler.services.errors import TooManyRequests, Unauthorized


@dataclass(frozen=True)
class LoginLimits:
    """Failures allowed per account and per client address within `window_s` seconds."""

    per_account: int = 5
    per_address: int = 50
    window_s: int = 15 * 60


def login(
    session: Session,
    *,
    engine: Engine,
    email: str,
    password: str,
    address: str,
    ttl: timedelta,
    limits: LoginLimits,
    now: datetime | None = None,
) -> auth.IssuedToken:
    """`auth.login`, refused while throttled; a failure is recorded even though the
    request's own transaction rolls back."""
    moment = now or utcnow()
    account = account_key(email)
    check(session, account=account, address=address, limits=limits, now=moment)
    try:
        issued = auth.login(session, email=email, password=password, ttl=ttl)
    except Unauthorized:
        session.rollback()  # nothing to keep; frees SQLite for the write below
        record_failure(engine, account=account, address=address, limits=limits, now=moment)
        raise
    session.exec(delete(LoginAttemptRow).where(col(LoginAttemptRow.account) == account))  # type: ignore[call-overload]
    return issued


def account_key(email: str) -> str:
    """The stored form of an email as typed: hashed (see the module docstring)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def check(
    session: Session, *, account: str, address: str, limits: LoginLimits, now: datetime
) -> None:
    """TooManyRequests if the account or the address is over its limit in the window."""
    since = now - timedelta(seconds=limits.window_s)
    for column, value, limit, whom in (
        (LoginAttemptRow.account, account, limits.per_account, "this account"),
        (LoginAttemptRow.address, address, limits.per_address, "your network address"),
    ):
        wait = _wait_s(session, col(column) == value, since, limit, limits.window_s, now)
        if wait is not None:
            raise TooManyRequests(
                f"too many failed sign-ins for {whom}; try again in {_minutes(wait)}",
                code="login_throttled",
                retry_after_s=wait,
            )


def _wait_s(
    session: Session,
    match: ColumnElement[bool],
    since: datetime,
    limit: int,
    window_s: int,
    now: datetime,
) -> int | None:
    """Seconds until fewer than `limit` failures matching are in the window; None: now."""
    recent = col(LoginAttemptRow.at) >= since
    count = session.exec(select(func.count()).where(match, recent)).one()
    if count < limit:
        return None
    # Once the (count - limit + 1) oldest failures leave the window, one more try is allowed.
    query = (
        select(LoginAttemptRow.at)
        .where(match, recent)
        .order_by(col(LoginAttemptRow.at))
        .offset(count - limit)
        .limit(1)
    )
    expires = session.exec(query).one() + timedelta(seconds=window_s)
    return max(1, int((expires - now).total_seconds()) + 1)


def record_failure(
    engine: Engine, *, account: str, address: str, limits: LoginLimits, now: datetime
) -> None:
    """One failed attempt, committed on its own; attempts past the window are dropped."""
    stale = now - timedelta(seconds=limits.window_s)
    with new_session(engine) as session:
        session.add(LoginAttemptRow(account=account, address=address[:100], at=now))
        session.exec(delete(LoginAttemptRow).where(col(LoginAttemptRow.at) < stale))  # type: ignore[call-overload]
        session.commit()


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"
