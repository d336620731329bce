"""Seat requests: coordinators ask sites for seats and see supply against demand;
partners answer their own site's requests with an offer (a new slot) or a refusal."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from api.deps import Coordinator, DeliverDep, Partner, SessionDep
from api.errors import documented
from api.params import Id, Text
from api.routers import COORDINATOR, PARTNER
from scheduler.domain.scenario import MAX_COUNT
from scheduler.services import slot_requests
from scheduler.services.slot_requests import SlotRequestView, SupplyView

router = APIRouter(responses=documented(401, 403, 404))


class SeatRequest(BaseModel):
    """Which site, for which profession and period, how many seats (the fields are
    `slot_requests.request_seats`'s, passed as they are)."""

    site: Text = Field(max_length=100)
    profession: Text = Field(max_length=100)
    period: Text = Field(max_length=100)
    seats: int = Field(ge=1, le=MAX_COUNT)


class AnswerRequest(BaseModel):
    """Offer seats (how many, a language if the placement needs one, notes) or refuse
    (`slot_requests.answer`'s fields)."""

    decision: Literal["offer", "refuse"]
    seats: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    language: Text | None = Field(default=None, max_length=50)
    notes: Text = Field(default="", max_length=2000)


@router.post(
    "/terms/{term_id}/slot-requests",
    response_model=SlotRequestView,
    status_code=status.HTTP_201_CREATED,
    responses=documented(422),
    tags=COORDINATOR,
)
def request_seats(
    term_id: Id, body: SeatRequest, session: SessionDep, user: Coordinator, _deliver: DeliverDep
) -> SlotRequestView:
    """Ask a site for seats; its partner contacts are told through the outbox."""
    return slot_requests.request_seats(session, actor=user, term_id=term_id, **body.model_dump())


@router.get(
    "/terms/{term_id}/slot-requests", response_model=list[SlotRequestView], tags=COORDINATOR
)
def term_requests(term_id: Id, session: SessionDep, user: Coordinator) -> list[SlotRequestView]:
    """The term's seat requests and their answers."""
    return slot_requests.term_requests(session, actor=user, term_id=term_id)


@router.get("/terms/{term_id}/supply", response_model=SupplyView, tags=COORDINATOR)
def supply(term_id: Id, session: SessionDep, user: Coordinator) -> SupplyView:
    """Seats requested against offered per site, profession and period; gap to demand."""
    return slot_requests.supply(session, actor=user, term_id=term_id)


@router.get("/partner/requests", response_model=list[SlotRequestView], tags=PARTNER)
def my_requests(session: SessionDep, user: Partner) -> list[SlotRequestView]:
    """Seat requests to your site, newest first."""
    return slot_requests.my_requests(session, actor=user)


@router.post(
    "/partner/requests/{request_id}/answer",
    response_model=SlotRequestView,
    responses=documented(409, 422),
    tags=PARTNER,
)
def answer(
    request_id: Id, body: AnswerRequest, session: SessionDep, user: Partner
) -> SlotRequestView:
    """Offer seats (they become an `offered` slot) or refuse; each request is answered once."""
    return slot_requests.answer(session, actor=user, request_id=request_id, **body.model_dump())
