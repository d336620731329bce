"""Security headers on every kind of answer: API, errors, pages, redirects, feeds, static
files and the docs; HSTS only over HTTPS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_support import RecordingRunner, World, make_client
from sqlalchemy import Engine

from api.security_headers import API_CSP, DOCS_CSP, PAGE_CSP, headers_for
from scheduler.db.engine import new_session
from scheduler.services import feeds


def assert_common(headers: dict[str, str] | object) -> None:
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # type: ignore[index]
    assert "strict-transport-security" not in headers  # type: ignore[operator]


@pytest.mark.parametrize(
    ("path", "user", "status"),
    [
        ("/healthz", None, 200),
        ("/terms", "coord_a", 200),
        ("/terms", None, 401),
        ("/me/schedule", "coord_a", 403),
        ("/no/such/route", None, 404),
        ("/openapi.json", None, 200),
    ],
)
def test_api_answers(
    client: TestClient, world: World, path: str, user: str | None, status: int
) -> None:
    response = client.get(path, headers=world.header(user) if user else {})
    assert response.status_code == status
    assert_common(response.headers)
    assert response.headers["content-security-policy"] == API_CSP
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/app/login", "/app/terms", "/app/no-such-page", "/"])
def test_pages_errors_and_redirects(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (200, 303, 307, 404)
    assert_common(response.headers)
    assert response.headers["content-security-policy"] == PAGE_CSP
    # `no-referrer` would make browsers send `Origin: null` with form posts (CSRF check).
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"


def test_page_policy_allows_only_own_scripts() -> None:
    assert "script-src 'self'" in PAGE_CSP
    assert "unsafe-inline" not in PAGE_CSP and "unsafe-eval" not in PAGE_CSP


def test_static_files_stay_cacheable(client: TestClient) -> None:
    response = client.get("/app/static/style.css")
    assert response.status_code == 200
    assert_common(response.headers)
    assert "cache-control" not in response.headers


def test_docs_may_load_their_bundle(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == DOCS_CSP
    assert response.headers["referrer-policy"] == "no-referrer"


def test_feed_keeps_its_caching_and_sends_no_referrer(
    client: TestClient, engine: Engine, world: World
) -> None:
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users["student_a"])
        session.commit()
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert_common(response.headers)
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["etag"]
    assert response.headers["referrer-policy"] == "no-referrer"


def test_hsts_only_over_https(database_url: str) -> None:
    for client in make_client(database_url, RecordingRunner(), hsts_max_age_s=600):
        secure = client.get("https://testserver/healthz")
        assert secure.headers["strict-transport-security"] == "max-age=600"
        plain = client.get("http://testserver/healthz")
        assert "strict-transport-security" not in plain.headers
    for client in make_client(database_url, RecordingRunner(), hsts_max_age_s=0):
        assert "strict-transport-security" not in client.get("https://testserver/").headers


def test_route_headers_win_over_defaults() -> None:
    headers = headers_for("/feeds/x.ics", https=True, hsts_max_age_s=10)
    assert headers["Strict-Transport-Security"] == "max-age=10"
    assert headers["Cache-Control"] == "no-store"  # the feed route overrides it (test above)
