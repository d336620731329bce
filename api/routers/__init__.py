"""Routers, one per audience: `/auth` (everyone), `/terms` (coordinators), `/me` (students),
`/partner` (clinical partners), and `/healthz`.

Handlers are a few lines: parse, call one use case in `scheduler.services`, return its view.
"""

from enum import Enum

# OpenAPI tags by audience, shared by the routers whose routes serve several audiences.
COORDINATOR: list[str | Enum] = ["coordinator"]
STUDENT: list[str | Enum] = ["student"]
PARTNER: list[str | Enum] = ["partner"]
