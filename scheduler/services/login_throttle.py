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
address is the proxy's unless the proxy is trusted (`IPE_TRUSTED_PROXIES`, off by default).

Counting is atomic, not check-then-act: before its password is checked, an attempt claims
a numbered seat of its account (< `per_account`) and of its address (< `per_address`) in
one row, committed on its own; unique indexes on (account, seat) and (address, seat) let
two simultaneous attempts never hold one seat (INSERT ... ON CONFLICT DO NOTHING, then a
re-read and another try). With no seat left, the attempt is refused unchecked. A wrong
password leaves its row as the recorded failure; a right one deletes the account's rows.
So a burst of 40 simultaneous wrong passwords checks exactly `per_account` of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    claim_attempt(engine, account=account, address=address, limits=limits, now=moment)
    try:
        issued = auth.login(session, email=email, password=password, ttl=ttl)
    except Unauthorized:
        session.rollback()  # the claimed seat stays: it is the recorded failure
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


def claim_attempt(
    engine: Engine, *, account: str, address: str, limits: LoginLimits, now: datetime
) -> None:
    """Record one attempt in a seat of its account and its address, committed on its own;
    TooManyRequests (nothing recorded) when either has no free seat in the window.
    Attempts past the window are dropped first."""
    stale = now - timedelta(seconds=limits.window_s)
    address = address[:100]
    with new_session(engine) as session:
        # A write first: on SQLite it takes the one write lock, so what follows reads
        # the newest rows; on PostgreSQL racing inserts are settled by the indexes.
        session.exec(delete(LoginAttemptRow).where(col(LoginAttemptRow.at) < stale))  # type: ignore[call-overload]
        for _ in range(limits.per_account + limits.per_address + 2):
            account_seat = _free_seat(
                session,
                LoginAttemptRow.account,
                account,
                LoginAttemptRow.account_seat,
                limits.per_account,
            )
            address_seat = _free_seat(
                session,
                LoginAttemptRow.address,
                address,
                LoginAttemptRow.address_seat,
                limits.per_address,
            )
            if account_seat is None or address_seat is None:
                session.commit()
                check(session, account=account, address=address, limits=limits, now=now)
                break  # the seats freed up meanwhile: try again below
            row = LoginAttemptRow(
                account=account,
                address=address,
                at=now,
                account_seat=account_seat,
                address_seat=address_seat,
            )
            if _insert_unless_taken(session, row):
                session.commit()
                return
        session.commit()
    raise TooManyRequests(
        "too many sign-ins at once for this account or address; try again in a minute",
        code="login_throttled",
        retry_after_s=60,
    )


record_failure = claim_attempt
"""A failed attempt, recorded as the attempt it was (for tests and tools)."""


def _free_seat(session: Session, key: Any, value: str, seat: Any, limit: int) -> int | None:
    """The lowest seat below `limit` that no attempt in the window with `key == value`
    holds; None if they hold `limit` or more."""
    held = session.exec(select(seat).where(col(key) == value)).all()
    free = sorted(set(range(limit)) - set(held))
    return free[0] if len(held) < limit and free else None


def _insert_unless_taken(session: Session, row: LoginAttemptRow) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: whether the row (and so its seats) went in."""
    table = LoginAttemptRow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    values = row.model_dump(exclude={"id"})
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return session.exec(statement).scalar_one_or_none() is not None  # type: ignore[call-overload]


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"
