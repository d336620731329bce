"""Clinical partners: their own site's slots, who is placed there, confirm/decline, tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from api.deps import PageDep, Partner, PartnerChannel, SessionDep, SettingsDep
from api.errors import documented
from api.params import ID_MAX, Id, Text
from scheduler.services import auth, outbox, slots
from scheduler.services.outbox import MessageView
from scheduler.services.views import PartnerSlotView, PartnerTokenView

router = APIRouter(prefix="/partner", tags=["partner"], responses=documented(401, 403))


class SlotResponseRequest(BaseModel):
    """Confirm or decline a slot; `expected_version` guards against overwriting a change."""

    decision: Literal["confirm", "decline"]
    reason: Text = Field(default="", max_length=2000)
    expected_version: int | None = Field(default=None, ge=1, le=ID_MAX)


class PartnerTokenRequest(BaseModel):
    name: Text = Field(min_length=1, max_length=200)


@router.get("/slots", response_model=list[PartnerSlotView])
def list_slots(
    session: SessionDep, user: Partner, channel: PartnerChannel, page: PageDep
) -> list[PartnerSlotView]:
    """Your site's slots in every term, with the students placed in each (recorded; paged)."""
    return slots.partner_slots(session, actor=user, channel=channel, page=page)


@router.get("/messages", response_model=list[MessageView])
def my_messages(session: SessionDep, user: Partner, page: PageDep) -> list[MessageView]:
    """Messages about students placed with your site, newest first (paged)."""
    return outbox.my_messages(session, actor=user, page=page)


@router.get("/slots/{slot_id}", response_model=PartnerSlotView, responses=documented(404))
def get_slot(
    slot_id: Id, session: SessionDep, user: Partner, channel: PartnerChannel
) -> PartnerSlotView:
    """One of your site's slots, with the students placed in it (recorded as disclosed)."""
    return slots.partner_slot(session, actor=user, slot_id=slot_id, channel=channel)


@router.post(
    "/slots/{slot_id}/response",
    response_model=PartnerSlotView,
    responses=documented(404, 409, 422),
)
def respond(
    slot_id: Id,
    body: SlotResponseRequest,
    session: SessionDep,
    user: Partner,
    channel: PartnerChannel,
) -> PartnerSlotView:
    """Confirm or decline one of your slots (a decline needs a reason; repeats are no-ops)."""
    slots.respond_to_slot(
        session,
        actor=user,
        slot_id=slot_id,
        decision=body.decision,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return slots.partner_slot(session, actor=user, slot_id=slot_id, channel=channel)


@router.post(
    "/tokens",
    response_model=PartnerTokenView,
    status_code=status.HTTP_201_CREATED,
    responses=documented(422),
)
def create_token(
    body: PartnerTokenRequest, session: SessionDep, settings: SettingsDep, user: Partner
) -> PartnerTokenView:
    """Create an API token for your site's systems; the token is shown only in this answer."""
    ttl = timedelta(days=settings.partner_token_ttl_days)
    issued = auth.create_partner_token(session, actor=user, name=body.name, ttl=ttl)
    return PartnerTokenView(
        id=issued.row.id or 0,
        name=issued.row.name,
        token=issued.token,
        expires_at=issued.row.expires_at,
    )


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(404)
)
def revoke_token(token_id: Id, session: SessionDep, user: Partner) -> None:
    """Revoke one of your API tokens."""
    auth.revoke_partner_token(session, actor=user, token_id=token_id)
