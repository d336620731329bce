"""The job runner: one small interface for running solve jobs outside the request.

`JobRunner` is what the web app and the CLI talk to; `ProcessJobRunner` serves it on one
machine by starting a fresh process per run ('spawn', so no state leaks in from the
parent). A real queue (a worker pool reading run ids from a broker) can serve the same
interface later: the job body is `solve_runs.run_job(database_url, run_id)`, and all state
lives in the database, not in the runner.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Protocol

from scheduler.db.engine import make_engine, new_session
from scheduler.services.solve_runs import reap_runs, run_job


class JobRunner(Protocol):
    """Runs solve jobs somewhere other than the request that asked for them."""

    def submit(self, run_id: int) -> None:
        """Start working on a queued run (called once its row is committed)."""

    def cancel(self, run_id: int) -> None:
        """Stop a run's worker; the run row is already marked `cancelling`."""

    def alive(self, run_id: int) -> bool | None:
        """Whether the run's worker still lives; None if this runner does not know it."""

    def shutdown(self) -> None:
        """Stop every worker this runner started (the app is going away)."""


class ProcessJobRunner:
    """One spawned process per run; cancel = terminate, then kill after a grace period.

    CP-SAT cannot always be interrupted from Python, so stopping is by signal: SIGTERM,
    and SIGKILL if the process is still there after `grace_s`. The run is then closed by
    the reaper (`cancelled`), exactly as if the worker had died on its own. `job` is the
    body each process runs (a module-level function, so 'spawn' can pickle it).
    """

    def __init__(
        self,
        database_url: str,
        *,
        grace_s: float = 3.0,
        stale_after_s: float = 30.0,
        job: Callable[[str, int], None] = run_job,
    ):
        self._url = database_url
        self._job = job
        self._grace_s = grace_s
        self._stale_after_s = stale_after_s
        self._context = multiprocessing.get_context("spawn")
        self._processes: dict[int, BaseProcess] = {}
        self._lock = threading.Lock()

    def submit(self, run_id: int) -> None:
        process = self._context.Process(
            target=self._job, args=(self._url, run_id), name=f"ipe-solve-{run_id}", daemon=True
        )
        process.start()
        with self._lock:
            self._processes[run_id] = process

    def alive(self, run_id: int) -> bool | None:
        with self._lock:
            process = self._processes.get(run_id)
        if process is None:
            return None
        return process.is_alive()

    def cancel(self, run_id: int) -> None:
        with self._lock:
            process = self._processes.get(run_id)
        if process is not None:
            threading.Thread(
                target=self._stop, args=(run_id, process), name=f"stop-{run_id}", daemon=True
            ).start()

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        """Wait for a run's worker to exit; True if it has (used by the CLI and tests)."""
        with self._lock:
            process = self._processes.get(run_id)
        if process is None:
            return True
        process.join(timeout)
        return not process.is_alive()

    def shutdown(self) -> None:
        with self._lock:
            running = [(run_id, p) for run_id, p in self._processes.items() if p.is_alive()]
        for run_id, process in running:
            self._stop(run_id, process)

    def _stop(self, run_id: int, process: BaseProcess) -> None:
        """Terminate, kill if need be, then let the reaper close the run."""
        process.terminate()
        process.join(self._grace_s)
        if process.is_alive():
            process.kill()
            process.join()
        self._reap(run_id)

    def _reap(self, run_id: int) -> None:
        engine = make_engine(self._url)
        try:
            with new_session(engine) as session:
                reap_runs(session, runner=self, stale_after_s=self._stale_after_s, only=run_id)
                session.commit()
        finally:
            engine.dispose()
