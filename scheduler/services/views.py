"""Read models, one per audience: what a coordinator, a student or a partner gets to see.

Use cases return these instead of table rows, so a field meant for a coordinator can never
reach a student or a partner by accident: a partner's view of a placed student has a
name, a profession, dates and the needs a site must act on (known codes only, never free
text), and nothing else exists on it to leak. No view holds a student's demographic
attributes: those reach people only as aggregate equity figures.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scheduler.db.tables import (
    ActivityRow,
    AssignmentRow,
    PeriodRow,
    RoomRow,
    ScheduleVersionRow,
    SessionRow,
    SiteRow,
    SlotResponseRow,
    SlotRow,
    SolveRunRow,
    StudentRow,
    TermRow,
    UserRow,
)
from scheduler.domain.claims import MAXIMISED as CLAIMS_MAXIMISED
from scheduler.domain.privacy import site_needs
from scheduler.domain.scenario import WeeklyWindow
from scheduler.domain.scenario_types import LocalDateTime


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---- everyone --------------------------------------------------------------------------


class UserView(View):
    """The signed-in account."""

    id: int
    email: str
    name: str
    role: str
    student_ref: str | None = None
    site_ref: str | None = None


def user_view(user: UserRow) -> UserView:
    return UserView(
        id=_id(user.id),
        email=user.email,
        name=user.name,
        role=user.role,
        student_ref=user.student_ref,
        site_ref=user.site_ref,
    )


class LoginView(View):
    """A bearer token for the `Authorization` header, and when it stops working."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class PartnerTokenView(View):
    """A partner API token; `token` is shown this once only."""

    id: int
    name: str
    token: str
    expires_at: datetime


# ---- coordinators ----------------------------------------------------------------------


class TermView(View):
    """A term with its size and the version students and partners currently see."""

    id: int
    code: str
    name: str
    start: date
    end: date
    timezone: str
    students: int
    sites: int
    slots: int
    sessions: int
    published_version_id: int | None
    created_at: datetime


class StudentRecordView(View):
    """A student record as a coordinator sees it."""

    id: str
    name: str
    email: str
    profession: str
    cohort: str | None
    travel_mode: str
    directory_opt_out: bool


def student_record_view(student: StudentRow, *, opted_out: bool) -> StudentRecordView:
    return StudentRecordView(
        id=student.ref,
        name=student.name,
        email=student.email,
        profession=student.profession,
        cohort=student.cohort,
        travel_mode=student.travel_mode,
        directory_opt_out=opted_out,
    )


class SlotResponseView(View):
    """One partner response to a slot."""

    decision: str
    reason: str
    responder: str
    slot_version: int
    at: datetime


class CoordinatorSlotView(View):
    """A slot with its partner's responses, newest first."""

    id: int
    ref: str
    site: str
    site_name: str
    period: str
    start: date
    end: date
    profession: str
    capacity: int
    language: str | None
    status: str
    version: int
    responses: list[SlotResponseView]


def coordinator_slot_view(
    slot: SlotRow,
    site: SiteRow,
    period: PeriodRow,
    responses: list[tuple[SlotResponseRow, str]],
) -> CoordinatorSlotView:
    return CoordinatorSlotView(
        id=_id(slot.id),
        ref=slot.ref,
        site=site.ref,
        site_name=site.name,
        period=period.ref,
        start=period.start,
        end=period.end,
        profession=slot.profession,
        capacity=slot.capacity,
        language=slot.language,
        status=slot.status,
        version=slot.version,
        responses=[
            SlotResponseView(
                decision=r.decision,
                reason=r.reason,
                responder=email,
                slot_version=r.slot_version,
                at=r.created_at,
            )
            for r, email in responses
        ],
    )


class ProgressView(View):
    """The newest progress of a running solve: objective level, best value, bound."""

    level: str | None
    best: float | None
    bound: float | None
    elapsed_s: float | None


class ProgressPoint(View):
    """One moment of a run's progress: the level's best value and bound then."""

    level: str
    elapsed_s: float
    best: float | None
    bound: float | None


class RunView(View):
    """A solve run: status, live progress and everything needed to reproduce it."""

    id: int
    term_id: int
    status: str
    time_limit_s: float
    workers: int
    seed: int
    parameters: dict[str, Any]
    ortools_version: str
    git_revision: str
    pid: int | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    progress: ProgressView
    series: list[ProgressPoint] = []
    """Progress over time (each change of a level's best value or bound), oldest first."""
    result: dict[str, Any] | None = None
    """What a run that makes no schedule found (a what-if search: its suggestions)."""
    error: str | None
    version_id: int | None
    version_ids: list[int] = Field(default_factory=list)
    """Every draft the run saved, in order: one, or its alternatives (the best first)."""
    alternatives: int = 1
    """Schedules asked for (`alternatives` of the request; docs/alternatives.md)."""


def run_view(run: SolveRunRow, version_ids: list[int] | None = None) -> RunView:
    return RunView(
        id=_id(run.id),
        term_id=run.term_id,
        status=run.status,
        time_limit_s=run.time_limit_s,
        workers=run.workers,
        seed=run.seed,
        parameters=run.parameters,
        ortools_version=run.ortools_version,
        git_revision=run.git_revision,
        pid=run.pid,
        created_at=run.created_at,
        started_at=run.started_at,
        heartbeat_at=run.heartbeat_at,
        finished_at=run.finished_at,
        progress=ProgressView(
            level=run.progress_level,
            best=run.progress_best,
            bound=run.progress_bound,
            elapsed_s=run.progress_elapsed_s,
        ),
        series=[ProgressPoint.model_validate(p) for p in run.progress_series or []],
        result=run.result,
        error=run.error,
        version_id=version_ids[0] if version_ids else None,
        version_ids=list(version_ids or []),
        alternatives=int(run.parameters.get("alternatives") or 1),
    )


