"""Term editing pages: a coordinator adds, changes and removes students, sites, slots,
sessions, rooms, facilitators and weekly capacities (`/app/terms/{id}/items/{kind}`), one
form per item with the scenario checks shown next to the field they concern."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep
from api.params import Id, Ref
from api.web.rendering import render
from api.web.routes.people_pages import deliver
from api.web.security import CheckedForm, CoordinatorPage, WebSession, field
from scheduler.services import outbox, people, term_edits, terms
from scheduler.services.errors import Conflict, Invalid, ServiceError
from scheduler.services.term_edits import FORMS, JSON_FIELDS, KINDS, Kind

router = APIRouter(prefix="/app/terms", include_in_schema=False)
DONE = {
    "add": "Added.",
    "edit": "Saved.",
    "remove": "Removed.",
    "recorded": "Saved. A version is published: the change is recorded for repair.",
}
HINTS = {
    "languages": "a;b",
    "needs": "a;b",
    "tags": "a;b",
    "site_preferences": "SITE-1;SITE-2",
    "unavailable": "2027-02-01T08:00/2027-02-01T12:00;…",
    "weekly_unavailable": "tue 08:00-12:00;…",
    "start": "2027-02-04T13:00",
    "end": "2027-02-04T15:00",
    "status": "offered, confirmed or declined",
    "travel_mode": "car or transit",
    "units": "W1:Ward 1:peds,acute:2;W2:Ward 2",
    "requires": "a;b",
    "qualifications": "a;b",
    "required_credentials": "a;b",
    "weeks": "2027-03-08;2027-03-15 (Mondays)",
    "first_week": "2027-03-01 (a Monday)",
    "last_week": "2027-03-22 (a Monday)",
    "score_weight": "1 (0 to ignore the student's scores)",
    "plan": '{"required": ["med", "surg"], "electives": [{"choose": 1, "among": ["peds"]}]}',
    "history": '[{"site": "H2", "tags": ["rural"], "start": "2026-01-05", "end": "2026-02-06"}]',
    "scores": '{"sites": {"H1": 3}, "disciplines": {"peds": 2}}',
}


@router.get("/{term_id}/items/{kind}", response_class=HTMLResponse)
def items_page(
    term_id: Id,
    kind: Kind,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    edit: str = "",
    done: str = "",
) -> Response:
    """The term's items of one kind, an add form, and the edit form of one item."""
    values = {}
    if edit:
        items = term_edits.list_items(session, actor=web.user, term_id=term_id, kind=kind)
        item = next((i for i in items if i.get("id") == edit), None)
        values = term_edits.form_cells(kind, item) if item else {}
    return _page(
        request,
        session,
        web,
        term_id,
        kind,
        values=values,
        editing=edit if values else "",
        done=DONE.get(done, ""),
    )


@router.post("/{term_id}/items/{kind}", response_class=HTMLResponse)
def add(
    term_id: Id,
    kind: Kind,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Add one item; a new student with an email gets an invitation."""
    values = {name: field(form, name) for name in FORMS[kind].fields}
    try:
        item = term_edits.item_from_form(kind, values)
        edited = term_edits.add_item(session, actor=web.user, term_id=term_id, kind=kind, item=item)
    except (Invalid, Conflict) as error:
        session.rollback()
        return _page(request, session, web, term_id, kind, values=values, error=error)
    if kind == "students":
        sent = people.invite_term_students(
            session,
            actor=web.user,
            term_id=term_id,
            base_url=str(request.base_url),
            only={values["id"]},
        )
        deliver(request, session, settings)
        show = outbox.smtp_settings(settings) is None
        views = [people.invitation_view(session, i, show_link=show) for i in sent]
        text = DONE["recorded" if edited.recorded else "add"]
        if views:
            text += " An invitation was sent to the student."
        return _page(request, session, web, term_id, kind, done=text, sent=views)
    done = "recorded" if edited.recorded else "add"
    return RedirectResponse(f"/app/terms/{term_id}/items/{kind}?done={done}", status_code=303)


@router.post("/{term_id}/items/{kind}/{ref}", response_class=HTMLResponse)
def save(
    term_id: Id,
    kind: Kind,
    ref: Ref,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Save the changed item."""
    values = {name: field(form, name) for name in FORMS[kind].fields}
    values["id"] = ref
    try:
        item = term_edits.item_from_form(kind, values)
        edited = term_edits.replace_item(
            session, actor=web.user, term_id=term_id, kind=kind, ref=ref, item=item
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _page(request, session, web, term_id, kind, values=values, error=error, editing=ref)
    done = "recorded" if edited.recorded else "edit"
    return RedirectResponse(f"/app/terms/{term_id}/items/{kind}?done={done}", status_code=303)


@router.post("/{term_id}/items/{kind}/{ref}/remove", response_class=HTMLResponse)
def remove(
    term_id: Id,
    kind: Kind,
    ref: Ref,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Remove one item (refused while a stored schedule uses it)."""
    try:
        edited = term_edits.remove_item(
            session, actor=web.user, term_id=term_id, kind=kind, ref=ref
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _page(request, session, web, term_id, kind, error=error)
    done = "recorded" if edited.recorded else "remove"
    return RedirectResponse(f"/app/terms/{term_id}/items/{kind}?done={done}", status_code=303)


def _page(
    request: Request,
    session: Session,
    web: WebSession,
    term_id: int,
    kind: Kind,
    *,
    values: dict[str, str] | None = None,
    error: ServiceError | None = None,
    editing: str = "",
    done: str = "",
    sent: list[people.InvitationView] | None = None,
) -> Response:
    items = term_edits.list_items(session, actor=web.user, term_id=term_id, kind=kind)
    spec = FORMS[kind]
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "kind": kind,
        "kinds": KINDS,
        "rows": [term_edits.form_cells(kind, item) for item in items],
        "columns": spec.fields[:6],
        "fields": spec.fields,
        "required": spec.required,
        "hints": HINTS,
        "json_fields": JSON_FIELDS,
        "values": values or {},
        "editing": editing,
        "error": error,
        "errors": {d.path: d.message for d in error.details} if error else {},
        "done": done,
        "sent": sent or [],
        "no_smtp": outbox.smtp_settings(request.app.state.settings) is None,
    }
    status = error.status if error else 200
    return render(request, "term_items.html", context, web=web, status=status)
