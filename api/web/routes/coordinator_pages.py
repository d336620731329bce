"""Coordinator pages: terms and import, solve runs with live progress, schedule versions
(by session, by site, by student, unmet needs), publishing, partner responses, a
student's disclosure log and the equity report (with its CSV and JSON downloads).

Refusals a coordinator can act on (import errors, a run that cannot start, a schedule that
no longer validates) are shown on the page they came from, next to the form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from api.deps import DeliveryDep, LimitsDep, RunnerDep, SessionDep, SettingsDep, import_limits
from api.params import ID_MAX, Id, Ref
from api.web.charts import run_charts
from api.web.rendering import error_status, polled_json, render, templates
from api.web.security import (
    CheckedForm,
    CoordinatorPage,
    WebSession,
    decimal_number,
    field,
    optional_count,
    time_limit,
    whole_number,
)
from scheduler.db.paging import Page
from scheduler.domain.alternatives import MAX_ALTERNATIVES, Tolerance
from scheduler.services import (
    disclosures,
    equity_reports,
    exports,
    outbox,
    repairs,
    schedule_views,
    slots,
    solve_runs,
    terms,
    versions,
    whatifs,
)
from scheduler.services.csv_import import SPECS
from scheduler.services.errors import Conflict, Invalid, ServiceError
from scheduler.services.exports import CsvView
from scheduler.services.jobs import JobRunner
from scheduler.services.views import RunView, VersionView
from scheduler.settings import Settings

router = APIRouter(prefix="/app/terms", include_in_schema=False)

FINISHED = ("succeeded", "failed", "cancelled")
DONE = {
    "imported": "The term was imported.",
    "csv": "The CSV files replaced the term's lists.",
    "published": "The version is published: students and partners see it now.",
    "cancelling": "Cancel requested: the run stops in a moment.",
    "retried": "Failed messages are queued again; delivery has started.",
}
View = Literal["sessions", "sites", "students", "unmet", "changes", "weeks"]
CSV_FILES = tuple(SPECS)


@router.get("", response_class=HTMLResponse)
def term_list(request: Request, session: SessionDep, web: CoordinatorPage) -> Response:
    """Your terms, and the form to import one."""
    return _terms_page(request, session, web)


def _terms_page(
    request: Request, session: Session, web: WebSession, *, error: ServiceError | None = None
) -> Response:
    context = {"terms": terms.list_terms(session, actor=web.user), "error": error}
    return render(request, "coord_terms.html", context, web=web, status=error_status(error))


@router.post("", response_class=HTMLResponse)
async def import_term(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Import a scenario JSON file as a new term; every problem is listed on the page."""
    upload = form.get("scenario")
    # Sizes are bounded by api.body_limit (IPE_MAX_UPLOAD_BYTES) before the form is read.
    document = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        if not document:
            raise Invalid("choose a scenario JSON file to import", code="file_missing")
        term = terms.import_scenario(
            session, actor=web.user, document=document, limits=import_limits(settings)
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _terms_page(request, session, web, error=error)
    return RedirectResponse(f"/app/terms/{term.id}?done=imported", status_code=303)


@router.post("/{term_id}/csv", response_class=HTMLResponse)
async def import_csv(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    """Replace lists of an unscheduled term from CSV files; errors as FILE.csv:LINE:COLUMN."""
    files = {}
    for name in CSV_FILES:
        upload = form.get(name)
        if isinstance(upload, UploadFile) and upload.filename:
            files[name] = await upload.read()
    try:
        terms.import_csv(
            session,
            actor=web.user,
            term_id=term_id,
            files=files,
            limits=import_limits(settings),
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _term_page(request, session, web, runner, settings, term_id, csv_error=error)
    return RedirectResponse(f"/app/terms/{term_id}?done=csv", status_code=303)


@router.get("/{term_id}", response_class=HTMLResponse)
def term_page(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """A term: its size, solve form, runs and versions."""
    return _term_page(request, session, web, runner, settings, term_id, done=done)


def _term_page(
    request: Request,
    session: Session,
    web: WebSession,
    runner: JobRunner,
    settings: Settings,
    term_id: Id,
    *,
    done: str = "",
    error: ServiceError | None = None,
    csv_error: ServiceError | None = None,
) -> Response:
    listed = versions.list_versions(session, actor=web.user, term_id=term_id)
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "csv_files": CSV_FILES,
        "csv_error": csv_error,
        "runs": solve_runs.list_runs(
            session,
            actor=web.user,
            term_id=term_id,
            runner=runner,
            stale_after_s=settings.run_stale_after_s,
        )[:10],
        "versions": listed,
        "alternative_of": _alternative_of(listed),
        "default_limit": settings.run_time_limit_default_s,
        "max_limit": settings.run_time_limit_max_s,
        "done": DONE.get(done, ""),
        "error": error,
    }
    status = error_status(error or csv_error)
    return render(request, "coord_term.html", context, web=web, status=status)


def _alternative_of(listed: list[VersionView]) -> dict[int, tuple[int, int]]:
    """Version id -> (its place among its run's versions, the run), for runs that saved
    more than one (alternatives)."""
    by_run: dict[int, list[VersionView]] = {}
    for version in listed:
        if version.run_id is not None:
            by_run.setdefault(version.run_id, []).append(version)
    return {
        version.id: (place, run_id)
        for run_id, saved in by_run.items()
        if len(saved) > 1
        for place, version in enumerate(sorted(saved, key=lambda v: v.number), start=1)
    }


@router.post("/{term_id}/runs", response_class=HTMLResponse)
def start_run(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    limits: LimitsDep,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    """Start a solve run (one schedule, or up to K alternatives) and watch it."""
    try:
        count = whole_number(form, "alternatives", low=1, high=MAX_ALTERNATIVES) or 1
        run = solve_runs.start_solve_run(
            session,
            actor=web.user,
            term_id=term_id,
            runner=runner,
            limits=limits,
            time_limit_s=time_limit(form),
            alternatives=count,
            tolerance=_tolerance(form) if count > 1 else None,
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _term_page(request, session, web, runner, settings, term_id, error=error)
    return RedirectResponse(f"/app/terms/{term_id}/runs/{run.id}", status_code=303)


def _tolerance(form: FormData) -> Tolerance | None:
    """The form's tolerance in per cent, for every level but coverage (empty: 2 %)."""
    percent = decimal_number(form, "tolerance_percent", low=0, high=100)
    return None if percent is None else Tolerance(default=percent / 100)


@router.get("/{term_id}/runs/{run_id}/alternatives", response_class=HTMLResponse)
def alternatives_page(
    term_id: Id,
    run_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
) -> Response:
    """A run's schedules side by side; publish the one you choose."""
    table = solve_runs.run_alternatives(session, actor=web.user, term_id=term_id, run_id=run_id)
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "run_id": run_id,
        "table": table,
        "numbers": {
            v.id: v.number for v in versions.list_versions(session, actor=web.user, term_id=term_id)
        },
    }
    return render(request, "coord_alternatives.html", context, web=web)


@router.get("/{term_id}/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    term_id: Id,
    run_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """A run's live progress: objective and bound over time (stored, drawn here as SVG),
    and a cancel button; once finished, how the solve went stage by stage. A what-if
    search's run is shown on its own page."""
    run = _run(session, web, runner, settings, term_id, run_id)
    if run.parameters.get("kind") == whatifs.KIND:
        return RedirectResponse(f"/app/terms/{term_id}/whatifs/{run_id}", status_code=303)
    finished = run.status in FINISHED
    stages = (
        solve_runs.run_stages(session, actor=web.user, term_id=term_id, run_id=run_id)
        if finished
        else []
    )
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "run": run,
        "charts": run_charts(run),
        "version_url": _version_url(term_id, run),
        "version_label": _version_label(run),
        "finished": finished,
        "stages": stages,
        "done": DONE.get(done, ""),
    }
    return render(request, "coord_run.html", context, web=web)


@router.get("/{term_id}/runs/{run_id}/progress", response_class=JSONResponse)
def run_progress(
    term_id: Id,
    run_id: Id,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The run's status and newest progress, polled by the run page."""
    run = _run(session, web, runner, settings, term_id, run_id)
    body = {
        "status": run.status,
        "finished": run.status in FINISHED,
        "level": run.progress.level,
        "best": run.progress.best,
        "bound": run.progress.bound,
        "elapsed_s": run.progress.elapsed_s,
        "error": run.error,
        "version_url": _version_url(term_id, run),
        "points": len(run.series),
        "charts_html": templates.get_template("_run_charts.html").render(charts=run_charts(run)),
        "version_label": _version_label(run),
    }
    return polled_json(body)


def _version_url(term_id: int, run: RunView) -> str | None:
    """Where a finished run's version is reviewed: a repair's at its changes."""
    if not run.version_id:
        return None
    if run.alternatives > 1:
        return f"/app/terms/{term_id}/runs/{run.id}/alternatives"
    base = f"/app/terms/{term_id}/versions/{run.version_id}"
    return f"{base}/changes" if run.parameters.get("previous_version") else base


def _version_label(run: RunView) -> str:
    return "compare the alternatives" if run.alternatives > 1 else "view the new version"


def _run(
    session: Session,
    web: WebSession,
    runner: JobRunner,
    settings: Settings,
    term_id: Id,
    run_id: Id,
) -> RunView:
    return solve_runs.get_run(
        session,
        actor=web.user,
        term_id=term_id,
        run_id=run_id,
        runner=runner,
        stale_after_s=settings.run_stale_after_s,
    )


@router.post("/{term_id}/runs/{run_id}/cancel")
def cancel_run(
    term_id: Id,
    run_id: Id,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    form: CheckedForm,
) -> Response:
    """Ask the run to stop; the page keeps watching until it has."""
    solve_runs.cancel_run(session, actor=web.user, term_id=term_id, run_id=run_id, runner=runner)
    return RedirectResponse(f"/app/terms/{term_id}/runs/{run_id}?done=cancelling", 303)


@router.get("/{term_id}/versions/{version_id}/export.csv")
def export_csv(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    web: CoordinatorPage,
    by: Annotated[CsvView, Query()] = "session",
) -> Response:
    """The version as CSV (the same files as the API's export)."""
    text = exports.schedule_csv(
        session, actor=web.user, term_id=term_id, version_id=version_id, by=by
    )
    filename = f"term-{term_id}-v{version_id}-by-{by}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{term_id}/versions/{version_id}", response_class=HTMLResponse)
@router.get("/{term_id}/versions/{version_id}/{view}", response_class=HTMLResponse)
def version_page(
    term_id: Id,
    version_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    view: View = "sessions",
    done: str = "",
) -> Response:
    """A schedule version by session, by site and period, by student, or its unmet needs."""
    return _version_page(request, session, web, term_id, version_id, view, done=done)


def _version_page(
    request: Request,
    session: Session,
    web: WebSession,
    term_id: Id,
    version_id: Id,
    view: View,
    *,
    done: str = "",
    error: ServiceError | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    term = terms.term_summary(session, actor=web.user, term_id=term_id)
    context: dict[str, Any] = {
        "summary": schedule_views.summary(
            session, actor=web.user, term_id=term_id, version_id=version_id, term=term
        ),
        "view": view,
        "done": DONE.get(done, ""),
        "error": error,
    }
    context |= _view_content(session, web, term_id, version_id, view) | (extra or {})
    status = error_status(error or (extra or {}).get("whatif_error"))
    return render(request, f"version_{view}.html", context, web=web, status=status)


def unmet_page(
    request: Request,
    session: Session,
    web: WebSession,
    term_id: int,
    version_id: int,
    *,
    whatif_error: ServiceError,
) -> Response:
    """The unmet-needs view with a refused what-if search's reason next to its form."""
    extra = {"whatif_error": whatif_error}
    return _version_page(request, session, web, term_id, version_id, "unmet", extra=extra)


def _view_content(
    session: Session, web: WebSession, term_id: int, version_id: int, view: View
) -> dict[str, Any]:
    """What one view of a version shows (each is an audited read of student records)."""
    actor = web.user
    if view == "sessions":
        return {
            "sessions": schedule_views.by_session(
                session, actor=actor, term_id=term_id, version_id=version_id
            )
        }
    if view == "sites":
        return {
            "sites": schedule_views.by_site(
                session, actor=actor, term_id=term_id, version_id=version_id
            )
        }
    if view == "students":
        return {
            "students": schedule_views.by_student(
                session, actor=actor, term_id=term_id, version_id=version_id
            )
        }
    if view == "weeks":  # the week grids (capacity calendars)
        return {
            "grids": schedule_views.by_week(
                session, actor=actor, term_id=term_id, version_id=version_id
            )
        }
    if view == "changes":
        return {
            "preview": repairs.change_preview(
                session, actor=actor, term_id=term_id, version_id=version_id
            )
        }
    groups, unmet = schedule_views.unmet_needs(
        session, actor=actor, term_id=term_id, version_id=version_id
    )
    searches = whatifs.version_whatifs(session, actor=actor, term_id=term_id, version_id=version_id)
    return {
        "groups": groups,
        "unmet": unmet,
        "searches": searches,
        "whatif_limit": whatifs.DEFAULT_TIME_LIMIT_S,
    }


@router.post("/{term_id}/versions/{version_id}/publish", response_class=HTMLResponse)
def publish(
    term_id: Id,
    version_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    form: CheckedForm,
    delivery: DeliveryDep,
) -> Response:
    """Publish the version; if it no longer fits the term, say which rules it breaks. When
    it affects more people than the repair's minimum, publish only once the form confirms
    that number. Its messages go out as an API publish's do (one `Delivery` for both)."""
    confirmed = field(form, "confirm")
    try:
        repairs.confirm_publish(
            session,
            actor=web.user,
            term_id=term_id,
            version_id=version_id,
            confirmed=optional_count(confirmed),
        )
    except Conflict as error:
        return _version_page(request, session, web, term_id, version_id, "changes", error=error)
    try:
        versions.publish_version(
            session, actor=web.user, term_id=term_id, version_id=version_id, delivery=delivery
        )
    except Conflict as error:
        session.rollback()
        return _version_page(request, session, web, term_id, version_id, "sessions", error=error)
    target = f"/app/terms/{term_id}/versions/{version_id}?done=published"
    return RedirectResponse(target, status_code=303)


@router.get("/{term_id}/slots", response_class=HTMLResponse)
def slot_responses(
    term_id: Id, request: Request, session: SessionDep, web: CoordinatorPage
) -> Response:
    """Every slot with the partner's responses; slots with responses first, newest first."""
    items = slots.coordinator_slots(session, actor=web.user, term_id=term_id)
    answered = sorted(
        (s for s in items if s.responses), key=lambda s: s.responses[0].at, reverse=True
    )
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "answered": answered,
        "slots": items,
    }
    return render(request, "coord_slots.html", context, web=web)


@router.get("/{term_id}/repair", response_class=HTMLResponse)
def repair_page(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    settings: SettingsDep,
) -> Response:
    """What changed since publication, the drafts since, and repair or re-solve buttons."""
    return _repair_page(request, session, web, settings, term_id)


def _repair_page(
    request: Request,
    session: Session,
    web: WebSession,
    settings: Settings,
    term_id: int,
    *,
    error: ServiceError | None = None,
) -> Response:
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "overview": repairs.repair_overview(session, actor=web.user, term_id=term_id),
        "default_limit": settings.run_time_limit_default_s,
        "max_limit": settings.run_time_limit_max_s,
        "error": error,
    }
    return render(request, "coord_repair.html", context, web=web, status=error_status(error))


@router.post("/{term_id}/repair", response_class=HTMLResponse)
def start_repair(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    runner: RunnerDep,
    limits: LimitsDep,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    """Start a repair (stability first; `full` solves the whole term) or a plain re-solve."""
    mode = field(form, "mode")
    try:
        seconds = time_limit(form)
        if mode == "resolve":
            run = solve_runs.start_solve_run(
                session,
                actor=web.user,
                term_id=term_id,
                runner=runner,
                limits=limits,
                time_limit_s=seconds,
            )
        elif mode in ("repair", "full"):
            run = repairs.start_repair_run(
                session,
                actor=web.user,
                term_id=term_id,
                runner=runner,
                limits=limits,
                time_limit_s=seconds,
                full_repair=mode == "full",
            )
        else:
            raise Invalid("choose a repair or a re-solve", code="bad_mode")
    except (Invalid, Conflict) as error:
        session.rollback()
        return _repair_page(request, session, web, settings, term_id, error=error)
    return RedirectResponse(f"/app/terms/{term_id}/runs/{run.id}", status_code=303)


OutboxState = Literal["pending", "sending", "sent", "in_app", "failed"]
OUTBOX_STATES = get_args(OutboxState)


@router.get("/{term_id}/outbox", response_class=HTMLResponse)
def outbox_page(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    state: OutboxState | None = None,
    done: str = "",
) -> Response:
    """Messages to the people publishes affected, with their delivery state and a retry."""
    summary = outbox.outbox_summary(session, actor=web.user, term_id=term_id)
    rows = outbox.term_outbox(
        session, actor=web.user, term_id=term_id, page=Page(limit=500), state=state
    )
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "summary": summary,
        "max_attempts": outbox.MAX_ATTEMPTS,
        "messages": rows,
        "state": state,
        "states": OUTBOX_STATES,
        "done": DONE.get(done, ""),
    }
    return render(request, "coord_outbox.html", context, web=web)


@router.post("/{term_id}/outbox/retry", response_class=HTMLResponse)
def retry_outbox(
    term_id: Id,
    session: SessionDep,
    web: CoordinatorPage,
    form: CheckedForm,
    delivery: DeliveryDep,
) -> Response:
    """Queue failed messages (all, or the one named in the form) again and deliver."""
    raw = str(form.get("message") or "")
    message = int(raw) if raw.isdigit() else None
    outbox.retry_messages(
        session, actor=web.user, term_id=term_id, delivery=delivery, message_id=message
    )
    return RedirectResponse(f"/app/terms/{term_id}/outbox?done=retried", status_code=303)


@router.get("/{term_id}/students/{student_ref}/disclosures", response_class=HTMLResponse)
def student_disclosures(
    term_id: Id, student_ref: Ref, request: Request, session: SessionDep, web: CoordinatorPage
) -> Response:
    """Who outside the school saw one student's record (an audited read, as in the API)."""
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "log": disclosures.student_disclosure_log(
            session,
            actor=web.user,
            term_id=term_id,
            student_ref=student_ref,
            via="web.disclosures",
        ),
    }
    return render(request, "coord_disclosures.html", context, web=web)


VersionQuery = Annotated[
    int | None, Query(ge=1, le=ID_MAX, description="A schedule version id of the term.")
]


@router.get("/{term_id}/equity", response_class=HTMLResponse)
def equity(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    version: VersionQuery = None,
) -> Response:
    """The equity report of a version: the published one unless another is chosen."""
    term = terms.term_summary(session, actor=web.user, term_id=term_id)
    listed = versions.list_versions(session, actor=web.user, term_id=term_id)
    context: dict[str, Any] = {"term": term, "versions": listed, "result": None, "table": None}
    if listed:
        result = equity_reports.version_equity(
            session, actor=web.user, term_id=term_id, version_id=version, output="page"
        )
        context |= {"result": result, "table": equity_reports.equity_table(result.report)}
    return render(request, "coord_equity.html", context, web=web)


@router.get("/{term_id}/equity.{output}")
def equity_download(
    term_id: Id,
    output: Literal["csv", "json"],
    session: SessionDep,
    web: CoordinatorPage,
    version: VersionQuery = None,
) -> Response:
    """The equity report as CSV or JSON (the files of `ipe report --csv/--json`)."""
    result = equity_reports.version_equity(
        session, actor=web.user, term_id=term_id, version_id=version, output=output
    )
    text, media = (
        (result.csv(), "text/csv") if output == "csv" else (result.json(), "application/json")
    )
    filename = f"term-{term_id}-v{result.version.number}-equity.{output}"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
