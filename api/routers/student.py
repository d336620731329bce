"""Students: their own published sessions and placements, nothing else."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep, Student
from api.errors import documented
from scheduler.services import students
from scheduler.services.views import MyTermView

router = APIRouter(prefix="/me", tags=["student"], responses=documented(401, 403))


@router.get("/schedule", response_model=list[MyTermView])
def my_schedule(session: SessionDep, user: Student) -> list[MyTermView]:
    """Your IPE sessions (with your team) and placements in every published schedule."""
    return students.my_schedule(session, actor=user)
