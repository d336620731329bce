"""Coordinators: their school's terms, imports and exports, solve runs, versions, slots."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from api.deps import (
    Coordinator,
    DeliveryDep,
    ImportLimitsDep,
    LimitsDep,
    PageDep,
    RunnerDep,
    SessionDep,
    SettingsDep,
)
from api.errors import documented
from api.params import ID_MAX, Id, Ref
from scheduler.domain.alternatives import MAX_ALTERNATIVES, Comparison, Tolerance
from scheduler.domain.diff import ScheduleDiff
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem, Schedule
from scheduler.services import (
    disclosures,
    exports,
    outbox,
    repairs,
    schedule_views,
    slots,
    solve_runs,
    students,
    terms,
    versions,
)
from scheduler.services.csv_import import SPECS
from scheduler.services.disclosures import DisclosureView
from scheduler.services.errors import Invalid
from scheduler.services.outbox import OutboxView
from scheduler.services.schedule_views import UnmetLine
from scheduler.services.views import (
    CoordinatorSlotView,
    RunView,
    StudentRecordView,
    TermView,
    VersionView,
)

router = APIRouter(prefix="/terms", tags=["coordinator"], responses=documented(401, 403))
TERM = documented(404)


class SolveRunRequest(BaseModel):
    """How to solve; anything left out takes the service default or the term's policy."""

    time_limit_s: float | None = Field(default=None, gt=0)
    workers: int | None = Field(default=None, ge=1, le=64)
    seed: int | None = Field(default=None, ge=0, le=ID_MAX)
    previous_version: int | None = Field(
        default=None,
        ge=1,
        le=ID_MAX,
        description="Repair this version: stay as close to it as the term allows.",
    )
    full_repair: bool = Field(
        default=False,
        description="A repair solves the whole term instead of trying the local repair first"
        " (`solver.incremental`); ignored by a solve run without `previous_version`.",
    )
    alternatives: int = Field(
        default=1,
        ge=1,
        le=MAX_ALTERNATIVES,
        description="Up to this many schedules within `tolerance` of the best, as different"
        " as possible, each saved as a draft version (the best first); compare them at"
        " `.../solve-runs/{run}/alternatives` (docs/alternatives.md).",
    )
    tolerance: Tolerance | None = Field(
        default=None,
        description="How much worse than the best each level may be, as a fraction of the"
        " best value: `default` (0.02) for every level not in `levels` (coverage: 0).",
    )


async def raw_json(request: Request) -> bytes:
    """The request body as sent, so the scenario loader reports JSON errors with a position.

    Its size is already bounded by `api.body_limit` (`IPE_MAX_UPLOAD_BYTES`)."""
    return await request.body()


async def csv_files(request: Request) -> dict[str, bytes]:
    """Every uploaded file part by its field name (`students`, or `students.csv`)."""
    form = await request.form()
    files: dict[str, bytes] = {}
    problems = []
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile):
            problems.append((name, "expected a file"))
            continue
        files[name.removesuffix(".csv")] = await value.read()
    if problems:
        raise Invalid(
            "the upload has problems",
            details=[ErrorItem(path=name, message=message) for name, message in problems],
        )
    return files


SCENARIO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An `ipe-scenario/1` document (`format` must be given).",
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Scenario"}, {"required": ["format"]}]
                }
            }
        },
    }
}
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Any of the CSV files; each replaces that list of the term's scenario.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {name: {"type": "string", "format": "binary"} for name in SPECS},
                    "additionalProperties": False,
                }
            }
        },
    }
}
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV text"}
}


@router.get("", response_model=list[TermView])
def list_terms(session: SessionDep, user: Coordinator, page: PageDep) -> list[TermView]:
    """Your school's terms, newest first (paged: `limit`, `offset`)."""
    return terms.list_terms(session, actor=user, page=page)


