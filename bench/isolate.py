"""Run one measurement in its own process: its peak memory is its own, and a time limit, a
memory cap or a crash ends that measurement only, with where it had got to recorded.

The child reports stages ("building the model", ...) as it goes; the parent polls the
child's resident memory (/proc) and kills it past `timeout_s` or `rss_cap_mb`.
"""

from __future__ import annotations

import importlib
import multiprocessing
import queue as queues
import resource
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

POLL_S = 0.25


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _entry(target: str, kwargs: dict[str, Any], channel: Any) -> None:
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)

    def report(stage: str, **detail: Any) -> None:
        channel.put(("stage", {"stage": stage, **detail}))

    try:
        value = function(report=report, **kwargs)
    except BaseException as error:  # noqa: BLE001 - reported to the parent, not hidden
        channel.put(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    channel.put(("result", {**value, "peak_rss_mb": round(peak, 1)}))


def run_isolated(
    target: str,
    kwargs: dict[str, Any],
    *,
    timeout_s: float,
    rss_cap_mb: float | None = None,
    on_stage: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Call `module:function(report=..., **kwargs)` in a spawned child and return its dict,
    or `{"ok": False, "stopped": why, "stage": last stage, ...}`."""
    context = multiprocessing.get_context("spawn")
    channel = context.Queue()
    process = context.Process(target=_entry, args=(target, kwargs, channel), daemon=True)
    started = time.monotonic()
    process.start()
    stage: dict[str, Any] = {"stage": "starting"}
    seen: dict[str, dict[str, Any]] = {}
    polled_peak = 0.0
    outcome: dict[str, Any] | None = None
    while outcome is None:
        try:
            kind, payload = channel.get(timeout=POLL_S)
        except queues.Empty:
            kind, payload = None, None
        if kind == "stage":
            previous = stage["stage"]
            stage = {**payload, "at_s": round(time.monotonic() - started, 1)}
            seen[stage["stage"]] = stage
            if on_stage is not None and stage["stage"] != previous:
                on_stage(stage)
        elif kind == "result":
            outcome = {"ok": True, **payload}
        elif kind == "error":
            outcome = {"ok": False, "stopped": "error", "error": payload}
        polled_peak = max(polled_peak, rss_mb(process.pid or 0))
        elapsed = time.monotonic() - started
        if outcome is not None:
            break
        if not process.is_alive() and channel.empty():
            outcome = {"ok": False, "stopped": f"crashed (exit code {process.exitcode})"}
        elif elapsed > timeout_s:
            outcome = {"ok": False, "stopped": f"time limit of the measurement ({timeout_s:.0f} s)"}
        elif rss_cap_mb is not None and polled_peak > rss_cap_mb:
            outcome = {"ok": False, "stopped": f"memory cap ({rss_cap_mb:.0f} MB)"}
    if process.is_alive():
        process.join(timeout=10 if outcome.get("ok") else 0.1)
    if process.is_alive():
        process.kill()
        process.join(timeout=10)
    outcome.setdefault("peak_rss_mb", round(polled_peak, 1))
    outcome["wall_s"] = round(time.monotonic() - started, 1)
    if not outcome["ok"]:
        outcome["last_stage"] = stage
        outcome["stages_seen"] = seen
    return outcome
