"""Alembic migrations of `scheduler.db.tables`; run them with `ipe db upgrade`.

Must not import anything but `scheduler.db` (the tables) and alembic/sqlalchemy.
"""
