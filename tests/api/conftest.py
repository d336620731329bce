"""Fixtures shared with the other service test folder (see tests/service_support.py)."""

from service_support import database_url, engine, session  # noqa: F401  (pytest fixtures)
