"""One value for the thresholds that choose the solver's regime by the size of a term.

The solve takes different paths on small and large terms (measured on the generated terms,
see docs/solver.md): beyond `large_students` it skips the CP-SAT starts, the polish LPs and
short level searches; beyond `lp_draft_max_students` also the LP draft; a repair models
every eligible slot only up to `all_options_up_to` options. The defaults are the measured
thresholds; tests pass their own (`solver.driver.run(..., size=...)`) to force each regime
on a tiny term. Imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizePolicy:
    large_students: int = 3000
    """Students beyond which a term counts as large (`Prepared.large`): 5,000 term, the
    IPE-only CP-SAT start found nothing better than the greedy sessions in 18 s. A repair
    of a large term answers with its valid local answer when it cannot prove it, without
    the full solve (`solver.incremental.LocalOutcome.candidate`)."""
    lp_draft_max_students: int = 10_000
    """Beyond this the LP draft is skipped: 5,000 students, about 9 s; 20,000 students,
    with it no schedule came within 900 s (the flows alone: a valid one at 457 s)."""
    all_options_up_to: int = 200_000
    """A repair models every eligible slot up to this many options in all, so its stability
    bound holds for the whole term; larger terms keep the usual candidates plus every
    previously held slot (`solver.stability.candidate_slots`)."""


DEFAULT_SIZE_POLICY = SizePolicy()
