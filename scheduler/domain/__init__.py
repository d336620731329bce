"""The scenario/schedule contract (ipe-scenario/1, ipe-schedule/1) and its independent validator.

Owns: frozen pydantic models of the JSON contract, semantic checks of a scenario, and the
validator that re-checks every hard rule of a schedule from the raw scenario.
Must import only the standard library and pydantic: no sqlmodel, sqlalchemy, ortools,
fastapi, and nothing from `solver`, `scheduler.db` or `scheduler.services`.
"""
