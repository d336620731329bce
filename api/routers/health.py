"""Liveness for load balancers and `make run`: no authentication, no database work."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = "ok"


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Answer `ok` while the app is up."""
    return Health()


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    """The pages (sign-in first); the API documentation is at `/docs`."""
    return RedirectResponse("/app/")
