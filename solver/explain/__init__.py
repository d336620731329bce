"""Why needs are unmet, and which changes would meet more of them.

Owns: per-entry reasons (`reasons`, with `session_causes` and `slot_causes`), group causes
(`groups`), contradictory rules found with assumption literals (`conflicts`) and what-if
suggestions verified by re-solving (`whatif`). Pure like the rest of `solver`: imports only
`scheduler.domain`, ortools and `solver`; no I/O, settings or database.
"""

from solver.explain.annotate import annotate, conflicts_of, explain_schedule

__all__ = ["annotate", "conflicts_of", "explain_schedule"]
