"""`ipe worker`: an RQ worker process that runs solve (and repair) jobs from the Redis queue.

Each worker takes one job at a time and runs it in a forked "work horse", so that stopping
a job is killing its horse, and a crash (the solver's memory, a segfault) ends the horse,
not the worker. Start as many workers as the machines have cores to spare, on any number
of machines; they share the queue named by `IPE_QUEUE_NAME`.

What this module adds to RQ's `Worker`:
- the horse dies with its worker (Linux `PR_SET_PDEATHSIG`), so a worker killed with
  SIGKILL leaves no solve running on, unseen, and its run is closed as `failed`;
- a run whose job fails or is stopped is closed in the database by the worker at once,
  rather than when the reaper next looks;
- a cancel that RQ's stop message missed still stops the horse: it watches its run's row;
- the maintenance pass that RQ runs every minute also reaps runs whose worker is gone.

The job body is `solve_runs.run_job`, as in the embedded runner. The worker's database
comes from its own settings, not from the job: the horse learns it from `_DATABASE`, set
by the worker when it forks the horse.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any

from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import Engine
from sqlmodel import select

from scheduler.db.engine import PoolOptions, make_engine, new_session
from scheduler.db.tables import SolveRunRow
from scheduler.services.queue import QueueConfig, RedisJobRunner, database_label, run_id_of
from scheduler.services.solve_runs import close_run, reap_runs, run_job

PR_SET_PDEATHSIG = 1
CANCEL_POLL_S = 1.0
MAINTENANCE_INTERVAL_S = 60

_DATABASE: ContextVar[str | None] = ContextVar("ipe_worker_database", default=None)
log = logging.getLogger(__name__)


class WrongDatabase(RuntimeError):
    """A job queued for another database than this worker's: refused, never run."""


def perform_run(*, run_id: int, database: str) -> None:
    """The RQ job: run the solve job of `run_id` in this worker's database."""
    url = _DATABASE.get()
    if url is None:
        raise RuntimeError("perform_run runs only inside an `ipe worker` work horse")
    if database_label(url) != database:
        raise WrongDatabase(f"job for {database}, but this worker serves {database_label(url)}")
    run_job(url, run_id)


class SolveWorker(Worker):
    """An RQ worker bound to one database, closing the runs of jobs that end badly."""

    def __init__(
        self,
        queues: Any,
        *,
        database_url: str,
        queue_config: QueueConfig,
        stale_after_s: float = 30.0,
        pool: PoolOptions | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL_S)
        super().__init__(queues, **kwargs)
        self.database_url = database_url
        self._label = database_label(database_url)
        self._stale_after_s = stale_after_s
        self._engine = make_engine(database_url, pool=pool or PoolOptions(size=2))
        self._runner = RedisJobRunner(queue_config, database_url, stale_after_s=stale_after_s)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        """In the fresh horse: die with the worker, bind the database, watch for a cancel."""
        _die_with_parent(self.pid)
        self._engine.dispose(close=False)  # the parent's pooled connections are not ours
        _DATABASE.set(self.database_url)
        run_id = run_id_of(job)
        if run_id is not None and self._ours(job):
            CancelWatch(self._engine, run_id).start()
        super().main_work_horse(job, queue)

    def handle_job_failure(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        """After RQ records the failure (or the stop), close the run if it is still open."""
        super().handle_job_failure(job, queue, *args, **kwargs)
        run_id = run_id_of(job)
        if run_id is None or not self._ours(job):
            return
        reason = str(kwargs.get("exc_string") or "the job failed").strip().splitlines()
        try:
            close_run(self._engine, run_id, f"worker {self.name}: {reason[-1] if reason else ''}")
        except Exception:  # noqa: BLE001 - the reaper closes it later
            log.exception("could not close run %s after its job failed", run_id)

    def run_maintenance_tasks(self) -> None:
        """RQ's registry cleaning, then closing runs whose worker is gone (any machine)."""
        super().run_maintenance_tasks()
        try:
            with new_session(self._engine) as session:
                reap_runs(session, runner=self._runner, stale_after_s=self._stale_after_s)
                session.commit()
        except Exception:  # noqa: BLE001 - maintenance must not stop the worker
            log.exception("reaping dead runs failed")

    def teardown(self) -> None:
        super().teardown()
        self._engine.dispose()

    def _ours(self, job: Job) -> bool:
        return isinstance(job.kwargs, dict) and job.kwargs.get("database") == self._label


class CancelWatch:
    """Kills its own horse once the run is marked `cancelling`.

    RQ's stop message travels by pub/sub, which is fire-and-forget: if the worker misses it
    (reconnecting, say), the run's row still says `cancelling`, and this thread sees it
    within `CANCEL_POLL_S`. The worker then closes the run as `cancelled`.
    """

    def __init__(self, engine: Engine, run_id: int) -> None:
        self._engine = engine
        self._run_id = run_id
        self._thread = threading.Thread(target=self._loop, name=f"cancel-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        query = select(SolveRunRow.status).where(SolveRunRow.id == self._run_id)
        while True:
            time.sleep(CANCEL_POLL_S)
            try:
                with new_session(self._engine) as session:
                    status = session.exec(query).first()
            except Exception:  # noqa: BLE001 - a missed look is retried next second
                continue
            if status == "cancelling":
                os.kill(os.getpid(), signal.SIGKILL)


def _die_with_parent(parent_pid: int | None) -> None:
    """Ask Linux to SIGKILL this process when its parent (the worker) dies."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the worker died before the request took effect


def worker_name(queue_name: str) -> str:
    """Unique among live workers: queue, host and pid."""
    return f"{queue_name}-{socket.gethostname()}-{os.getpid()}"


def run_worker(
    *,
    queue: QueueConfig,
    database_url: str,
    stale_after_s: float = 30.0,
    pool: PoolOptions | None = None,
    burst: bool = False,
    name: str | None = None,
) -> bool:
    """Serve the queue until stopped (or, with `burst`, until it is empty)."""
    runner = RedisJobRunner(queue, database_url, stale_after_s=stale_after_s)
    worker = SolveWorker(
        [runner.queue],
        name=name or worker_name(queue.name),
        connection=runner.queue.connection,
        database_url=database_url,
        queue_config=queue,
        stale_after_s=stale_after_s,
        pool=pool,
    )
    return worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
