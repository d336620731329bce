"""Property-based tests of the whole JSON API, generated from its own OpenAPI document.

For every operation and every caller (coordinator, student, partner, anonymous),
schemathesis generates at least `EXAMPLES` requests (10 in `make test`, about a minute;
100 in `make test-long`, about eleven: tests/long_run.py), valid and invalid ones, with a fixed
seed (hypothesis `derandomize`), and each answer must:
- never be a server error (5xx, or an exception escaping the app);
- conform to the document: a documented status, the documented content type, headers and
  a body that validates against the documented schema (errors: the one error shape);
- reject invalid data (4xx);
- refuse a caller without the endpoint's role: 401 anonymous, 403 another role, as
  tests/api/test_authorization_matrix.py designs it. Only a request that never reaches the
  endpoint is refused otherwise: no route matches its path (404/405), or its body cannot be
  decoded (400, or 422 about `body`), which FastAPI checks before any dependency runs.

Half of the generated requests name the caller's own resources (their term, version, run,
student, slot, token) instead of random ids, so the endpoints' real answers are checked
too, not just 404s; destructive ones get resources made for the test. Every request also
carries a few unknown query parameters, which the API must ignore: that keeps requests to
operations without parameters distinct. Schema-valid requests may still be refused (a
scenario's references must resolve, a decline needs a reason), so schemathesis'
`positive_data_acceptance` check is not run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from fuzz_support import CASES
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from long_run import examples
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from service_support import (
    RecordingRunner,
    World,
    bearer,
    build_world,
    make_client,
    scenario_of,
    tiny_document,
)
from sqlalchemy import Engine
from sqlmodel import col, select

from api import create_app
from scheduler.db.engine import new_session
from scheduler.db.tables import SiteRow, SlotRow
from scheduler.services import auth, terms
from scheduler.settings import Settings

EXAMPLES = examples(10, 100)
CALLERS = {
    "coordinator": "coord_a",
    "student": "student_a",
    "partner": "partner_a",
    "anonymous": None,
}
PUBLIC = {"POST /auth/token", "GET /healthz", "GET /readyz", "POST /auth/invitations/{token}"}
SIGNED_IN = "signed in"
"""The audience of an operation any signed-in user may call (the `auth` tag)."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FRESH = {"DELETE /terms/{term_id}", "POST /terms/{term_id}/csv"}
"""Operations that destroy or replace the term they name: they get a term of their own."""


def audiences() -> dict[str, str]:
    """Every operation of the OpenAPI document and who it is for, from its tag."""
    app = create_app(Settings(database_url="sqlite://"), runner=RecordingRunner())
    found = {}
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            label = f"{method.upper()} {path}"
            (tag,) = operation["tags"]
            audience = {"auth": SIGNED_IN, "health": "public"}.get(tag, tag)
            found[label] = "public" if label in PUBLIC else audience
    assert set(found.values()) <= {*CALLERS, SIGNED_IN, "public"}, found
    return found


AUDIENCES = audiences()


@dataclass
class Target:
    """The app under test, the world in its database, and what was sent to it."""

    client: TestClient
    engine: Engine
    world: World
    schema: Any
    asgi: ASGIClient
    own: dict[str, Any] = field(default_factory=dict)

    def token(self, user: str) -> str:
        """A fresh login token (for sign-out, which revokes the one it is sent with)."""
        with new_session(self.engine) as session:
            issued = auth.issue_token(
                session, user=self.world.users[user], kind=auth.LOGIN, ttl=timedelta(hours=1)
            )
            session.commit()
            return issued.token

    def fresh_term(self) -> int:
        with new_session(self.engine) as session:
            scenario = scenario_of(tiny_document(id=f"fuzz-{time.monotonic_ns()}"))
            term = terms.create_term(session, actor=self.world.users["coord_a"], scenario=scenario)
            session.commit()
            return term.id or 0

    def partner_token_id(self) -> int:
        with new_session(self.engine) as session:
            issued = auth.create_partner_token(
                session, actor=self.world.users["partner_a"], name="fuzz", ttl=timedelta(days=1)
            )
            session.commit()
            return issued.row.id or 0


