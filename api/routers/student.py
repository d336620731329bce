"""Students: their own published sessions and placements, nothing else."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep, Student
from api.errors import documented
from scheduler.services import outbox, students
from scheduler.services.outbox import MessageView
from scheduler.services.views import MyTermView

router = APIRouter(prefix="/me", tags=["student"], responses=documented(401, 403))


@router.get("/schedule", response_model=list[MyTermView])
def my_schedule(session: SessionDep, user: Student) -> list[MyTermView]:
    """Your IPE sessions (with your team) and placements in every published schedule."""
    return students.my_schedule(session, actor=user)


@router.get("/messages", response_model=list[MessageView])
def my_messages(session: SessionDep, user: Student) -> list[MessageView]:
    """Messages about changes to your published schedule, newest first."""
    return outbox.my_messages(session, actor=user)
