"""Coordinators: what-if searches of a version's unmet needs, and applying a suggestion.

A search is a job on the solve-run queue (202 + its run); poll it here for progress and
suggestions, cancel it like any run (`DELETE /terms/{id}/solve-runs/{run}`). Applying a
suggestion edits the term; re-solve (or repair) to use it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from api.deps import Coordinator, LimitsDep, RunnerDep, SessionDep, SettingsDep
from api.errors import documented
from api.params import Id
from scheduler.services import whatifs
from scheduler.services.views import RunView
from scheduler.services.whatifs import AppliedView, WhatIfView

router = APIRouter(prefix="/terms", tags=["coordinator"], responses=documented(401, 403))


class WhatIfRequest(BaseModel):
    """What to search: one student's unmet needs or all of them, and for how long."""

    student: str | None = Field(
        default=None, min_length=1, max_length=100, description="Only this student's needs."
    )
    time_limit_s: float | None = Field(
        default=None, gt=0, description="Seconds for the whole search (default 30)."
    )


@router.post(
    "/{term_id}/versions/{version_id}/whatifs",
    response_model=RunView,
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(404, 409, 422, 429),
)
def start_whatif(
    term_id: Id,
    version_id: Id,
    session: SessionDep,
    user: Coordinator,
    runner: RunnerDep,
    limits: LimitsDep,
    body: WhatIfRequest | None = None,
) -> RunView:
    """Search verified what-if changes for the version's unmet needs, as a job (202)."""
    request = body or WhatIfRequest()
    return whatifs.start_whatif_run(
        session,
        actor=user,
        term_id=term_id,
        version_id=version_id,
        runner=runner,
        limits=limits,
        student=request.student,
        time_limit_s=request.time_limit_s,
    )


@router.get("/{term_id}/whatifs/{run_id}", response_model=WhatIfView, responses=documented(404))
def get_whatif(
    term_id: Id,
    run_id: Id,
    session: SessionDep,
    user: Coordinator,
    runner: RunnerDep,
    settings: SettingsDep,
) -> WhatIfView:
    """A search's progress (proposals tried, suggestions found) and its suggestions."""
    return whatifs.get_whatif(
        session,
        actor=user,
        term_id=term_id,
        run_id=run_id,
        runner=runner,
        stale_after_s=settings.run_stale_after_s,
    )


Index = Annotated[int, Path(ge=0, le=10_000, description="The suggestion's `index`.")]


@router.post(
    "/{term_id}/whatifs/{run_id}/suggestions/{index}/apply",
    response_model=AppliedView,
    responses=documented(404, 409, 422),
)
def apply_suggestion(
    term_id: Id, run_id: Id, index: Index, session: SessionDep, user: Coordinator
) -> AppliedView:
    """Apply one suggestion as an edit of the term (checked like an import; audited)."""
    return whatifs.apply_suggestion(
        session, actor=user, term_id=term_id, run_id=run_id, index=index
    )
