"""Terms: import a scenario (JSON, or CSV lists into an existing term), list, export, delete.

Imports are all-or-nothing: the whole input is checked before a single row is added, and
any problem comes back as one `Invalid` listing every error with its path. The caller's
transaction holds the writes; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.db import audit, repositories
from scheduler.db.paging import ALL, Page
from scheduler.db.tables import (
    ScheduleVersionRow,
    SessionRow,
    SiteRow,
    SlotRow,
    StudentRow,
    TermRow,
    UserRow,
)
from scheduler.domain.loading import Loaded, load_scenario_data, parse_json
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import ErrorItem
from scheduler.services import csv_import, import_limits, term_rows
from scheduler.services.cancellation import checkpoint
from scheduler.services.errors import Conflict, Forbidden, Invalid, found
from scheduler.services.import_limits import ImportLimits
from scheduler.services.views import TermView

DEFAULT_LIMITS = ImportLimits()


def import_scenario(
    session: Session,
    *,
    actor: UserRow,
    document: str | bytes,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> TermRow:
    """Create a term from a scenario JSON document of the coordinator's school."""
    try:
        data, errors = parse_json(document)
        checkpoint()  # each step of an import stops once its client has left
        errors = errors or import_limits.count_problems(data, limits)
        loaded = Loaded(None, errors) if errors else load_scenario_data(data)
        checkpoint()
    except (RecursionError, ValueError) as error:
        raise Invalid("the scenario is not usable JSON", details=[_json_limit(error)]) from None
    if loaded.scenario is None or loaded.errors:
        details = import_limits.summed_up(loaded.errors)
        raise Invalid("the scenario has problems", details=details)
    return create_term(session, actor=actor, scenario=loaded.scenario)


def _json_limit(error: Exception) -> ErrorItem:
    kind = "nested too deeply" if isinstance(error, RecursionError) else str(error)
    return ErrorItem(path="$", message=f"not a usable JSON document: {kind}")


def create_term(session: Session, *, actor: UserRow, scenario: Scenario) -> TermRow:
    """Store a validated scenario as a new term with one row per entity."""
    _require_coordinator(actor)
    if repositories.coordinator_term_by_code(session, actor, scenario.term.id) is not None:
        raise Conflict(
            f"term {scenario.term.id!r} already exists in this school",
            code="term_exists",
        )
    term = term_rows.term_row(scenario, school_id=actor.school_id)
    session.add(term)
    session.flush()
    term_id = _term_id(term)
    term_rows.write_entities(session, term_id, scenario)
    audit.record(
        session,
        actor=actor,
        action="term.import",
        entity="term",
        entity_id=term_id,
        term_id=term_id,
        detail={"code": term.code, "students": len(scenario.students)},
    )
    return term


def import_csv(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    files: Mapping[str, bytes],
    limits: ImportLimits = DEFAULT_LIMITS,
) -> TermRow:
    """Replace a term's students, sites, slots and/or sessions with CSV files."""
    term = get_term(session, actor=actor, term_id=term_id)
    _require_unscheduled(session, term)
    parsed = csv_import.parse_files(files, limits=limits)
    document = term_rows.stored_document(session, term)
    merged, merge_errors = csv_import.merge(document, parsed)
    # Files that could not be read keep the term's own list, so the merged document is
    # still worth checking: every problem is reported at once, not one file at a time.
    over = import_limits.count_problems(merged, limits)
    checkpoint()
    loaded = Loaded(None, over) if over else load_scenario_data(merged)
    checkpoint()
    errors = parsed.errors + merge_errors
    errors += [
        e.model_copy(update={"path": csv_import.csv_path(e.path, parsed, document)})
        for e in loaded.errors
    ]
    if errors or loaded.scenario is None:
        raise Invalid("the CSV files have problems", details=import_limits.summed_up(errors))
    _replace_scenario(session, term, loaded.scenario)
    audit.record(
        session,
        actor=actor,
        action="term.import_csv",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
        detail={"files": sorted(files)},
    )
    return term


def _replace_scenario(session: Session, term: TermRow, scenario: Scenario) -> None:
    term_id = _term_id(term)
    term_rows.delete_entities(session, term_id)
    term.scenario_json = term_rows.stored_text(scenario)
    session.add(term)
    term_rows.write_entities(session, term_id, scenario)


def _require_unscheduled(session: Session, term: TermRow) -> None:
    """Entity rows are referenced by versions and runs: a scheduled term is not replaced."""
    if _count(session, ScheduleVersionRow, term) or _active_runs(session, term):
        raise Conflict(
            "the term already has schedules or solve runs; import into a new term instead",
            code="term_has_schedules",
        )


def _active_runs(session: Session, term: TermRow) -> bool:
    return any(run.term_id == term.id for run in repositories.active_runs(session))


def get_term(session: Session, *, actor: UserRow, term_id: int) -> TermRow:
    """A term the coordinator manages, or NotFound."""
    return found(repositories.coordinator_term(session, actor, term_id), "term")


def list_terms(session: Session, *, actor: UserRow, page: Page = ALL) -> list[TermView]:
    """The coordinator's terms with their counts, newest first."""
    listed = repositories.coordinator_terms(session, actor, page=page)
    return [summarize(session, term) for term in listed]


def term_summary(session: Session, *, actor: UserRow, term_id: int) -> TermView:
    return summarize(session, get_term(session, actor=actor, term_id=term_id))


def summarize(session: Session, term: TermRow) -> TermView:
    """A term with its counts and the version students and partners see."""
    published = repositories.published_version(session, _term_id(term))
    return TermView(
        id=_term_id(term),
        code=term.code,
        name=term.name,
        start=term.start,
        end=term.end,
        timezone=term.timezone,
        created_at=term.created_at,
        students=_count(session, StudentRow, term),
        sites=_count(session, SiteRow, term),
        slots=_count(session, SlotRow, term),
        sessions=_count(session, SessionRow, term),
        published_version_id=published.id if published else None,
    )


def _count(session: Session, table: Any, term: TermRow) -> int:
    query = select(func.count()).select_from(table).where(col(table.term_id) == term.id)
    return int(session.exec(query).one())


def delete_term(session: Session, *, actor: UserRow, term_id: int) -> None:
    """Delete a term and everything in it; refused while a solve run is active."""
    term = get_term(session, actor=actor, term_id=term_id)
    if _active_runs(session, term):
        raise Conflict("a solve run of this term is still active", code="run_active")
    audit.record(
        session,
        actor=actor,
        action="term.delete",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
        detail={"code": term.code},
    )
    from scheduler.services import published_views  # it reads terms: imported late

    students, sites = published_views.forget_term(session, term=term)
    session.delete(term)
    session.flush()
    published_views.rebuild_students(session, school_id=term.school_id, refs=students)
    published_views.rebuild_sites(session, school_id=term.school_id, refs=sites)


def export_scenario(session: Session, *, actor: UserRow, term_id: int) -> Scenario:
    """The term's scenario as it stands (slot statuses included), for export or re-import."""
    term = get_term(session, actor=actor, term_id=term_id)
    scenario = term_rows.current_scenario(session, term)
    audit.record(
        session,
        actor=actor,
        action="scenario.export",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
    )
    # The document holds every student record: each counts as read (and is audited).
    repositories.term_students(session, actor, term, via="scenario.export")
    return scenario


def _require_coordinator(actor: UserRow) -> None:
    if actor.role != "coordinator":
        raise Forbidden("only coordinators manage terms")


def _term_id(term: TermRow) -> int:
    assert term.id is not None, "a stored term has an id"
    return term.id
