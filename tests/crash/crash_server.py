"""The real server under test: uvicorn serving `api.create_app` on a loopback port, with an
optional kill point armed in the server and another in its solve workers (`crash_hooks`).

    python crash_server.py DATABASE_URL PORT     # one server; kill points from
                                                 # IPE_CRASH_AT / IPE_CRASH_WORKER_AT
    python crash_server.py --zygote              # a server factory, driven on stdin

The zygote imports the app once and forks a fresh server per request, so the harness can
start (and kill -9) dozens of servers without paying the imports each time. It reads one
JSON command per line and answers one JSON line:
`{"do": "start", "url", "port", "crash_at", "worker_crash_at", "log"}` -> `{"pid"}`;
`{"do": "wait", "pid", "timeout"}` and `{"do": "kill", "pid"}` -> `{"exit"}`, the exit
code (-9 for SIGKILL) or null if the server still runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

import crash_hooks

# The app is imported inside functions: a solve worker ('spawn') imports this file as its
# main module and needs none of it.

SERVER_SPEC = "IPE_CRASH_AT"
WORKER_SPEC = "IPE_CRASH_WORKER_AT"


def crashing_run_job(database_url: str, run_id: int) -> None:
    """The solve worker's entry point, with the worker's kill point armed first."""
    from scheduler.services.solve_runs import run_job

    crash_hooks.install(os.environ.get(WORKER_SPEC))
    run_job(database_url, run_id)


def serve(url: str, port: int, crash_at: str | None) -> None:
    import uvicorn

    from api import create_app
    from scheduler.services.jobs import ProcessJobRunner
    from scheduler.settings import Settings

    crash_hooks.install(crash_at)
    settings = Settings(database_url=url)
    runner = ProcessJobRunner(
        url, grace_s=1.0, stale_after_s=settings.run_stale_after_s, job=crashing_run_job
    )
    app = create_app(settings, runner=runner)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---- the zygote ------------------------------------------------------------------------


def zygote() -> None:
    import uvicorn  # noqa: F401  (imported once here, inherited by every fork)

    import api  # noqa: F401
    import scheduler.services.jobs  # noqa: F401

    for line in sys.stdin:
        reply = handle(json.loads(line))
        print(json.dumps(reply), flush=True)


def handle(command: dict[str, Any]) -> dict[str, Any]:
    if command["do"] == "start":
        return {"pid": start(command)}
    pid = command["pid"]
    if command["do"] == "kill":
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return {"exit": wait(pid, None)}
    return {"exit": wait(pid, command["timeout"])}


def start(command: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: a server of its own
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(command["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.environ[WORKER_SPEC] = command["worker_crash_at"] or ""
        serve(command["url"], command["port"], command["crash_at"])
    finally:
        os._exit(0)


def wait(pid: int, timeout: float | None) -> int | None:
    """The child's exit code once it has ended (within `timeout`), else None."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is not None and time.monotonic() > deadline:
            return None
        time.sleep(0.02)


def main() -> None:
    if sys.argv[1:] == ["--zygote"]:
        zygote()
        return
    url, port = sys.argv[1], int(sys.argv[2])
    serve(url, port, os.environ.get(SERVER_SPEC))


if __name__ == "__main__":
    main()
