"""`/docs` renders in a browser that may reach nothing but this server."""

from __future__ import annotations

from typing import Any

from conftest import LiveServer, screenshot


def test_docs_render_with_every_other_host_blocked(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "IPE scheduler" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=30_000)
    screenshot(page, "docs-offline")
    assert elsewhere == [], elsewhere
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
