"""Preference collection: coordinators open, watch, remind and close a term's window;
students rank the sites they may go to and name IPE sessions they cannot make."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import Coordinator, DeliverDep, SessionDep, Student
from api.errors import documented
from api.params import Id, Text
from api.routers import COORDINATOR, STUDENT
from scheduler.services import preferences
from scheduler.services.preferences import MyPreferenceView, SubmissionView, WindowView

router = APIRouter(responses=documented(401, 403, 404))


class WindowRequest(BaseModel):
    """When students may rank, which professions (empty: all), how many ranks (the
    fields are `preferences.open_window`'s, passed as they are)."""

    opens_on: date
    closes_on: date
    professions: list[Text] = Field(default_factory=list, max_length=100)
    ranks: int = Field(ge=1, le=preferences.MAX_RANKS)


class RankingRequest(BaseModel):
    """Your sites, best first, and the IPE sessions you cannot make (`preferences.submit`'s
    fields)."""

    sites: list[Text] = Field(default_factory=list, max_length=preferences.MAX_RANKS * 2)
    unavailable_sessions: list[Text] = Field(default_factory=list, max_length=500)


class RemindersView(BaseModel):
    sent: int


@router.put(
    "/terms/{term_id}/preference-window",
    response_model=WindowView,
    responses=documented(409, 422),
    tags=COORDINATOR,
)
def open_window(
    term_id: Id, body: WindowRequest, session: SessionDep, user: Coordinator
) -> WindowView:
    """Open the term's preference window, or change its dates, professions or ranks."""
    return preferences.open_window(session, actor=user, term_id=term_id, **body.model_dump())


@router.get("/terms/{term_id}/preference-window", response_model=WindowView, tags=COORDINATOR)
def get_window(term_id: Id, session: SessionDep, user: Coordinator) -> WindowView:
    """The term's preference window and its state."""
    return preferences.get_window(session, actor=user, term_id=term_id)


@router.get("/terms/{term_id}/preferences", response_model=list[SubmissionView], tags=COORDINATOR)
def submissions(term_id: Id, session: SessionDep, user: Coordinator) -> list[SubmissionView]:
    """Every student the window asks and whether they submitted."""
    return preferences.submissions(session, actor=user, term_id=term_id)


@router.post(
    "/terms/{term_id}/preference-window/reminders",
    response_model=RemindersView,
    responses=documented(409),
    tags=COORDINATOR,
)
def remind(
    term_id: Id, session: SessionDep, user: Coordinator, _deliver: DeliverDep
) -> RemindersView:
    """Remind every asked student who has not submitted (through the outbox)."""
    return RemindersView(sent=preferences.remind(session, actor=user, term_id=term_id))


@router.post(
    "/terms/{term_id}/preference-window/close",
    response_model=WindowView,
    responses=documented(409, 422),
    tags=COORDINATOR,
)
def close_window(term_id: Id, session: SessionDep, user: Coordinator) -> WindowView:
    """Close the window: rankings become site preferences, sessions unavailability."""
    return preferences.close_window(session, actor=user, term_id=term_id)


@router.get("/me/preferences", response_model=list[MyPreferenceView], tags=STUDENT)
def my_preferences(session: SessionDep, user: Student) -> list[MyPreferenceView]:
    """Your preference windows: the sites you may rank (distance, tags), your sessions."""
    return preferences.my_preferences(session, actor=user)


@router.put(
    "/me/preferences/{term_id}",
    response_model=MyPreferenceView,
    responses=documented(409, 422),
    tags=STUDENT,
)
def submit(
    term_id: Id, body: RankingRequest, session: SessionDep, user: Student
) -> MyPreferenceView:
    """Save your ranking; refused (409) before the window opens and after it closes."""
    return preferences.submit(session, actor=user, term_id=term_id, **body.model_dump())