MAXIMISED = CLAIMS_MAXIMISED
"""Objective levels that are maximised (docs/objectives.md); every other is minimised."""


class ObjectiveView(View):
    """One objective level: its value, the proven bound, the gap between them in per cent
    of the value, and in words what that proves."""

    name: str
    value: float | None
    bound: float | None
    gap_percent: float | None = None
    """|value - bound| / max(|value|, 1) x 100; None without a value or a bound."""
    proven: str = ""
    """What the bound proves, in a sentence a coordinator can act on."""


def objective_view(name: str, value: float | None, bound: float | None) -> ObjectiveView:
    """An objective level with its gap and a sentence saying what is proven."""
    gap = None
    if value is not None and bound is not None:
        gap = abs(value - bound) / max(abs(value), 1.0) * 100
    return ObjectiveView(
        name=name, value=value, bound=bound, gap_percent=gap, proven=_proven(name, value, bound)
    )


def _proven(name: str, value: float | None, bound: float | None) -> str:
    if value is None:
        return "No value: the level was not reached."
    if bound is None:
        return "No bound was proven: how far this is from the best possible is unknown."
    if abs(value - bound) < 1e-6:
        return (
            "Proven best possible: no valid schedule does better on this level"
            " (with the levels before it kept)."
        )
    if name in MAXIMISED:
        return (
            f"Not proven best: no valid schedule reaches more than {_figure(bound)};"
            f" this one is at most {_figure(abs(bound - value))} short."
        )
    return (
        f"Not proven best: no valid schedule goes below {_figure(bound)};"
        f" this one is at most {_figure(abs(value - bound))} above the best possible."
    )


def _figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


class VersionView(View):
    """A schedule version: draft, published (what students and partners see) or superseded."""

    id: int
    term_id: int
    number: int
    state: str
    status: str
    run_id: int | None
    created_at: datetime
    published_at: datetime | None
    objectives: list[ObjectiveView]
    sessions: int
    placements: int
    unassigned: int


def version_view(version: ScheduleVersionRow) -> VersionView:
    document = json.loads(version.schedule_json)
    return VersionView(
        id=_id(version.id),
        term_id=version.term_id,
        number=version.number,
        state=version.state,
        status=version.status,
        run_id=version.run_id,
        created_at=version.created_at,
        published_at=version.published_at,
        objectives=[
            objective_view(o["name"], o.get("value"), o.get("bound"))
            for o in document.get("objectives", [])
        ],
        sessions=len(document.get("sessions", [])),
        placements=len(document.get("placements", [])),
        unassigned=len(document.get("unassigned", [])),
    )


# ---- students --------------------------------------------------------------------------


class MySessionView(View):
    """An IPE session the student attends, with their team."""

    activity: str
    session: str
    start: LocalDateTime
    end: LocalDateTime
    room: str
    team: str


class MyPlacementView(View):
    """A placement the student holds: where, when and on which weekly hours."""

    slot: str
    site: str
    site_name: str
    address: str | None = None
    """The site's street address, when the scenario gives one."""
    profession: str
    start: date
    end: date
    weekly: list[WeeklyWindow]


class MyTermView(View):
    """The student's published schedule in one term."""

    term_id: int
    term: str
    timezone: str
    sessions: list[MySessionView]
    placements: list[MyPlacementView]


def my_session_view(
    assignment: AssignmentRow, session: SessionRow, activity: ActivityRow, room: RoomRow
) -> MySessionView:
    return MySessionView(
        activity=activity.name,
        session=session.ref,
        start=session.start,
        end=session.end,
        room=room.name,
        team=assignment.team_ref or "",
    )


# ---- partners --------------------------------------------------------------------------


class PlacedStudentView(View):
    """A student placed at the partner's site: only what the site needs to know."""

    name: str
    profession: str
    start: date
    end: date
    needs: list[str]
    """Only needs the site must act on (`scheduler.domain.privacy.SITE_NEEDS`)."""


class PartnerSlotView(View):
    """One of the partner's own slots, its status, and who is placed in it."""

    id: int
    term: str
    ref: str
    site_name: str
    period_start: date
    period_end: date
    profession: str
    capacity: int
    language: str | None
    status: str
    version: int
    placed: list[PlacedStudentView]


def partner_slot_view(
    slot: SlotRow, site: SiteRow, period: PeriodRow, term: TermRow, placed: list[StudentRow]
) -> PartnerSlotView:
    return PartnerSlotView(
        id=_id(slot.id),
        term=term.name,
        ref=slot.ref,
        site_name=site.name,
        period_start=period.start,
        period_end=period.end,
        profession=slot.profession,
        capacity=slot.capacity,
        language=slot.language,
        status=slot.status,
        version=slot.version,
        placed=[
            PlacedStudentView(
                name=s.name,
                profession=s.profession,
                start=period.start,
                end=period.end,
                needs=site_needs(s.site_needs),
            )
            for s in placed
        ],
    )


def _id(value: int | None) -> int:
    assert value is not None, "a stored row has an id"
    return value