@router.post(
    "",
    response_model=TermView,
    status_code=status.HTTP_201_CREATED,
    responses=documented(409, 413, 422),
    openapi_extra=SCENARIO_BODY,
)
def import_term(
    user: Coordinator,
    session: SessionDep,
    limits: ImportLimitsDep,
    document: Annotated[bytes, Depends(raw_json)],
) -> TermView:
    """Import a scenario JSON document as a new term (all or nothing)."""
    term = terms.import_scenario(session, actor=user, document=document, limits=limits)
    return terms.summarize(session, term)


@router.get("/{term_id}", response_model=TermView, responses=TERM)
def get_term(term_id: Id, session: SessionDep, user: Coordinator) -> TermView:
    """One of your terms with its counts and published version."""
    return terms.term_summary(session, actor=user, term_id=term_id)


@router.delete("/{term_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(404, 409))
def delete_term(term_id: Id, session: SessionDep, user: Coordinator) -> None:
    """Delete a term and everything in it (refused while a solve run is active)."""
    terms.delete_term(session, actor=user, term_id=term_id)


@router.post(
    "/{term_id}/csv",
    response_model=TermView,
    responses=documented(404, 409, 413, 422),
    openapi_extra=CSV_BODY,
)
def import_csv(
    term_id: Id,
    user: Coordinator,
    session: SessionDep,
    limits: ImportLimitsDep,
    files: Annotated[dict[str, bytes], Depends(csv_files)],
) -> TermView:
    """Replace students, sites, slots and/or sessions from CSV files (all or nothing)."""
    term = terms.import_csv(session, actor=user, term_id=term_id, files=files, limits=limits)
    return terms.summarize(session, term)


@router.get(
    "/{term_id}/scenario",
    response_model=Scenario,
    response_model_exclude_none=True,
    responses=TERM,
)
def export_scenario(term_id: Id, session: SessionDep, user: Coordinator) -> Scenario:
    """The term's scenario document, with the slot statuses partners have set."""
    return terms.export_scenario(session, actor=user, term_id=term_id)


@router.get("/{term_id}/students", response_model=list[StudentRecordView], responses=TERM)
def list_students(
    term_id: Id, session: SessionDep, user: Coordinator, page: PageDep
) -> list[StudentRecordView]:
    """The term's student records by id (paged; each record returned is audited as read)."""
    return students.list_students(session, actor=user, term_id=term_id, page=page)


@router.get("/{term_id}/students/{student_id}", response_model=StudentRecordView, responses=TERM)
def get_student(
    term_id: Id, student_id: Ref, session: SessionDep, user: Coordinator
) -> StudentRecordView:
    """One student record of the term (audited)."""
    return students.get_student(session, actor=user, term_id=term_id, student_ref=student_id)


@router.get(
    "/{term_id}/students/{student_id}/disclosures",
    response_model=list[DisclosureView],
    responses=TERM,
)
def student_disclosures(
    term_id: Id, student_id: Ref, session: SessionDep, user: Coordinator
) -> list[DisclosureView]:
    """Who outside the school saw this student's record, in all terms, newest first."""
    return disclosures.student_disclosures(
        session, actor=user, term_id=term_id, student_ref=student_id
    )


@router.get("/{term_id}/slots", response_model=list[CoordinatorSlotView], responses=TERM)
def list_slots(
    term_id: Id, session: SessionDep, user: Coordinator, page: PageDep
) -> list[CoordinatorSlotView]:
    """The term's slots with each partner response, newest first (paged)."""
    return slots.coordinator_slots(session, actor=user, term_id=term_id, page=page)


@router.post(
    "/{term_id}/solve-runs",
    response_model=RunView,
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(404, 409, 422),
)
def start_run(
    term_id: Id,
    session: SessionDep,
    user: Coordinator,
    runner: RunnerDep,
    limits: LimitsDep,
    body: SolveRunRequest | None = None,
) -> RunView:
    """Start solving the term in a worker process; poll the run for progress."""
    request = body or SolveRunRequest()
    return solve_runs.start_solve_run(
        session,
        actor=user,
        term_id=term_id,
        runner=runner,
        limits=limits,
        time_limit_s=request.time_limit_s,
        workers=request.workers,
        seed=request.seed,
        previous_version=request.previous_version,
        full_repair=request.full_repair,
        alternatives=request.alternatives,
        tolerance=request.tolerance,
    )


@router.post(
    "/{term_id}/repair-runs",
    response_model=RunView,
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(404, 409, 422),
)
def start_repair(
    term_id: Id,
    session: SessionDep,
    user: Coordinator,
    runner: RunnerDep,
    limits: LimitsDep,
    body: SolveRunRequest | None = None,
) -> RunView:
    """Repair the published schedule after a change: a run that keeps all it can (202)."""
    request = body or SolveRunRequest()
    return repairs.start_repair_run(
        session,
        actor=user,
        term_id=term_id,
        runner=runner,
        limits=limits,
        time_limit_s=request.time_limit_s,
        workers=request.workers,
        seed=request.seed,
        full_repair=request.full_repair,
    )


@router.get("/{term_id}/solve-runs", response_model=list[RunView], responses=TERM)
def list_runs(
    term_id: Id,
    session: SessionDep,
    user: Coordinator,
    runner: RunnerDep,
    settings: SettingsDep,
    page: PageDep,
) -> list[RunView]:
    """The term's solve runs, newest first (paged)."""
    return solve_runs.list_runs(
        session,
        actor=user,
        term_id=term_id,
        runner=runner,
        stale_after_s=settings.run_stale_after_s,
        page=page,
    )


@router.get("/{term_id}/solve-runs/{run_id}", response_model=RunView, responses=TERM)
def get_run(
    term_id: Id,
    run_id: Id,
    session: SessionDep,
    user: Coordinator,
    runner: RunnerDep,
    settings: SettingsDep,
) -> RunView:
    """A run's status and live progress: objective level, best value, bound, elapsed."""
    return solve_runs.get_run(
        session,
        actor=user,
        term_id=term_id,
        run_id=run_id,
        runner=runner,
        stale_after_s=settings.run_stale_after_s,
    )


@router.get(
    "/{term_id}/solve-runs/{run_id}/alternatives",
    response_model=Comparison,
    responses=documented(404, 409),
)
def run_alternatives(term_id: Id, run_id: Id, session: SessionDep, user: Coordinator) -> Comparison:
    """A run's schedules side by side (levels, coverage, equity flags, students moved)."""
    table = solve_runs.run_alternatives(session, actor=user, term_id=term_id, run_id=run_id)
    return table.without_group_names()  # attribute names stay on pages (docs/privacy.md)


@router.delete(
    "/{term_id}/solve-runs/{run_id}",
    response_model=RunView,
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(404, 409),
)
def cancel_run(
    term_id: Id, run_id: Id, session: SessionDep, user: Coordinator, runner: RunnerDep
) -> RunView:
    """Cancel an active run; it ends as `cancelled` once its worker has stopped."""
    return solve_runs.cancel_run(session, actor=user, term_id=term_id, run_id=run_id, runner=runner)


@router.get("/{term_id}/versions", response_model=list[VersionView], responses=TERM)
def list_versions(
    term_id: Id, session: SessionDep, user: Coordinator, page: PageDep
) -> list[VersionView]:
    """The term's schedule versions (draft, published, superseded), newest first (paged)."""
    return versions.list_versions(session, actor=user, term_id=term_id, page=page)


@router.post(
    "/{term_id}/versions/{version_id}/publish",
    response_model=VersionView,
    responses=documented(404, 409),
)
def publish(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    user: Coordinator,
    delivery: DeliveryDep,
    confirm_people_affected: Annotated[
        int | None,
        Query(
            ge=0,
            le=ID_MAX,
            description="Needed when the publish affects more people than the repair's"
            " minimum: the `people_affected` of the 409 (or of the version's diff).",
        ),
    ] = None,
) -> VersionView:
    """Publish a version (re-checked; confirm when it moves more than a repair would)."""
    # More people affected than the repair's minimum: 409 `confirm_people_affected` with
    # the numbers, unless `confirm_people_affected` repeats that number (as the page asks).
    repairs.confirm_publish(
        session,
        actor=user,
        term_id=term_id,
        version_id=version_id,
        confirmed=confirm_people_affected,
    )
    return versions.publish_version(
        session, actor=user, term_id=term_id, version_id=version_id, delivery=delivery
    )


@router.get(
    "/{term_id}/versions/{version_id}/diff",
    response_model=ScheduleDiff,
    responses=TERM,
)
def version_diff(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    user: Coordinator,
    against: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Version to compare with.")
    ] = None,
) -> ScheduleDiff:
    """Who moves, is added or is dropped, and how many are affected (vs. published)."""
    return repairs.version_diff(
        session, actor=user, term_id=term_id, version_id=version_id, against=against
    )


