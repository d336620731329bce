"""Baselines the product is measured against, built from the scenario alone (never `solver/`).

- `naive_model`: the straightforward CP-SAT model (a boolean per student x session x team
  and per student x slot, one weighted objective).
- `deferred_acceptance`: placements by student-proposing deferred acceptance (`matching`).

Both read the term through `facts`, their own eligibility rules written from the contract
(../shared/spec/scenario-format.md), and every schedule they produce is re-checked with
`scheduler.domain.validator.validate_schedule` before its quality counts.
"""
