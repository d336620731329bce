"""Weekly on-site hours of a term's periods, parsed once per process and kept.

The hours live only in the term's scenario document, which is megabytes at 5,000
students: parsing it on every schedule read cost most of a request. The document cannot
change once the term has a schedule version (imports are refused then), and every
placement anyone is shown comes from a version, so the parsed hours never go stale. They
are kept in a small LRU keyed by database, term id and the term's creation time (SQLite
may give a deleted term's id to a new one; the creation time tells them apart).

Owns only this cache; reads the document through the caller's session.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from scheduler.db.tables import TermRow
from scheduler.domain.scenario import WeeklyWindow

KEPT_TERMS = 32
"""Terms whose hours a process keeps (a few KB each)."""

Hours = Mapping[str, tuple[WeeklyWindow, ...]]
"""Weekly windows by period ref; shared between requests, so read only."""

_kept: OrderedDict[tuple[str, int, datetime], Hours] = OrderedDict()
_lock = threading.Lock()


def weekly_hours(session: Session, term: TermRow) -> Hours:
    """The weekly windows of each period of a term that has a schedule version.

    Loads `term.scenario_json` (deferred by the scoped reads) only the first time.
    """
    assert term.id is not None, "a stored term has an id"
    key = (session.get_bind().engine.url.render_as_string(), term.id, term.created_at)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    hours = parse_hours(term.scenario_json)
    with _lock:
        _kept[key] = hours
        while len(_kept) > KEPT_TERMS:
            _kept.popitem(last=False)
    return hours


def parse_hours(scenario_json: str) -> Hours:
    """Each period's weekly windows, read from a scenario document."""
    document = json.loads(scenario_json)
    return {
        period["id"]: tuple(WeeklyWindow.model_validate(w) for w in period.get("weekly", []))
        for period in document.get("periods", [])
    }
