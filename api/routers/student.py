"""Students: their own published sessions and placements, their directory choice and who
outside the school has seen their record; nothing else."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.caching import stored_response
from api.deps import PageDep, SessionDep, Student, bearer, in_session
from api.errors import documented
from scheduler.services import directory, disclosures, outbox, published_views
from scheduler.services.directory import DirectoryView
from scheduler.services.disclosures import DisclosureView
from scheduler.services.outbox import MessageView
from scheduler.services.views import MyTermView

router = APIRouter(prefix="/me", tags=["student"], responses=documented(401, 403))


class DirectoryRequest(BaseModel):
    """Opt out of directory information (true) or back in (false)."""

    directory_opt_out: bool


@router.get(
    "/schedule",
    response_model=list[MyTermView],
    responses={304: {"description": "Not modified: your copy (`If-None-Match`) is current."}},
)
async def my_schedule(request: Request, token: Annotated[str | None, Depends(bearer)]) -> Response:
    """Your IPE sessions (with your team) and placements in every published schedule."""
    # The lean read: sign-in and the view stored at publish in one query and one thread
    # hop, its bytes as they are, with an ETag (`published_views`, `api.caching`).
    view = await in_session(
        request,
        partial(
            published_views.my_view,
            token=token,
            kind=published_views.SCHEDULE,
            cache=request.app.state.view_cache,
        ),
    )
    return stored_response(
        request, view, media_type="application/json", headers={"Vary": "Authorization"}
    )


@router.get("/messages", response_model=list[MessageView])
def my_messages(session: SessionDep, user: Student, page: PageDep) -> list[MessageView]:
    """Messages about changes to your published schedule, newest first (paged)."""
    return outbox.my_messages(session, actor=user, page=page)


@router.get("/disclosures", response_model=list[DisclosureView])
def my_disclosures(session: SessionDep, user: Student) -> list[DisclosureView]:
    """Who outside the school saw your record: who, what, when and why, newest first."""
    return disclosures.my_disclosures(session, actor=user)


@router.get("/directory", response_model=DirectoryView)
def my_directory(session: SessionDep, user: Student) -> DirectoryView:
    """Whether you opted out of directory information (your name hidden from students)."""
    return directory.my_directory(session, actor=user)


@router.put("/directory", response_model=DirectoryView, responses=documented(422))
def set_my_directory(body: DirectoryRequest, session: SessionDep, user: Student) -> DirectoryView:
    """Opt out of directory information (your name hidden from other students), or back in."""
    return directory.set_my_directory(session, actor=user, opt_out=body.directory_opt_out)