@pytest.fixture(scope="module")
def target(database_url: str, engine: Engine) -> Iterator[Target]:
    world = build_world(engine)
    for client in make_client(database_url, RecordingRunner()):
        document = client.get("/openapi.json").json()
        schema = schemathesis.openapi.from_dict(document)
        # Not entered: the TestClient above runs the app's lifespan, this one only sends.
        asgi = ASGIClient(client.app)
        found = Target(client=client, engine=engine, world=world, schema=schema, asgi=asgi)
        found.own = own_ids(found)
        yield found


def own_ids(target: Target) -> dict[str, Any]:
    """Path parameters naming resources of school A that its users may see."""
    world = target.world
    with new_session(target.engine) as session:
        slot = session.exec(
            select(SlotRow.id)
            .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
            .where(col(SlotRow.term_id) == world.terms["a"].id, col(SiteRow.ref) == "SITE-A")
        ).first()
    return {
        "term_id": world.terms["a"].id,
        "version_id": world.versions["a"],
        "run_id": world.runs["a"],
        "student_id": "T01",
        "slot_id": slot,
        "token_id": target.partner_token_id(),
    }


PAIRS = [
    pytest.param(label, role, id=f"{label} | {role}") for label in AUDIENCES for role in CALLERS
]


@pytest.mark.slow
@pytest.mark.parametrize(("label", "role"), PAIRS)
def test_operation_fuzzed_as_role(target: Target, label: str, role: str) -> None:
    operation = target.schema.find_operation_by_label(label)
    assert operation is not None, label
    own = dict(target.own)
    if label in FRESH:
        own["term_id"] = target.fresh_term()
    if label == "DELETE /partner/tokens/{token_id}":
        own["token_id"] = target.partner_token_id()
    sent: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests(operation))
    def fuzz(request: tuple[Case, bool, dict[str, str]]) -> None:
        case, use_own, extra = request
        if use_own:
            name_own_resources(case, own)
        headers = caller_headers(target, label, role)
        response = case.call(
            session=target.asgi, base_url="http://testserver", headers=headers, params=extra
        )
        sent.append(f"{response.request.method} {response.request.url} {case.body!r}")
        case.validate_response(response, checks=CHECKS)
        assert_refused_unless_allowed(label, role, response.status_code, json_of(response))

    fuzz()
    CASES[(label, role)] += len(sent)
    assert len(sent) >= EXAMPLES, f"only {len(sent)} cases of {label} as {role}"


def requests(operation: APIOperation) -> st.SearchStrategy[tuple[Case, bool, dict[str, str]]]:
    """Valid or invalid requests; whether to name own resources; unknown query parameters."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    declared = {parameter.name for parameter in operation.query}
    names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
        lambda name: name not in declared
    )
    extra = st.dictionaries(names, st.text(max_size=12), max_size=3)
    return st.tuples(cases, st.booleans(), extra)


def name_own_resources(case: Case, own: dict[str, Any]) -> None:
    if case.path_parameters:
        for name in case.path_parameters:
            if name in own:
                case.path_parameters[name] = own[name]


def caller_headers(target: Target, label: str, role: str) -> dict[str, str]:
    user = CALLERS[role]
    if user is None:
        return {}
    if label == "POST /auth/logout":
        return bearer(target.token(user))
    return target.world.header(user)


def allowed(audience: str, role: str) -> bool:
    if audience == "public":
        return True
    if role == "anonymous":
        return False
    return audience in (SIGNED_IN, role)


def assert_refused_unless_allowed(label: str, role: str, status: int, body: Any) -> None:
    """A caller without the endpoint's role gets 401/403, unless the request never got there."""
    if allowed(AUDIENCES[label], role):
        return
    expected = 401 if role == "anonymous" else 403
    if status == expected or never_reached(status, body):
        return
    raise AssertionError(f"{label} as {role}: expected {expected}, got {status}: {body}")


def json_of(response: schemathesis.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def never_reached(status: int, body: Any) -> bool:
    """Refused before routing or before dependencies: no route, or an unreadable body."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if status in (404, 405):
        return error.get("message") in ("Not Found", "Method Not Allowed")
    if status == 400:
        return True
    if status == 422:
        details = error.get("details") or [{"path": ""}]
        return all(detail["path"].startswith("body") for detail in details)
    return False


def test_every_operation_is_fuzzed_for_every_role() -> None:
    """The pairs above cover the OpenAPI document, and the document has the operations."""
    assert len(PAIRS) == len(AUDIENCES) * len(CALLERS)
    assert {"POST /terms", "GET /me/schedule", "POST /partner/tokens"} <= set(AUDIENCES)
