"""What the API fuzz tests share with their conftest: the count of requests sent."""

from collections import Counter

CASES: Counter[tuple[str, str]] = Counter()
"""Requests sent per (operation, role), over every database backend of the session."""
