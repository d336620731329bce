"""People of a school: coordinators invite, resend and deactivate; invited people accept.

Accepting (`POST /auth/invitations/{token}`) is public: the link in the invitation is the
credential, single-use and expiring. An invitation's link is in the answer only when no
mail server is configured (the coordinator then hands it over); with SMTP it goes by email.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel, Field

from api.deps import Coordinator, DeliverDep, SessionDep, SettingsDep, login_ttl
from api.errors import documented
from api.params import Id, Text
from scheduler.services import outbox, people
from scheduler.services.people import InvitationView, PersonView
from scheduler.services.views import LoginView

router = APIRouter(tags=["coordinator"], responses=documented(401, 403))
public = APIRouter(tags=["auth"])

InvitationToken = Annotated[str, Path(min_length=10, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


class InviteRequest(BaseModel):
    """Who to invite: a coordinator, a student (their student id) or a partner (their site)."""

    email: Text = Field(max_length=254)
    name: Text = Field(max_length=200)
    role: Literal["coordinator", "student", "partner"]
    student_ref: Text | None = Field(default=None, max_length=100)
    site_ref: Text | None = Field(default=None, max_length=100)


class AcceptRequest(BaseModel):
    """The password the invited person chose."""

    password: Text = Field(max_length=1000)


def show_link(settings: SettingsDep) -> bool:
    return outbox.smtp_settings(settings) is None


@router.get("/people", response_model=list[PersonView])
def list_people(
    session: SessionDep,
    user: Coordinator,
    role: Literal["coordinator", "student", "partner"] | None = None,
) -> list[PersonView]:
    """Everyone of your school with the state of their account (active, invited, ...)."""
    return people.list_people(session, actor=user, role=role)


@router.post(
    "/people",
    response_model=InvitationView,
    status_code=status.HTTP_201_CREATED,
    responses=documented(409, 422),
)
def invite(
    body: InviteRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Coordinator,
    _deliver: DeliverDep,
) -> InvitationView:
    """Create an account without a password and send it an invitation (set-password link)."""
    invitation = people.invite(
        session,
        actor=user,
        email=body.email,
        name=body.name,
        role=body.role,
        student_ref=body.student_ref,
        site_ref=body.site_ref,
        base_url=str(request.base_url),
    )
    return people.invitation_view(session, invitation, show_link=show_link(settings))


@router.post(
    "/people/{user_id}/invitation",
    response_model=InvitationView,
    responses=documented(404, 409),
)
def resend(
    user_id: Id,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Coordinator,
    _deliver: DeliverDep,
) -> InvitationView:
    """Send a fresh invitation; earlier links stop working."""
    invitation = people.resend(session, actor=user, user_id=user_id, base_url=str(request.base_url))
    return people.invitation_view(session, invitation, show_link=show_link(settings))


@router.post(
    "/people/{user_id}/deactivate", response_model=PersonView, responses=documented(404, 409)
)
def deactivate(user_id: Id, session: SessionDep, user: Coordinator) -> PersonView:
    """Deactivate an account: sign-ins, tokens, feeds and invitations stop at once."""
    return people.person_view(people.deactivate(session, actor=user, user_id=user_id))


@router.post(
    "/terms/{term_id}/invitations",
    response_model=list[InvitationView],
    responses=documented(404),
)
def invite_term_students(
    term_id: Id,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Coordinator,
    _deliver: DeliverDep,
) -> list[InvitationView]:
    """Accounts and invitations for the term's students who have an email and no account."""
    sent = people.invite_term_students(
        session, actor=user, term_id=term_id, base_url=str(request.base_url)
    )
    return [people.invitation_view(session, i, show_link=show_link(settings)) for i in sent]


@public.post(
    "/auth/invitations/{token}",
    response_model=LoginView,
    responses=documented(404, 422),
)
def accept(
    token: InvitationToken, body: AcceptRequest, session: SessionDep, settings: SettingsDep
) -> LoginView:
    """Accept an invitation: set a password (12+ characters, not common), get a token."""
    issued = people.accept(
        session, token=token, password=body.password, login_ttl=login_ttl(settings)
    )
    return LoginView(access_token=issued.token, expires_at=issued.row.expires_at)
