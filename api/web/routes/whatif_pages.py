"""Coordinator pages for what-if searches: start one from a version's unmet needs (the
whole term or one student), watch it, and apply a suggestion as an edit of the term.

The search runs as a job on the solve-run queue (`scheduler.services.whatifs`); its page
polls the progress and shows the verified suggestions when it ends. Refusals (a version
that no longer fits the term, a search already running, a suggestion the term has
outgrown) are shown next to the form they came from.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import LimitsDep, RunnerDep, SessionDep, SettingsDep
from api.params import Id
from api.web.rendering import error_status, polled_json, render
from api.web.routes.coordinator_pages import unmet_page
from api.web.security import (
    CheckedForm,
    CoordinatorPage,
    WebSession,
    count_text,
    field,
    time_limit,
)
from scheduler.db import repositories
from scheduler.services import terms, whatifs
from scheduler.services.errors import Conflict, Invalid, NotFound, ServiceError
from scheduler.services.jobs import JobRunner
from scheduler.settings import Settings

router = APIRouter(prefix="/app/terms", include_in_schema=False)

DONE = {
    "applied": "Applied: the term has changed. Solve again (or repair the published"
    " version) to use it.",
}


@router.post("/{term_id}/versions/{version_id}/whatifs", response_class=HTMLResponse)
def start_whatif(
    term_id: Id,
    version_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    limits: LimitsDep,
    form: CheckedForm,
) -> Response:
    """Start a what-if search for the version's unmet needs (or one student's)."""
    try:
        run = whatifs.start_whatif_run(
            session,
            actor=web.user,
            term_id=term_id,
            version_id=version_id,
            runner=runner,
            limits=limits,
            student=field(form, "student") or None,
            time_limit_s=time_limit(form),
        )
    except ServiceError as error:
        if isinstance(error, NotFound):
            raise
        session.rollback()
        return unmet_page(request, session, web, term_id, version_id, whatif_error=error)
    return RedirectResponse(f"/app/terms/{term_id}/whatifs/{run.id}", status_code=303)


@router.get("/{term_id}/whatifs/{run_id}", response_class=HTMLResponse)
def whatif_page(
    term_id: Id,
    run_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """A search's progress, then its verified suggestions, each with an Apply button."""
    return _whatif_page(request, session, web, runner, settings, term_id, run_id, done=done)


def _whatif_page(
    request: Request,
    session: Session,
    web: WebSession,
    runner: JobRunner,
    settings: Settings,
    term_id: int,
    run_id: int,
    *,
    done: str = "",
    error: ServiceError | None = None,
) -> Response:
    search = _search(session, web, runner, settings, term_id, run_id)
    context: dict[str, Any] = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "search": search,
        "published": repositories.published_version(session, term_id) is not None,
        "default_limit": settings.run_time_limit_default_s,
        "done": DONE.get(done, ""),
        "error": error,
    }
    return render(request, "coord_whatif.html", context, web=web, status=error_status(error))


def _search(
    session: Session,
    web: WebSession,
    runner: JobRunner,
    settings: Settings,
    term_id: int,
    run_id: int,
) -> whatifs.WhatIfView:
    return whatifs.get_whatif(
        session,
        actor=web.user,
        term_id=term_id,
        run_id=run_id,
        runner=runner,
        stale_after_s=settings.run_stale_after_s,
    )


@router.get("/{term_id}/whatifs/{run_id}/progress", response_class=JSONResponse)
def whatif_progress(
    term_id: Id,
    run_id: Id,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
) -> JSONResponse:
    """How far the search is, polled by its page."""
    search = _search(session, web, runner, settings, term_id, run_id)
    body = {
        "status": search.run.status,
        "finished": search.finished,
        "tried": search.tried,
        "proposals": search.proposals,
        "found": search.found,
        "elapsed_s": search.run.progress.elapsed_s,
        "error": search.run.error,
    }
    return polled_json(body)


@router.post("/{term_id}/whatifs/{run_id}/apply", response_class=HTMLResponse)
def apply_suggestion(
    term_id: Id,
    run_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    """Apply one suggestion as an edit of the term; then solve again to use it."""
    try:
        index = count_text(field(form, "index"), "index", problem="choose a suggestion to apply")
        whatifs.apply_suggestion(
            session, actor=web.user, term_id=term_id, run_id=run_id, index=index
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _whatif_page(request, session, web, runner, settings, term_id, run_id, error=error)
    return RedirectResponse(f"/app/terms/{term_id}/whatifs/{run_id}?done=applied", 303)
