"""The access record for coordinators: the school's audit rows, filtered, and as CSV."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.web.rendering import render
from api.web.security import CoordinatorPage
from scheduler.db.repositories import AuditFilter
from scheduler.domain.schedule import ErrorItem
from scheduler.services import access_record, terms
from scheduler.services.errors import Invalid

router = APIRouter(prefix="/app/access", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def access_page(
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    person: str = "",
    term: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """Who did or read what, when: filter by person, term, action and dates."""
    form = {"person": person, "term": term, "action": action, "since": since, "until": until}
    error = None
    try:
        wanted = _filter(person, term, action, since, until)
    except Invalid as problem:
        error, wanted = problem, None
    record = (
        access_record.access_record(session, actor=web.user, wanted=wanted, via="web")
        if wanted is not None
        else None
    )
    context = {
        "form": form,
        "record": record,
        "terms": terms.list_terms(session, actor=web.user),
        "max_rows": access_record.MAX_ROWS,
        "query": request.url.query,
        "error": error,
    }
    return render(request, "coord_access.html", context, web=web, status=422 if error else 200)


@router.get("/export.csv")
def access_csv(
    session: SessionDep,
    web: CoordinatorPage,
    person: str = "",
    term: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """The filtered rows as CSV (cells that would run as formulas are quoted as text)."""
    wanted = _filter(person, term, action, since, until)
    text = access_record.access_record_csv(session, actor=web.user, wanted=wanted)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="access-record.csv"'},
    )


def _filter(person: str, term: str, action: str, since: str, until: str) -> AuditFilter:
    problems = []
    term_id = None
    if term.strip():
        if term.strip().isdigit():
            term_id = int(term.strip())
        else:
            problems.append(ErrorItem(path="query.term", message="choose a term from the list"))
    days: dict[str, date | None] = {}
    for name, text in (("since", since), ("until", until)):
        try:
            days[name] = date.fromisoformat(text.strip()) if text.strip() else None
        except ValueError:
            days[name] = None
            problems.append(ErrorItem(path=f"query.{name}", message="a date as YYYY-MM-DD"))
    if problems:
        raise Invalid("the filter is not valid", code="bad_filter", details=problems)
    return access_record.audit_filter(
        person=person, term_id=term_id, action=action, since=days["since"], until=days["until"]
    )
