"""Local repair: re-seat only the students a change unseated, keep everyone else fixed.

Owns the incremental path of a repair (`policy.previous`): what the change invalidated
(`scope`), eligibility of single students (`eligibility`, the functions of
`solver.prepare` applied to a few students instead of the term), a small lexicographic
CP-SAT model over the students who may move (`model`), the bounds that prove its levels
for the whole term (`proof`), the schedule it writes (`result`) and the path it takes
(`run`). When it cannot prove its answer it says why and the driver solves in full.
Imports only `scheduler.domain`, ortools and `solver`; no I/O, settings or database.
"""

from solver.incremental.run import LocalOutcome, better_repair, local_repair

__all__ = ["LocalOutcome", "better_repair", "local_repair"]
