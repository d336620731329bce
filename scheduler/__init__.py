"""IPE scheduler application core.

Owns the domain contract (`scheduler.domain`), persistence (`scheduler.db`), use cases
(`scheduler.services`) and the `ipe` command line (`scheduler.cli`).
Must not import `api`, fastapi or starlette.
"""
