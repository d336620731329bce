"""Solve runs on a Redis queue (RQ): the `JobRunner` the API uses when `IPE_QUEUE_URL` is set.

`RedisJobRunner.submit` puts a run id on the queue; `ipe worker` processes on any machine
take jobs from it (`scheduler.worker`). The database stays the single source of truth: a
job only names its run, the worker claims the run with a compare-and-set
(`queued -> running`) and saves the result in one transaction, so a job that is delivered
twice, or a run whose job was lost, never completes twice. What RQ adds is the handing out
of work, stopping a running job (`send_stop_job_command` kills the job's work horse) and
the job's state, which the reaper asks through `alive`.

A job carries the run id and the database it belongs to, without its password
(`database_label`): a worker pointed at another database refuses the job instead of
running some other run that happens to have the same id.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.command import send_stop_job_command
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.engine import make_url

from scheduler.db.engine import make_engine, new_session
from scheduler.services.solve_runs import close_run, reap_runs
from scheduler.settings import QueueConfig

__all__ = ["QueueConfig", "RedisJobRunner", "database_label", "job_id", "run_id_of"]

JOB_FUNCTION = "scheduler.worker.perform_run"
WAITING = (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.CREATED)
# A started job's run is still `queued` until its work horse claims it: so briefly, the
# reaper must not judge it by the run's (possibly old) creation time.
CLAIM_WINDOW_S = 10.0
FAILED_JOB_TTL_S = 7 * 24 * 3600
FINISHED_JOB_TTL_S = 24 * 3600

log = logging.getLogger(__name__)


def job_id(queue_name: str, run_id: int) -> str:
    """The job id of a run: one job per run and queue, so a second submit is refused."""
    return f"{queue_name}-run-{run_id}"


def run_id_of(job: Job) -> int | None:
    """The run a job is about (None for a job that is not one of ours)."""
    value = job.kwargs.get("run_id") if isinstance(job.kwargs, dict) else None
    return value if isinstance(value, int) else None


def database_label(url: str) -> str:
    """The database URL without its password: names the database in a job, safely."""
    return make_url(url).render_as_string(hide_password=True)


def connect(url: str) -> Redis:
    """A Redis client for `url`; it connects on first use, not here."""
    return Redis.from_url(url, health_check_interval=30)


class RedisJobRunner:
    """Runs solve jobs on `ipe worker` processes through a Redis queue.

    `cancel` asks the job's worker to kill its work horse (CP-SAT cannot always be
    interrupted, so stopping is by signal, as in the embedded runner); a job still waiting
    is taken off the queue. The worker then closes the run as `cancelled`; the reaper does
    so too if the worker is gone.
    """

    def __init__(self, config: QueueConfig, database_url: str, *, stale_after_s: float = 30.0):
        self._config = config
        self._database_url = database_url
        self._stale_after_s = stale_after_s
        self._redis = connect(config.url)
        self._queue = Queue(config.name, connection=self._redis)

    @property
    def queue(self) -> Queue:
        return self._queue

    def ready(self) -> None:
        """Raise unless Redis answers a ping (for the readiness check, `/readyz`)."""
        self._redis.ping()

    def submit(self, run_id: int) -> None:
        """Enqueue the run; if Redis cannot take it, fail the run now rather than never."""
        try:
            self._queue.enqueue_call(
                func=JOB_FUNCTION,
                kwargs={"run_id": run_id, "database": database_label(self._database_url)},
                job_id=job_id(self._config.name, run_id),
                timeout=self._config.job_timeout_s,
                result_ttl=FINISHED_JOB_TTL_S,
                failure_ttl=FAILED_JOB_TTL_S,
                description=f"solve run {run_id}",
                unique=True,
            )
        except DuplicateJobError:
            return
        except RedisError as error:
            log.error("could not queue solve run %s: %s", run_id, error)
            self._close(run_id, f"the job queue could not be reached: {error}")

    def alive(self, run_id: int) -> bool | None:
        """True while the job waits (or was just picked up); False once it was taken off
        the queue unrun. Otherwise None: the run's own pid and heartbeat tell.

        A finished or failed job says little about the run: another delivery of the same
        run may be solving it. Its worker closes the run of a job that fails.
        """
        try:
            job = Job.fetch(job_id(self._config.name, run_id), connection=self._redis)
            status = job.get_status(refresh=False)
        except (NoSuchJobError, RedisError):
            return None
        if status in WAITING:
            return True
        if status == JobStatus.CANCELED:
            return False
        if status == JobStatus.STARTED and _recent(job.started_at, CLAIM_WINDOW_S):
            return True
        return None

    def cancel(self, run_id: int) -> None:
        """Stop the run's job: kill its work horse if it runs, drop it if it waits."""
        try:
            job = Job.fetch(job_id(self._config.name, run_id), connection=self._redis)
            status = job.get_status()
            if status == JobStatus.STARTED:
                send_stop_job_command(self._redis, job.id)
            elif status in WAITING:
                job.cancel()
        except (NoSuchJobError, InvalidJobOperation):
            pass
        except RedisError as error:
            log.warning("could not reach the queue to stop run %s: %s", run_id, error)
        self._reap(run_id)

    def shutdown(self) -> None:
        """Workers are not ours to stop; just let go of the Redis connections."""
        self._redis.close()

    def _reap(self, run_id: int) -> None:
        engine = make_engine(self._database_url)
        try:
            with new_session(engine) as session:
                reap_runs(session, runner=self, stale_after_s=self._stale_after_s, only=run_id)
                session.commit()
        finally:
            engine.dispose()

    def _close(self, run_id: int, message: str) -> None:
        engine = make_engine(self._database_url)
        try:
            close_run(engine, run_id, message)
        finally:
            engine.dispose()


def _recent(moment: datetime | None, seconds: float) -> bool:
    if moment is None:
        return False
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC) - aware < timedelta(seconds=seconds)
