"""A request whose client leaves stops working (scheduler/services/cancellation.py).

After its body is read (api/body_limit.py) the only message a client can still send is
its disconnect. `run_watched` listens for it beside the app: when it comes before the
response is complete, the request's Watch is set, so the work's next checkpoint raises
ClientGone and its transaction rolls back. While such a request still works, a watchdog
logs a warning every WATCHDOG_S seconds, naming the method and path, so work that has no
checkpoint shows in the logs; when it ends, one line says how long it ran on.
"""

from __future__ import annotations

import asyncio
import logging
import time

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.services.cancellation import Watch, watching

WATCHDOG_S = 5.0
log = logging.getLogger("ipe.client_watch")


async def run_watched(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, body: bytes
) -> None:
    """Run `app` on the request whose whole `body` was read, watching for the client leaving."""
    watch = Watch()
    gone = anyio.Event()
    state = {"response_done": False, "left_at": 0.0}
    where = f"{scope.get('method', '')} {scope.get('path', '')}"

    async def tracked_send(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            state["response_done"] = True
        await send(message)

    body_sent = False

    async def app_receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def listen() -> None:
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        except Exception:  # the server's receive failed: nothing left to watch
            return
        gone.set()
        if state["response_done"]:
            return  # an ordinary close after the answer
        watch.client_left()
        state["left_at"] = time.monotonic()
        while True:
            await anyio.sleep(WATCHDOG_S)
            ran_on = time.monotonic() - state["left_at"]
            log.warning("%s still working %.0f s after its client left", where, ran_on)

    # A bare asyncio task, not a task group: this runs for every request, and a task group
    # (cancel scopes) cost several times more.
    listener = asyncio.ensure_future(listen())
    try:
        with watching(watch):
            await app(scope, app_receive, tracked_send)
    finally:
        listener.cancel()
        if watch.gone:
            ran_on = time.monotonic() - state["left_at"]
            log.info("%s stopped %.2f s after its client left", where, ran_on)
