"""Persistence: SQLModel tables, the engine factory, Alembic migrations and scoped reads.

Owns every table (`scheduler.db.tables`), how to connect (`scheduler.db.engine`, given a
URL: nothing connects at import time), the migrations (`scheduler.db.migrations`) and the
repository helpers that decide what an acting user may read (`scheduler.db.repositories`).
May import `scheduler.domain` only; never `solver`, `scheduler.services`, `api`, fastapi or
starlette, and never reads settings or environment variables itself.
"""
