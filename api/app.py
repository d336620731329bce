"""The app factory: settings in, a FastAPI app out; nothing connects at import time.

`create_app` reads settings (unless given), makes the engine and the job runner (in-process,
or the Redis queue when `IPE_QUEUE_URL` is set), wires the
routers and the one error handler. On startup it starts queued runs that no worker took
(their server was killed first) and reaps runs whose worker died while no server watched;
on shutdown it stops the workers it started.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from api import docs, errors, web
from api.body_limit import BodyLimitMiddleware, BodyLimits
from api.routers import (
    auth,
    compliance,
    coordinator,
    health,
    partner,
    people,
    preferences,
    slot_requests,
    student,
    term_items,
    whatifs,
)
from api.security_headers import SecurityHeaders
from scheduler import log_redaction
from scheduler.db.engine import make_engine, new_session
from scheduler.services.disclosure_writer import DisclosureWriter
from scheduler.services.jobs import JobRunner, ProcessJobRunner
from scheduler.services.solve_runs import reap_runs, recover_runs
from scheduler.services.view_cache import ViewCache
from scheduler.settings import Settings

DESCRIPTION = """
Schedules interprofessional education (IPE) sessions and clinical placements.

- **Coordinators** manage their school's terms: import (JSON or CSV), solve runs as jobs,
  schedule versions, publishing, exports, partner responses.
- **Students** see their own published sessions and placements.
- **Partners** see their own site's slots and the students placed there, and confirm or
  decline slots.

Every error has the shape `{"error": {"code", "message", "details": [{"path", "message"}]}}`.

People use the pages under `/app/`; calendar apps read `/feeds/{token}.ics`.
"""


def create_app(settings: Settings | None = None, *, runner: JobRunner | None = None) -> FastAPI:
    """Build the app for `settings` (default: read from `IPE_*` environment variables)."""
    settings = settings or Settings()
    log_redaction.install()  # before anything logs: no token or password in any log line
    engine = make_engine(settings.database_url, pool=settings.pool)
    runner = runner or default_runner(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _recover(app)
        yield
        app.state.runner.shutdown()
        app.state.disclosure_writer.close()
        _reap(app)
        engine.dispose()

    app = FastAPI(
        title="IPE scheduler",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by api.docs instead of from a CDN
        redoc_url=None,
    )
    app.state.settings, app.state.engine, app.state.runner = settings, engine, runner
    app.state.db_slots = anyio.Semaphore(settings.pool.connections)  # see api.deps.get_session
    # Partner feed reads' disclosure rows, group-committed (services/disclosure_writer.py).
    app.state.disclosure_writer = DisclosureWriter(engine)
    # Stored views' bytes by ETag, for this process (scheduler/services/view_cache.py).
    cache_bytes = settings.view_cache_mb * 1024 * 1024
    app.state.view_cache = ViewCache(cache_bytes) if cache_bytes else None
    errors.install(app)
    limits = BodyLimits(body_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    # Added last, so outermost: its headers reach every answer, a 413 from above included.
    app.add_middleware(SecurityHeaders, hsts_max_age_s=settings.hsts_max_age_s)
    # Routes are matched in order: the reads every student and calendar app makes on
    # publication day (feeds, then `/me/...`) come first, ahead of dozens of other routes.
    web.install_feeds(app)
    for module in (student, partner, auth, coordinator, health):
        app.include_router(module.router)
    app.include_router(people.router)
    app.include_router(people.public)
    app.include_router(term_items.router)
    app.include_router(preferences.router)
    app.include_router(slot_requests.router)
    app.include_router(compliance.router)
    app.include_router(compliance.student_router)
    app.include_router(compliance.partner_router)
    app.include_router(whatifs.router)
    web.install(app)
    docs.install(app)
    return app


def default_runner(settings: Settings) -> JobRunner:
    """Solve runs as processes of this app, or on the Redis queue when `IPE_QUEUE_URL` is set."""
    queue = settings.queue()
    if queue is not None:
        from scheduler.services.queue import RedisJobRunner

        return RedisJobRunner(
            queue, settings.database_url, stale_after_s=settings.run_stale_after_s
        )
    return ProcessJobRunner(
        settings.database_url,
        grace_s=settings.run_cancel_grace_s,
        stale_after_s=settings.run_stale_after_s,
    )


def _recover(app: FastAPI) -> None:
    """Start runs a killed server queued but never started; close those whose worker died."""
    with new_session(app.state.engine) as session:
        recover_runs(
            session,
            runner=app.state.runner,
            stale_after_s=app.state.settings.run_stale_after_s,
        )
        session.commit()


def _reap(app: FastAPI) -> None:
    """Close runs whose worker is gone (a previous server's, or one just stopped)."""
    with new_session(app.state.engine) as session:
        reap_runs(
            session,
            runner=app.state.runner,
            stale_after_s=app.state.settings.run_stale_after_s,
        )
        session.commit()