@router.get("/{term_id}/outbox", response_model=list[OutboxView], responses=TERM)
def term_outbox(
    term_id: Id, session: SessionDep, user: Coordinator, page: PageDep
) -> list[OutboxView]:
    """Messages to affected people and whether each went out (newest first, paged)."""
    return outbox.term_outbox(session, actor=user, term_id=term_id, page=page)


class Requeued(BaseModel):
    """How many failed messages were given another set of delivery attempts."""

    requeued: int


@router.post("/{term_id}/outbox/retry", response_model=Requeued, responses=TERM)
def retry_outbox(
    term_id: Id,
    session: SessionDep,
    user: Coordinator,
    delivery: DeliveryDep,
    message: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this message (default: all).")
    ] = None,
) -> Requeued:
    """Retry failed messages (or one) and deliver everything due, as a publish does."""
    count = outbox.retry_messages(
        session, actor=user, term_id=term_id, delivery=delivery, message_id=message
    )
    return Requeued(requeued=count)


@router.get(
    "/{term_id}/versions/{version_id}/schedule",
    response_model=Schedule,
    response_model_exclude_none=True,
    responses=TERM,
)
def export_schedule(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    user: Coordinator,
    reasons: Annotated[
        Literal["shared", "inline"],
        Query(
            description="`shared`: each distinct reason once (`shared_reasons`, `reason_groups`);"
            " `inline`: every unmet need with its own reasons, as in the first contract version."
        ),
    ] = "shared",
) -> Schedule:
    """The version's `ipe-schedule/1` document (compact unless `reasons=inline`)."""
    return exports.schedule_document(
        session, actor=user, term_id=term_id, version_id=version_id, inline=reasons == "inline"
    )


@router.get(
    "/{term_id}/versions/{version_id}/unmet",
    response_model=list[UnmetLine],
    responses=TERM,
)
def unmet_needs(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    user: Coordinator,
    student: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Only this student's unmet needs."),
    ] = None,
) -> list[UnmetLine]:
    """Every unmet need (or one student's) with its full reasons, however it is stored."""
    _groups, lines = schedule_views.unmet_needs(
        session, actor=user, term_id=term_id, version_id=version_id, via="api.unmet"
    )
    return [line for line in lines if student is None or line.student == student]


@router.get(
    "/{term_id}/versions/{version_id}/export.csv",
    response_class=Response,
    responses={**CSV_ANSWER, **documented(404, 422)},
)
def export_csv(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    user: Coordinator,
    by: Annotated[exports.CsvView, Query()] = "session",
) -> Response:
    """The version as CSV: one row per student by session/team, by site/period or by student."""
    text = exports.schedule_csv(session, actor=user, term_id=term_id, version_id=version_id, by=by)
    filename = f"term-{term_id}-v{version_id}-by-{by}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
