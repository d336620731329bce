"""Routers, one per audience: `/auth` (everyone), `/terms` (coordinators), `/me` (students),
`/partner` (clinical partners), and `/healthz`.

Handlers are a few lines: parse, call one use case in `scheduler.services`, return its view.
"""
