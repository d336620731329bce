"""What-if searches as jobs: start one for a version's unmet needs, watch it, apply a result.

A search is a run of the solve-run queue (`solve_run` row with `parameters.kind` =
"whatif"): it takes the same caps (one active run per term, seats per school and service,
memory and deadline), the same workers, reaper and cancel. Its job explains the stored
version against the term as it stands (`scheduler.services.explaining`, as `ipe explain`
does): every suggestion is verified by a re-solve checked by the independent validator.
It writes how far it is (proposals tried, suggestions found) while it runs, and its
suggestions into the run's `result`; it saves no schedule.

Applying a suggestion is an edit of the term: the changes are applied to the term as it is
now and checked like an import (`term_edits.write_document`), each change audited and,
while a version is published, recorded for the repair page. The coordinator then
re-solves (or repairs) to use it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.db import audit, repositories
from scheduler.db.engine import new_session
from scheduler.db.tables import ScheduleVersionRow, SolveRunRow, TermRow, UserRow
from scheduler.domain.changes import apply_changes
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import (
    AddSession,
    AddSlot,
    ErrorItem,
    ScenarioChange,
    SetCapacity,
    SetMaxTeams,
    Suggestion,
)
from scheduler.domain.validator import validate_schedule
from scheduler.services import explaining, solve_runs, term_edits, term_rows
from scheduler.services.errors import Conflict, Invalid, NotFound, found
from scheduler.services.jobs import JobRunner
from scheduler.services.terms import get_term
from scheduler.services.versions import get_version, version_schedule, violation_items
from scheduler.services.views import RunView, View, run_view
from solver.explain import WhatIfProgress

KIND = "whatif"
DEFAULT_TIME_LIMIT_S = 30.0
LISTED = 5
"""What-if searches of a version shown on its unmet-needs page, newest first."""


class SuggestionView(View):
    """One verified suggestion of a search, numbered for applying it."""

    index: int
    suggestion: Suggestion
    helps_names: list[str]
    """The names of the students whose need it meets (ids when a student is gone)."""
    applied: bool


class WhatIfView(View):
    """A what-if search: its run (status, time limit), how far it is and what it found."""

    run: RunView
    version_id: int
    version_number: int | None
    student: str | None
    """The student whose unmet needs it searched for (None: the whole term)."""
    student_name: str | None
    tried: int | None
    proposals: int | None
    found: int | None
    unmet: int | None
    """Unmet needs it looked at (the student's, or the term's)."""
    suggestions: list[SuggestionView]
    finished: bool


class AppliedView(View):
    """A suggestion applied to the term: what changed; re-solve to use it."""

    run_id: int
    index: int
    message: str
    changes: list[ScenarioChange]
    recorded: bool
    """Made while a version is published: recorded for the repair page."""


# ---- use cases (the request owns the transaction) --------------------------------------


def start_whatif_run(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    version_id: int,
    runner: JobRunner,
    limits: solve_runs.RunLimits,
    student: str | None = None,
    time_limit_s: float | None = None,
) -> RunView:
    """Queue a what-if search of a version's unmet needs (or one student's); refused when
    the version no longer fits the term (re-solve first: its needs are not the term's)."""
    term, version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    solve_runs.reap_runs(session, runner=runner, stale_after_s=limits.stale_after_s)
    scenario = term_rows.current_scenario(session, term)
    if student is not None and all(s.id != student for s in scenario.students):
        raise Invalid(
            "no such student in the term",
            details=[ErrorItem(path="student", message="must be a student id of the term")],
        )
    violations = validate_schedule(scenario, version_schedule(version))
    if violations:
        raise Conflict(
            "the version breaks rules against the term as it is now: re-solve, then search",
            code="schedule_outdated",
            details=violation_items(violations),
        )
    limit = solve_runs.checked_limit(time_limit_s, limits, default=DEFAULT_TIME_LIMIT_S)
    run = SolveRunRow(
        term_id=term.id or 0,
        created_by=actor.id,
        time_limit_s=limit,
        workers=limits.workers,
        seed=scenario.policy.seed,
        parameters={"kind": KIND, "version_id": version.id, "student": student}
        | solve_runs.caps(limit, limits),
    )
    detail = {"version": version.id, "student": student, "time_limit_s": limit}
    return solve_runs.queue_run(
        session,
        actor=actor,
        term=term,
        run=run,
        runner=runner,
        limits=limits,
        action="whatif.start",
        detail=detail,
    )


def get_whatif(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    run_id: int,
    runner: JobRunner,
    stale_after_s: float,
) -> WhatIfView:
    """A search's progress and suggestions (its worker is checked for life first)."""
    term = get_term(session, actor=actor, term_id=term_id)
    run = _whatif_run(session, actor, term, run_id)
    solve_runs.reap_runs(session, runner=runner, stale_after_s=stale_after_s, only=run.id)
    session.refresh(run)
    return _view(session, actor, term, run, via="whatif.read")


def version_whatifs(
    session: Session, *, actor: UserRow, term_id: int, version_id: int
) -> list[WhatIfView]:
    """The newest searches of one version (at most `LISTED`), newest first."""
    term, _version = get_version(session, actor=actor, term_id=term_id, version_id=version_id)
    runs = [
        run
        for run in repositories.term_runs(session, actor, term)
        if is_whatif(run) and run.parameters.get("version_id") == version_id
    ]
    return [_view(session, actor, term, run, via="web.whatifs") for run in runs[:LISTED]]


def apply_suggestion(
    session: Session, *, actor: UserRow, term_id: int, run_id: int, index: int
) -> AppliedView:
    """Make one suggestion's changes an edit of the term (checked like an import, audited,
    recorded while published); refused once applied or when the term no longer has what
    it changes."""
    term = get_term(session, actor=actor, term_id=term_id)
    run = _whatif_run(session, actor, term, run_id)
    result = run.result or {}
    if run.status != "succeeded" or "suggestions" not in result:
        raise Conflict("the what-if search has not finished", code="whatif_unfinished")
    stored = result["suggestions"]
    if not 0 <= index < len(stored):
        raise NotFound("suggestion not found")
    applied = list(result.get("applied", []))
    if index in applied:
        raise Conflict("this suggestion is already applied", code="suggestion_applied")
    suggestion = Suggestion.model_validate(stored[index])
    if not suggestion.changes:
        raise Invalid(
            "this suggestion changes nothing in the term: re-solve with a longer time limit",
            code="nothing_to_apply",
        )
    before = term_edits.current_document(session, term)
    changed = _changed(term_rows.current_scenario(session, term), suggestion.changes)
    after = changed.model_dump(mode="json", exclude_none=True)
    term_edits.write_document(session, term=term, document=after, what="suggested change")
    recorded = False
    for change in suggestion.changes:
        kind, ref, action = _target(change)
        recorded |= term_edits.record_edit(
            session,
            actor=actor,
            term=term,
            entity=_entity(kind),
            ref=ref,
            action=action,
            before=_item(before, kind, ref),
            after=_item(after, kind, ref),
            detail={"kind": kind, "ref": ref, "whatif_run": run_id, "suggestion": index},
        )
    run.result = {**result, "applied": [*applied, index]}
    session.add(run)
    audit.record(
        session,
        actor=actor,
        action="whatif.apply",
        entity="solve_run",
        entity_id=run_id,
        term_id=term.id,
        detail={"suggestion": index, "code": suggestion.code},
    )
    session.flush()
    return AppliedView(
        run_id=run_id,
        index=index,
        message=suggestion.message,
        changes=suggestion.changes,
        recorded=recorded,
    )


def is_whatif(run: SolveRunRow) -> bool:
    return run.parameters.get("kind") == KIND


def _whatif_run(session: Session, actor: UserRow, term: TermRow, run_id: int) -> SolveRunRow:
    run = found(repositories.term_run(session, actor, term, run_id), "what-if search")
    if not is_whatif(run):
        raise NotFound("what-if search not found")
    return run


def _changed(scenario: Scenario, changes: list[ScenarioChange]) -> Scenario:
    try:
        return apply_changes(scenario, changes)
    except (KeyError, ValidationError) as error:
        raise Conflict(
            f"the term has changed since the search, so the suggestion no longer applies:"
            f" {error}; search again",
            code="suggestion_outdated",
        ) from None


def _target(change: ScenarioChange) -> tuple[str, str, str]:
    """The kind of item a change edits, its id, and whether it adds or edits one."""
    if isinstance(change, AddSession):
        return "sessions", change.session, "add"
    if isinstance(change, SetMaxTeams):
        return "sessions", change.session, "edit"
    if isinstance(change, SetCapacity):
        return "slots", change.slot, "edit"
    if isinstance(change, AddSlot):
        return "slots", change.slot, "add"
    return "policy", "max_travel_km", "edit"


def _entity(kind: str) -> str:
    return kind.removesuffix("s")


def _item(document: dict[str, Any], kind: str, ref: str) -> dict[str, Any] | None:
    if kind == "policy":
        return {ref: document.get("policy", {}).get(ref)}
    return term_edits.find_item(document, kind, ref)  # type: ignore[arg-type]


def _view(
    session: Session, actor: UserRow, term: TermRow, run: SolveRunRow, *, via: str
) -> WhatIfView:
    result = run.result or {}
    version_id = int(run.parameters.get("version_id") or 0)
    version = session.get(ScheduleVersionRow, version_id)
    suggestions = [Suggestion.model_validate(s) for s in result.get("suggestions", [])]
    student = run.parameters.get("student")
    names: dict[str, str] = {}
    if suggestions or student:
        names = {s.ref: s.name for s in repositories.term_students(session, actor, term, via=via)}
    applied = set(result.get("applied", []))
    return WhatIfView(
        run=run_view(run),
        version_id=version_id,
        version_number=version.number if version is not None else None,
        student=student,
        student_name=names.get(student) if student else None,
        tried=result.get("tried"),
        proposals=result.get("proposals"),
        found=result.get("found"),
        unmet=result.get("unmet"),
        suggestions=[
            SuggestionView(
                index=index,
                suggestion=suggestion,
                helps_names=[names.get(s, s) for s in suggestion.helps],
                applied=index in applied,
            )
            for index, suggestion in enumerate(suggestions)
        ],
        finished=run.status in ("succeeded", "failed", "cancelled"),
    )


# ---- the job body (runs in the worker process, after `solve_runs` claimed the run) ------


def run_claimed(engine: Engine, run: SolveRunRow, scenario: Scenario) -> None:
    """Search, writing progress as it goes; save the suggestions and close the run."""
    run_id = run.id or 0
    with new_session(engine) as session:
        version = session.get(ScheduleVersionRow, int(run.parameters.get("version_id") or 0))
        schedule = version_schedule(version) if version is not None else None
    if schedule is None:
        solve_runs.close_run(engine, run_id, "the version to search was deleted")
        return
    reporter = solve_runs.ProgressWriter(engine, run_id)
    seen: list[WhatIfProgress] = []

    def progress(event: WhatIfProgress) -> None:
        seen.append(event)
        reporter.update_values(
            {
                "result": _progress(event),
                "progress_level": "what-ifs",
                "progress_elapsed_s": event.elapsed_s,
            }
        )

    reporter.start()
    try:
        with solve_runs.run_limits(run, engine):
            outcome = explaining.explain_scenario(
                scenario=scenario,
                student=run.parameters.get("student"),
                time_limit_s=run.time_limit_s,
                schedule=schedule,
                workers=run.workers,
                seed=run.seed,
                on_progress=progress,
            )
    except Exception as error:  # noqa: BLE001 - any failure must close the run
        reporter.stop()
        solve_runs.close_run(engine, run_id, f"the search failed: {type(error).__name__}: {error}")
        return
    reporter.stop()
    if outcome.violations or outcome.schedule.status == "invalid":
        message = "the version breaks rules against the term as it is now: re-solve first"
        solve_runs.close_run(engine, run_id, message)
        return
    last = seen[-1] if seen else WhatIfProgress(0, 0, 0, 0.0)
    result = _progress(last) | {
        "found": len(outcome.suggestions),
        "unmet": len(outcome.entries),
        "suggestions": [s.model_dump(mode="json") for s in outcome.suggestions],
        "applied": [],
    }
    solve_runs.finish_without_schedule(engine, run_id, result=result, seconds=last.elapsed_s)


def _progress(event: WhatIfProgress) -> dict[str, Any]:
    return {"tried": event.tried, "proposals": event.proposals, "found": event.found}
