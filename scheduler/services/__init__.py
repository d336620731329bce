"""Use cases of the scheduler: load a term, solve it, check a schedule, report on it.

Owns the mapping between stored rows and the domain problem (`scheduler.domain.Scenario`),
so that the CLI, the web app and jobs all go through the same few functions.
Never speaks HTTP: must not import `api`, fastapi or starlette. The solver is reached only
from here, never from the CLI or the web layer directly.
"""
