"""Calendar feeds: `GET /feeds/{token}.ics`, the secret address a calendar app subscribes to.

No cookie and no header: the token in the path is the credential, so any calendar app can
read it. Unknown, rotated and non-feed tokens all answer the same 404.
"""

from __future__ import annotations

from functools import partial

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.caching import stored_response
from api.deps import in_session
from scheduler.services import published_views

# Not in the OpenAPI document: it is an address for calendar apps, not an API operation
# (no bearer token, no JSON); the README describes it.
router = APIRouter(include_in_schema=False)


@router.get("/feeds/{token}.ics", response_class=Response)
async def calendar_feed(token: str, request: Request) -> Response:
    """Your published schedule as an iCalendar (RFC 5545) feed; the address is the secret.

    The feed stored at publish, as bytes; calendar apps that poll with `If-None-Match`
    get 304 until a new version is published. A partner's read (304 too) writes its
    disclosure rows, group-committed with other reads, before it answers.
    """
    cache = request.app.state.view_cache
    read = partial(published_views.feed_read, token=token, cache=cache)
    view, disclosed = await in_session(request, read)
    if disclosed is not None:  # a site's feed: its disclosure rows are committed first
        writer = request.app.state.disclosure_writer
        await anyio.to_thread.run_sync(
            partial(
                writer.record,
                recipient=disclosed.recipient,
                channel=disclosed.channel,
                resource=disclosed.resource,
                shown=disclosed.shown,
                export=disclosed.export,
            )
        )
    return stored_response(
        request,
        view,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="ipe-schedule.ics"',
            "Referrer-Policy": "no-referrer",
        },
    )


def feed_url(request: Request, token: str) -> str:
    """The absolute address of a feed, as a calendar app needs it."""
    return str(request.url_for("calendar_feed", token=token))
