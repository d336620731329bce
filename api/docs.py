"""The interactive API documentation at `/docs`, served entirely from this server.

Swagger UI is vendored under `api/web/static/swagger/` (see its README: version, licence,
how to update), like the pages' other static files, and started by a small script file
there, so `/docs` works offline and its Content-Security-Policy allows this server only
(`api.security_headers.DOCS_CSP`). FastAPI's own `/docs` and `/redoc` load their bundles
from a CDN and are switched off in `api.app.create_app`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

ASSETS = "/app/static/swagger"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>IPE scheduler API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <main id="swagger-ui"></main>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve `/docs` from the vendored Swagger UI."""

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)
