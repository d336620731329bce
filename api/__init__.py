"""The web service: FastAPI app factory, routers per audience, dependencies, error handler,
and the pages and calendar feeds people use (`api.web`).

Owns HTTP only: it parses requests, picks the acting user and renders answers and errors.
Every decision (who may see what, what a change means) is made in `scheduler.services`
and `scheduler.db.repositories`. Must never import `solver` or ortools: solving is reached
only through `scheduler.services`, and runs in worker processes, never in a request.
"""

from api.app import create_app

__all__ = ["create_app"]
