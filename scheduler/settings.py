"""Service settings: where the database is and the limits of tokens and solve runs.

Read from `IPE_*` environment variables only at the edges (the app factory, the CLI),
then passed down as values: library code never reads the environment itself.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///ipe.sqlite"


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


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of a SQLite file (relative paths stay relative to the cwd)."""
    return f"sqlite:///{path}"
