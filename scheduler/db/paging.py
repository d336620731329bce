"""Pages of a list: `limit` rows from `offset`, applied in the query itself.

Why: a list endpoint without a cap answers with every row it has (all the student records
of a 50,000-student term, every outbox message ever written), which costs the server memory
and time per request and lets one client starve the rest. The API caps `limit`
(`IPE_PAGE_SIZE_MAX`, 422 above it) and defaults it (`IPE_PAGE_SIZE_DEFAULT`); the
repositories apply the page in SQL, so the rows beyond it are never read (nor audited as
read). In-process callers (pages, exports, the CLI) pass `ALL`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.sql.selectable import GenerativeSelect

Query = TypeVar("Query", bound=GenerativeSelect)


@dataclass(frozen=True)
class Page:
    """At most `limit` rows (None: no limit) after skipping `offset`, in the list's order."""

    limit: int | None = None
    offset: int = 0

    def apply(self, query: Query) -> Query:
        if self.offset:
            query = query.offset(self.offset)
        if self.limit is not None:
            query = query.limit(self.limit)
        return query


ALL = Page()
"""Every row: for callers that are not answering a client's list request."""
