"""Pure optimization: a validated `Scenario` in, an `ipe-schedule/1` `Schedule` out.

Owns the CP-SAT model (one module per rule under `solver.rules`, per objective under
`solver.objectives`), the aggregation of interchangeable students, the solve pipeline (its
declared stages `solver.driver.STAGES`, walked by `solver.pipeline`) and the read-out.
Must import only `scheduler.domain` and ortools: no database, settings, env vars or I/O.
"""

from solver.api import SolveOptions, SolveProgress, solve

__all__ = ["SolveOptions", "SolveProgress", "solve"]
