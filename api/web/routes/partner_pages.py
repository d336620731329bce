"""Partner pages: the site's slots by period with who is placed, confirm or decline (with
a reason), a CSV download, and the calendar feed address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep
from api.params import ID_MAX, Id
from api.web.rendering import error_status, render
from api.web.routes.feeds import feed_url
from api.web.security import CheckedForm, PartnerPage, WebSession, field, whole_number
from scheduler.services import feeds, partner_pages, slots
from scheduler.services.disclosures import SIGNED_IN
from scheduler.services.errors import Conflict, Invalid, ServiceError

router = APIRouter(prefix="/app/partner", include_in_schema=False)

DONE = {"confirm": "Slot confirmed.", "decline": "Slot declined; the coordinator sees why."}


@router.get("", response_class=HTMLResponse)
def slot_page(request: Request, session: SessionDep, web: PartnerPage, done: str = "") -> Response:
    """Your site's slots by period, who is placed in each, and their status."""
    return _page(request, session, web, done=DONE.get(done, ""))


@router.post("/slots/{slot_id}/respond", response_class=HTMLResponse)
def respond(
    slot_id: Id, request: Request, session: SessionDep, web: PartnerPage, form: CheckedForm
) -> Response:
    """Confirm or decline one slot; a decline needs a reason, shown to the coordinator."""
    decision = field(form, "decision")
    try:
        if decision not in ("confirm", "decline"):
            raise Invalid("choose confirm or decline", code="bad_decision")
        slots.respond_to_slot(
            session,
            actor=web.user,
            slot_id=slot_id,
            decision=decision,  # type: ignore[arg-type]
            reason=field(form, "reason"),
            expected_version=whole_number(form, "expected_version", low=1, high=ID_MAX),
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        return _page(request, session, web, error=error, error_slot=slot_id)
    return RedirectResponse(f"/app/partner?done={decision}#slot-{slot_id}", status_code=303)


@router.get("/slots.csv")
def slots_csv(session: SessionDep, web: PartnerPage) -> Response:
    """Your slots and the students placed in them, as CSV."""
    text = partner_pages.partner_slots_csv(session, actor=web.user, channel=SIGNED_IN)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="slots.csv"'},
    )


@router.post("/feed", response_class=HTMLResponse)
def new_feed(
    request: Request, session: SessionDep, web: PartnerPage, form: CheckedForm
) -> Response:
    """Make (or replace) your site's calendar feed address; it is shown once."""
    token = feeds.rotate_feed(session, actor=web.user)
    return _page(request, session, web, new_feed=feed_url(request, token))


def _page(
    request: Request,
    session: Session,
    web: WebSession,
    *,
    done: str = "",
    error: ServiceError | None = None,
    error_slot: int | None = None,
    new_feed: str = "",
) -> Response:
    items = slots.partner_slots(session, actor=web.user, channel=SIGNED_IN, resource="partner.page")
    context = {
        "groups": partner_pages.group_by_period(items),
        "done": done,
        "error": error,
        "error_slot": error_slot,
        "feed": feeds.feed_status(session, actor=web.user),
        "new_feed": new_feed,
        "feed_action": "/app/partner/feed",
    }
    return render(request, "partner_slots.html", context, web=web, status=error_status(error))
