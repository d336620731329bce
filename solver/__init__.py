"""Pure optimization: a validated `Scenario` in, an `ipe-schedule/1` `Schedule` out.

Owns the CP-SAT model (one module per rule and objective under `solver.rules`), the
aggregation of interchangeable students, the lexicographic driver and the read-out.
Must import only `scheduler.domain` and ortools: no database, settings, env vars or I/O.
"""

from solver.api import SolveOptions, SolveProgress, solve

__all__ = ["SolveOptions", "SolveProgress", "solve"]
