"""Service settings: where the database and the job queue are, and the limits of tokens,
solve runs and connection pools.

Read from `IPE_*` environment variables only at the edges (the app factory, the CLI),
then passed down as values: library code never reads the environment itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.db.engine import PoolOptions

DEFAULT_DATABASE_URL = "sqlite:///ipe.sqlite"
DEFAULT_QUEUE_NAME = "ipe-runs"
# Beyond the longest run a coordinator may ask for (preparing a large term and saving its
# result take time too): RQ stops a job that runs longer than that.
JOB_TIMEOUT_MARGIN_S = 600


@dataclass(frozen=True)
class QueueConfig:
    """Where the Redis job queue is, its name, and how long a job may take."""

    url: str
    name: str = DEFAULT_QUEUE_NAME
    job_timeout_s: int = 1200


class Settings(BaseSettings):
    """Everything the service can be told from outside; every field has a safe default."""

    model_config = SettingsConfigDict(env_prefix="IPE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    token_ttl_minutes: int = Field(default=12 * 60, gt=0)
    partner_token_ttl_days: int = Field(default=365, gt=0)
    run_time_limit_default_s: float = Field(default=60.0, gt=0)
    run_time_limit_max_s: float = Field(default=600.0, gt=0)
    run_workers: int = Field(default=2, ge=1)
    run_stale_after_s: float = Field(default=30.0, gt=0)
    run_cancel_grace_s: float = Field(default=3.0, ge=0)
    # Unset: runs are processes of the API itself. Set (redis://host:6379/0): runs go on a
    # Redis queue that `ipe worker` processes serve (scheduler/services/queue.py).
    queue_url: str | None = None
    queue_name: str = Field(default=DEFAULT_QUEUE_NAME, pattern=r"^[A-Za-z0-9_-]+$")
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_s: float = Field(default=30.0, gt=0)
    db_pool_recycle_s: int = Field(default=1800, gt=0)
    # Unset host: outbox messages are shown in the app only (scheduler/services/outbox.py).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0)
    smtp_sender: str = "ipe-scheduler@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    # Limits (issue #9): each is enforced by one small module named beside it.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # api/body_limit.py
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # imports, same module
    import_max_students: int = Field(default=50_000, ge=1)  # scheduler/services/import_limits.py
    import_max_sites: int = Field(default=5_000, ge=1)
    import_max_slots: int = Field(default=100_000, ge=1)
    import_max_sessions: int = Field(default=20_000, ge=1)
    import_max_items: int = Field(default=10_000, ge=1)  # any other list of the scenario
    import_max_nested: int = Field(default=1_000, ge=1)  # a list inside one item
    import_max_columns: int = Field(default=200, ge=1)  # per CSV file
    import_max_cell_chars: int = Field(default=65_536, ge=1)  # per CSV cell
    page_size_default: int = Field(default=100, ge=1)  # scheduler/db/paging.py
    page_size_max: int = Field(default=500, ge=1)
    # Stored views' bytes kept per process, by ETag (scheduler/services/view_cache.py); 0: off.
    view_cache_mb: int = Field(default=64, ge=0)
    run_memory_limit_mb: int = Field(default=8192, ge=0)  # scheduler/services/run_caps.py
    run_deadline_margin_s: float = Field(default=600.0, gt=0)
    run_max_active_per_school: int = Field(default=2, ge=1)
    run_max_active: int = Field(default=4, ge=1)
    login_max_failures_per_account: int = Field(default=5, ge=1)  # services/login_throttle.py
    login_max_failures_per_address: int = Field(default=50, ge=1)
    login_window_s: int = Field(default=15 * 60, gt=0)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto `ipe serve` believes (uvicorn's
    # --forwarded-allow-ips: comma-separated addresses, or "*"). Empty (the default): none,
    # so no client can choose the address the login limit counts (scheduler/cli_demo.py).
    trusted_proxies: str = ""
    # Strict-Transport-Security over HTTPS only (api/security_headers.py); 0: never sent.
    hsts_max_age_s: int = Field(default=365 * 24 * 3600, ge=0)

    def queue(self, *, url: str | None = None, name: str | None = None) -> QueueConfig | None:
        """The job queue (flags may override URL and name); None: runs stay in-process."""
        if not (url or self.queue_url):
            return None
        return QueueConfig(
            url=url or self.queue_url or "",
            name=name or self.queue_name,
            job_timeout_s=int(self.run_time_limit_max_s) + JOB_TIMEOUT_MARGIN_S,
        )

    @property
    def pool(self) -> PoolOptions:
        """The connection-pool options of this process's engine."""
        return PoolOptions(
            size=self.db_pool_size,
            max_overflow=self.db_max_overflow,
            timeout_s=self.db_pool_timeout_s,
            recycle_s=self.db_pool_recycle_s,
        )


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of a SQLite file (relative paths stay relative to the cwd)."""
    return f"sqlite:///{path}"
