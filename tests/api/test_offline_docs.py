"""`/docs` works offline: the page and its policy reference this server only, and every
asset it names is served from the vendored copy."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import make_client

from api.security_headers import DOCS_CSP

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_docs_reference_only_local_assets(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.text
    references = REFERENCE.findall(page)
    assert any(r.endswith("swagger-ui-bundle.js") for r in references)
    for reference in references:
        assert reference.startswith(("/", "data:")), f"{reference} is not on this server"
        assert not reference.startswith("//"), f"{reference} is on another host"
    assert "http://" not in page and "https://" not in page
    assert "<script>" not in page, "no inline script: the policy forbids it"
    for reference in references:
        if reference.startswith("/"):
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.content, reference


def test_the_docs_policy_allows_this_server_only(client: TestClient) -> None:
    response = client.get("/docs")
    policy = response.headers["content-security-policy"]
    assert policy == DOCS_CSP
    assert "http" not in policy and "*" not in policy
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )


def test_the_start_script_loads_this_servers_openapi_document(client: TestClient) -> None:
    script = client.get("/app/static/swagger/init.js").text
    assert 'url: "/openapi.json"' in script
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_the_cdn_pages_are_gone(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
