"""Why needs are unmet, and which changes would meet more of them.

Owns: per-entry reasons (`reasons`, with `session_causes` and `slot_causes`), group causes
(`groups`), contradictory rules found with assumption literals (`conflicts`) and what-if
suggestions verified by re-solving parts of the term (`whatif`, `proposals`, `focus`).
Pure like the rest of `solver`: imports only `scheduler.domain`, ortools and `solver`; no
I/O, settings or database. Reason codes are listed in `solver.explain.codes`.
"""

from solver.explain.api import annotate, conflicts_of, explain_schedule, explain_term
from solver.explain.conflicts import Conflict
from solver.explain.whatif import WhatIfProgress, WhatIfSettings, suggest

__all__ = [
    "Conflict",
    "WhatIfProgress",
    "WhatIfSettings",
    "annotate",
    "conflicts_of",
    "explain_schedule",
    "explain_term",
    "suggest",
]
