"""Coordinators edit a term item by item: students, sites, slots, sessions, rooms and
facilitators; and see the edits made while a version was published (for repair).

Bodies are scenario items as in `ipe-scenario/1` (a session also names its `activity`).
Every edit is checked like an import; problems come back as 422 naming the item's fields,
and nothing is written. Adding a student with an email sends them an invitation.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from api.deps import Coordinator, DeliverDep, SessionDep, SettingsDep
from api.errors import documented
from api.params import Id, Ref
from scheduler.services import outbox, people, term_edits
from scheduler.services.people import InvitationView
from scheduler.services.term_edits import Kind, TermEditView

router = APIRouter(prefix="/terms", tags=["coordinator"], responses=documented(401, 403, 404))


class EditedView(BaseModel):
    """The item as saved, whether the edit was recorded for repair, invitations sent."""

    item: dict[str, Any] | None
    recorded_for_repair: bool
    invitations: list[InvitationView] = []


@router.get("/{term_id}/items/{kind}", response_model=list[dict[str, Any]])
def list_items(term_id: Id, kind: Kind, session: SessionDep, user: Coordinator) -> list[Any]:
    """The term's items of one kind, as scenario JSON."""
    return term_edits.list_items(session, actor=user, term_id=term_id, kind=kind)


@router.post(
    "/{term_id}/items/{kind}",
    response_model=EditedView,
    status_code=status.HTTP_201_CREATED,
    responses=documented(409, 422),
)
def add_item(
    term_id: Id,
    kind: Kind,
    body: dict[str, Any],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Coordinator,
    _deliver: DeliverDep,
) -> EditedView:
    """Add one item (checked with the whole term); a new student with an email is invited."""
    edited = term_edits.add_item(session, actor=user, term_id=term_id, kind=kind, item=body)
    invitations = []
    if kind == "students":
        sent = people.invite_term_students(
            session,
            actor=user,
            term_id=term_id,
            base_url=str(request.base_url),
            only={str(body.get("id"))},
        )
        show = outbox.smtp_settings(settings) is None
        invitations = [people.invitation_view(session, i, show_link=show) for i in sent]
    return EditedView(
        item=edited.item, recorded_for_repair=edited.recorded, invitations=invitations
    )


@router.put("/{term_id}/items/{kind}/{ref}", response_model=EditedView, responses=documented(422))
def replace_item(
    term_id: Id, kind: Kind, ref: Ref, body: dict[str, Any], session: SessionDep, user: Coordinator
) -> EditedView:
    """Change one item (the whole item; its id stays)."""
    edited = term_edits.replace_item(
        session, actor=user, term_id=term_id, kind=kind, ref=ref, item=body
    )
    return EditedView(item=edited.item, recorded_for_repair=edited.recorded)


@router.delete(
    "/{term_id}/items/{kind}/{ref}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(409, 422),
)
def remove_item(term_id: Id, kind: Kind, ref: Ref, session: SessionDep, user: Coordinator) -> None:
    """Remove one item; refused (409) while a stored schedule version uses it."""
    term_edits.remove_item(session, actor=user, term_id=term_id, kind=kind, ref=ref)


@router.get("/{term_id}/edits", response_model=list[TermEditView])
def list_edits(term_id: Id, session: SessionDep, user: Coordinator) -> list[TermEditView]:
    """Edits made while a version was published, newest first: what a repair would carry."""
    return term_edits.recorded_edits(session, actor=user, term_id=term_id)
