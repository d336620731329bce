"""Liveness and readiness for load balancers and `make run`: no authentication.

`/healthz` says the process answers (no database work: a load balancer must not restart
a healthy server because its database is down). `/readyz` says it can serve requests:
the database answers a `SELECT 1` and the job queue (when runs go through Redis) answers
a ping; otherwise 503 with `Retry-After`, naming what is down. While the database is down,
every other request answers 503 too (`api.errors.database_unavailable`), and the first
request after it is back is served again: the pool reconnects, no restart needed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.errors import RETRY_AFTER_UNAVAILABLE_S, documented, error_response
from scheduler.domain.schedule import ErrorItem

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    status: str = "ok"
    database: str = "ok"
    queue: str = "ok"


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Answer `ok` while the app is up."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses=documented(503))
async def readyz(request: Request) -> Readiness | JSONResponse:
    """`ok` when the database and the job queue answer; 503 naming what does not."""
    problems = await run_in_threadpool(_problems, request)
    if problems:
        return error_response(
            503,
            "not_ready",
            "the service cannot serve requests just now",
            problems,
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
        )
    queue = "ok" if callable(getattr(request.app.state.runner, "ready", None)) else "none"
    return Readiness(queue=queue)


def _problems(request: Request) -> list[ErrorItem]:
    problems = []
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        problems.append(ErrorItem(path="database", message=_brief(error)))
    ready = getattr(request.app.state.runner, "ready", None)
    if callable(ready):
        try:
            ready()
        except Exception as error:  # noqa: BLE001
            problems.append(ErrorItem(path="queue", message=_brief(error)))
    return problems


def _brief(error: Exception) -> str:
    """The kind of failure, not its text: a driver's message may name hosts and users."""
    return f"not reachable ({type(error).__name__})"


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    """The pages (sign-in first); the API documentation is at `/docs`."""
    return RedirectResponse("/app/")
