"""Request dependencies: the database session, the acting user, role gates, the runner.

The session commits when the handler returns and rolls back when it raises (before the
response is sent), so a use case never commits on its own. Role gates answer 403 for the
wrong audience; which resources a user may see is decided later, in the repositories.

Sync dependencies and handlers run in the threadpool; dependencies that do no I/O are
`async` so they run on the event loop and a request does not queue for a thread for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import anyio
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from scheduler.db.engine import new_session
from scheduler.db.paging import Page
from scheduler.db.tables import TokenRow, UserRow
from scheduler.domain.schedule import ErrorItem
from scheduler.services import auth, disclosures, outbox
from scheduler.services.errors import Forbidden, Invalid, Unauthorized
from scheduler.services.import_limits import ImportLimits
from scheduler.services.jobs import JobRunner
from scheduler.services.login_throttle import LoginLimits
from scheduler.services.solve_runs import RunLimits
from scheduler.settings import Settings

bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; committed if the handler succeeds, else rolled back.

    A request first takes one of `app.state.db_slots` (as many as the pool has
    connections), waiting on the event loop, with no thread and no connection. So every
    request that holds a connection can get one, and a request that holds one while it
    waits for a threadpool thread always gets a thread: the threads are busy with requests
    that can finish. Without the slots, requests holding connections waited for threads
    that waited for connections, until the pool timed out (100 concurrent readers).
    """
    async with request.app.state.db_slots:
        session = new_session(request.app.state.engine)
        try:
            yield session
        except BaseException:
            await _end(session, commit=False)
            raise
        await _end(session, commit=True)


async def _end(session: Session, *, commit: bool) -> None:
    """Commit or roll back, then close, in a thread of its own (shielded from
    cancellation): giving the connection back never waits for the threadpool."""

    def end() -> None:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    with CancelScope(shield=True):
        await anyio.to_thread.run_sync(end, limiter=CapacityLimiter(1))


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

T = TypeVar("T")


async def in_session(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` in one session and one threadpool thread: open, work, commit, close.

    For the hottest reads (stored schedules and feeds): `SessionDep` and a sync handler
    take two thread hops per request (the handler, then the commit); this takes one. The
    same `db_slots` admission as `get_session`, so the pool is never waited on in a thread.
    """
    async with request.app.state.db_slots:

        def run() -> T:
            session = new_session(request.app.state.engine)
            try:
                result = work(session)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

        with CancelScope(shield=True):
            result = await anyio.to_thread.run_sync(run)
    return result


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


SettingsDep = Annotated[Settings, Depends(get_settings)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def run_limits(settings: SettingsDep) -> RunLimits:
    return RunLimits(
        default_time_limit_s=settings.run_time_limit_default_s,
        max_time_limit_s=settings.run_time_limit_max_s,
        workers=settings.run_workers,
        stale_after_s=settings.run_stale_after_s,
        memory_limit_mb=settings.run_memory_limit_mb,
        deadline_margin_s=settings.run_deadline_margin_s,
        max_active_per_school=settings.run_max_active_per_school,
        max_active=settings.run_max_active,
    )


LimitsDep = Annotated[RunLimits, Depends(run_limits)]


def import_limits(settings: SettingsDep) -> ImportLimits:
    return ImportLimits(
        students=settings.import_max_students,
        sites=settings.import_max_sites,
        slots=settings.import_max_slots,
        sessions=settings.import_max_sessions,
        items=settings.import_max_items,
        nested=settings.import_max_nested,
        columns=settings.import_max_columns,
        cell_chars=settings.import_max_cell_chars,
    )


ImportLimitsDep = Annotated[ImportLimits, Depends(import_limits)]

OFFSET_MAX = 2**31 - 1


async def page(
    settings: SettingsDep,
    limit: Annotated[
        int | None,
        Query(ge=1, description="Rows per page (default 100, at most 500 unless configured)."),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX, description="Rows to skip.")] = 0,
) -> Page:
    """The page of a list a client asked for; a `limit` over `IPE_PAGE_SIZE_MAX` is a 422
    (scheduler/db/paging.py says why lists are paged)."""
    largest = settings.page_size_max
    if limit is not None and limit > largest:
        message = f"at most {largest} rows per page; ask for the next page with `offset`"
        raise Invalid(
            "limit is too large", details=[ErrorItem(path="query.limit", message=message)]
        )
    return Page(limit=limit or min(settings.page_size_default, largest), offset=offset)


PageDep = Annotated[Page, Depends(page)]


def delivery(request: Request, settings: SettingsDep) -> outbox.Delivery:
    """How a publish's messages go out: in the background once the request commits. The
    API and the web pages both publish with this one."""
    return outbox.Delivery(
        engine=request.app.state.engine, smtp=outbox.smtp_settings(settings), background=True
    )


DeliveryDep = Annotated[outbox.Delivery, Depends(delivery)]


def deliver_after_commit(session: SessionDep, how: DeliveryDep) -> None:
    """Once the request's transaction commits, deliver the outbox (invitations, reminders,
    seat requests) the same way a publish does."""
    outbox.deliver_after_commit(session, delivery=how)


DeliverDep = Annotated[None, Depends(deliver_after_commit)]


def login_limits(settings: SettingsDep) -> LoginLimits:
    return LoginLimits(
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window_s=settings.login_window_s,
    )


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (a proxy's, without --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def login_ttl(settings: SettingsDep) -> timedelta:
    return timedelta(minutes=settings.token_ttl_minutes)


def get_token_user(
    session: SessionDep, token: Annotated[str | None, Depends(bearer)]
) -> tuple[UserRow, TokenRow]:
    """The user and token behind the `Authorization: Bearer` header, or 401."""
    if not token:
        raise Unauthorized("sign in first: send `Authorization: Bearer <token>`")
    return auth.authenticate(session, token=token)


TokenUser = Annotated[tuple[UserRow, TokenRow], Depends(get_token_user)]


async def get_current_user(token_user: TokenUser) -> UserRow:
    return token_user[0]


CurrentUser = Annotated[UserRow, Depends(get_current_user)]


def require(role: str) -> Callable[[UserRow], Awaitable[UserRow]]:
    """A dependency that lets only `role` through (403 for every other role)."""

    async def gate(user: CurrentUser) -> UserRow:
        if user.role != role:
            raise Forbidden(f"this endpoint is for {role}s", code="wrong_role")
        return user

    return gate


Coordinator = Annotated[UserRow, Depends(require("coordinator"))]
Student = Annotated[UserRow, Depends(require("student"))]
Partner = Annotated[UserRow, Depends(require("partner"))]


def partner_channel(token_user: TokenUser, user: Partner) -> disclosures.Channel:
    """How a partner request came: a sign-in or a site API token (for its disclosures)."""
    return disclosures.channel_of(token_user[1])


PartnerChannel = Annotated[disclosures.Channel, Depends(partner_channel)]
