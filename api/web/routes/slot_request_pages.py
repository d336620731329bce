"""Seat request pages: the coordinator asks sites for seats and sees supply against demand
(`/app/terms/{id}/requests`); the partner answers their site's requests
(`/app/partner/requests`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep
from api.params import Id
from api.web.rendering import render_outcome
from api.web.routes.people_pages import deliver
from api.web.security import (
    CheckedForm,
    CoordinatorPage,
    PartnerPage,
    WebSession,
    count_text,
    field,
    fields,
    optional_count,
)
from scheduler.domain.schedule import ErrorItem
from scheduler.services import slot_requests, term_rows, terms
from scheduler.services.errors import Conflict, Invalid, ServiceError

router = APIRouter(prefix="/app", include_in_schema=False)
DONE = {
    "asked": "Request sent to the site's partner contacts.",
    "offer": "Thank you: your offer is now a slot the coordinator can use.",
    "refuse": "Your answer is sent.",
}


@router.get("/terms/{term_id}/requests", response_class=HTMLResponse)
def requests_page(
    term_id: Id, request: Request, session: SessionDep, web: CoordinatorPage, done: str = ""
) -> Response:
    """Seat requests, requested against offered, the gap to demand, and a request form."""
    return _coordinator_page(request, session, web, term_id, done=DONE.get(done, ""))


@router.post("/terms/{term_id}/requests", response_class=HTMLResponse)
def ask(
    term_id: Id,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    web: CoordinatorPage,
    form: CheckedForm,
) -> Response:
    """Ask a site for seats."""
    values = fields(form, "site", "profession", "period", "seats")
    try:
        seats = count_text(values["seats"], "seats", problem="the request has problems")
        slot_requests.request_seats(
            session,
            actor=web.user,
            term_id=term_id,
            site=values["site"],
            profession=values["profession"],
            period=values["period"],
            seats=seats,
        )
    except Invalid as error:
        session.rollback()
        return _coordinator_page(request, session, web, term_id, error=error, values=values)
    deliver(request, session, settings)
    return RedirectResponse(f"/app/terms/{term_id}/requests?done=asked", status_code=303)


@router.get("/partner/requests", response_class=HTMLResponse)
def partner_page(
    request: Request, session: SessionDep, web: PartnerPage, done: str = ""
) -> Response:
    """Requests for seats at your site: offer seats or refuse."""
    return _partner_page(request, session, web, done=DONE.get(done, ""))


@router.post("/partner/requests/{request_id}/answer", response_class=HTMLResponse)
def answer(
    request_id: Id, request: Request, session: SessionDep, web: PartnerPage, form: CheckedForm
) -> Response:
    """Offer seats or refuse one request."""
    decision = field(form, "decision")
    seats = field(form, "seats")
    try:
        if decision not in ("offer", "refuse"):
            raise Invalid(
                "choose offer or refuse",
                details=[ErrorItem(path="decision", message="must be offer or refuse")],
            )
        if decision == "offer":
            count_text(
                seats,
                "seats",
                problem="the answer has problems",
                message="must be a whole number to offer",
            )
        slot_requests.answer(
            session,
            actor=web.user,
            request_id=request_id,
            decision=decision,  # type: ignore[arg-type]
            seats=optional_count(seats),
            language=field(form, "language"),
            notes=field(form, "notes"),
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _partner_page(request, session, web, error=error, error_request=request_id)
    return RedirectResponse(f"/app/partner/requests?done={decision}", status_code=303)


def _coordinator_page(
    request: Request,
    session: Session,
    web: WebSession,
    term_id: int,
    *,
    done: str = "",
    error: ServiceError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    term = terms.term_summary(session, actor=web.user, term_id=term_id)
    scenario = term_rows.stored_scenario(terms.get_term(session, actor=web.user, term_id=term_id))
    context = {
        "term": term,
        "requests": slot_requests.term_requests(session, actor=web.user, term_id=term_id),
        "supply": slot_requests.supply(session, actor=web.user, term_id=term_id),
        "sites": scenario.sites,
        "periods": scenario.periods,
        "professions": sorted(
            {p.code for p in scenario.professions} | {s.profession for s in scenario.students}
        ),
        "values": values or {"seats": "1"},
    }
    return render_outcome(request, "coord_requests.html", context, web=web, done=done, error=error)


def _partner_page(
    request: Request,
    session: Session,
    web: WebSession,
    *,
    done: str = "",
    error: ServiceError | None = None,
    error_request: int | None = None,
) -> Response:
    context = {
        "requests": slot_requests.my_requests(session, actor=web.user),
        "error_request": error_request,
    }
    return render_outcome(
        request, "partner_requests.html", context, web=web, done=done, error=error
    )
