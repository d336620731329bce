"""Every endpoint x every role x own / other resource: the designed status, and no leaks.

Designed statuses: anonymous 401; a role the endpoint is not for 403 (whatever the
resource); the right role on its own resource the endpoint's success status; the right
role on someone else's resource 404 (existence is not revealed). Every response body is
also searched for other people's data: names and emails of students the caller must not
see (another school's, a student's classmates, students placed at another site).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import (
    RecordingRunner,
    World,
    bearer,
    build_world,
    make_client,
    scenario_of,
    tiny_document,
    tiny_schedule,
)
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import SiteRow, SlotRow, SolveRunRow, TermRow
from scheduler.services import auth, people, preferences, slot_requests, terms, versions

CALLERS = {
    "coordinator": "coord_a",
    "student": "student_a",
    "partner": "partner_a",
    "anonymous": None,
}


@dataclass
class Ctx:
    """The world plus helpers that make throwaway resources for destructive calls."""

    world: World
    engine: Engine

    def term(self, variant: str) -> int:
        return self.world.terms["a" if variant == "own" else "b"].id or 0

    def version(self, variant: str) -> int:
        return self.world.versions["a" if variant == "own" else "b"]

    def run(self, variant: str) -> int:
        return self.world.runs["a" if variant == "own" else "b"]

    def fresh_term(self, variant: str) -> int:
        """A new term of school A for `own` (safe to delete or replace), else school B's."""
        if variant != "own":
            return self.term(variant)
        document = tiny_document(id=f"matrix-{uuid.uuid4().hex[:8]}")
        with new_session(self.engine) as session:
            term = terms.create_term(
                session, actor=self.world.users["coord_a"], scenario=scenario_of(document)
            )
            session.commit()
            return term.id or 0

    def active_run(self, variant: str) -> tuple[int, int]:
        """A queued run in a fresh term of A for `own`; school B's finished run otherwise."""
        if variant != "own":
            return self.term(variant), self.run(variant)
        term_id = self.fresh_term("own")
        with new_session(self.engine) as session:
            run = SolveRunRow(term_id=term_id, time_limit_s=1, workers=1, seed=0)
            session.add(run)
            session.commit()
            return term_id, run.id or 0

    def slot(self, variant: str) -> int:
        """SITE-A of school A (own), SITE-B of school A (other), SITE-A of school B."""
        school, site = {
            "own": ("a", "SITE-A"),
            "other": ("a", "SITE-B"),
            "other_school": ("b", "SITE-A"),
        }[variant]
        with new_session(self.engine) as session:
            query = (
                select(SlotRow.id)
                .join(SiteRow, col(SlotRow.site_id) == SiteRow.id)
                .where(
                    col(SlotRow.term_id) == self.world.terms[school].id, col(SiteRow.ref) == site
                )
            )
            slot_id = session.exec(query).first()
        assert slot_id is not None
        return slot_id

    def published_term(self, variant: str) -> int:
        """A fresh term of A with a published version (own), else school B's term."""
        if variant != "own":
            return self.term(variant)
        term_id, version_id = self.drafted_term("own")
        with new_session(self.engine) as session:
            versions.publish_version(
                session,
                actor=self.world.users["coord_a"],
                term_id=term_id,
                version_id=version_id,
                delivery=None,
            )
            session.commit()
        return term_id

    def drafted_term(self, variant: str) -> tuple[int, int]:
        """A fresh term of A with a draft version (own), else school B's term and version."""
        if variant != "own":
            return self.term(variant), self.version(variant)
        term_id = self.fresh_term("own")
        with new_session(self.engine) as session:
            term = session.get(TermRow, term_id)
            assert term is not None
            schedule = tiny_schedule().model_copy(update={"term": term.code})
            scenario = scenario_of(tiny_document(id=term.code))
            version = versions.record_schedule(
                session, term=term, scenario=scenario, schedule=schedule
            )
            session.commit()
            return term_id, version.id or 0

    def whatif(self, variant: str) -> tuple[int, int]:
        """A finished what-if search with one suggestion (own: in a fresh term of A)."""
        term_id, version_id = self.drafted_term(variant)
        suggestion = {
            "code": "add_seats",
            "message": "add 1 NURS seat(s) to slot SL-A1",
            "changes": [{"op": "set_capacity", "slot": "SL-A1", "capacity": 3}],
            "needs_met": 1,
            "gain": 1,
        }
        with new_session(self.engine) as session:
            run = SolveRunRow(
                term_id=term_id,
                time_limit_s=1,
                workers=1,
                seed=0,
                status="succeeded",
                parameters={"kind": "whatif", "version_id": version_id, "student": None},
                result={"tried": 1, "proposals": 1, "found": 1, "suggestions": [suggestion]},
            )
            session.add(run)
            session.commit()
            return term_id, run.id or 0

    def person(self, variant: str) -> int:
        """A freshly invited coordinator of school A (own), else a user of school B."""
        if variant != "own":
            return self.world.users["student_b"].id or 0
        with new_session(self.engine) as session:
            invitation = people.invite(
                session,
                actor=self.world.users["coord_a"],
                email=f"matrix-{uuid.uuid4().hex[:8]}@example.test",
                name="Matrix Person",
                role="coordinator",
                base_url="http://testserver/",
            )
            session.commit()
            return invitation.user.id or 0

    def window_term(self, variant: str) -> int:
        """A fresh term of A with an open preference window (own), else school B's term."""
        if variant != "own":
            return self.term(variant)
        term_id = self.fresh_term("own")
        with new_session(self.engine) as session:
            preferences.open_window(
                session,
                actor=self.world.users["coord_a"],
                term_id=term_id,
                opens_on=date.today() - timedelta(days=1),
                closes_on=date.today() + timedelta(days=1),
                professions=[],
                ranks=3,
            )
            session.commit()
        return term_id

    def seat_request(self, variant: str) -> int:
        """A fresh request to SITE-A of A (own), SITE-B of A (other), SITE-A of B."""
        school, site = {
            "own": ("a", "SITE-A"),
            "other": ("a", "SITE-B"),
            "other_school": ("b", "SITE-A"),
        }[variant]
        with new_session(self.engine) as session:
            view = slot_requests.request_seats(
                session,
                actor=self.world.users[f"coord_{school}"],
                term_id=self.world.terms[school].id or 0,
                site=site,
                profession="NURS",
                period="P1",
                seats=1,
            )
            session.commit()
            return view.id

    def partner_token(self, variant: str) -> int:
        """A partner API token of partner_a (own) or of partner_a2 (other)."""
        owner = self.world.users["partner_a" if variant == "own" else "partner_a2"]
        with new_session(self.engine) as session:
            issued = auth.create_partner_token(
                session, actor=owner, name="matrix", ttl=timedelta(days=1)
            )
            session.commit()
            return issued.row.id or 0


Request = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str
    role: str | None
    success: int
    request: Callable[[Ctx, str], Request]
    variants: tuple[str, ...] = ("own", "other")
    fresh_token: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


def _slots_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "site", "period", "profession", "capacity", "language", "status"])
    for slot in tiny_document()["slots"]:
        writer.writerow(
            [slot["id"], slot["site"], slot["period"], slot["profession"], slot["capacity"]]
            + [slot.get("language", ""), slot.get("status", "")]
        )
    return buffer.getvalue().encode()


def _new_term_body(ctx: Ctx, variant: str) -> Request:
    document = tiny_document(id=f"matrix-new-{uuid.uuid4().hex[:8]}")
    body = json.dumps(document).encode()
    return "/terms", {"content": body, "headers": {"Content-Type": "application/json"}}


def _cancel(ctx: Ctx, variant: str) -> Request:
    term_id, run_id = ctx.active_run(variant)
    return f"/terms/{term_id}/solve-runs/{run_id}", {}


def _start_whatif(ctx: Ctx, variant: str) -> Request:
    term_id, version_id = ctx.drafted_term(variant)
    return f"/terms/{term_id}/versions/{version_id}/whatifs", {"json": {"time_limit_s": 1}}


def _whatif(ctx: Ctx, variant: str) -> Request:
    term_id, run_id = ctx.whatif(variant)
    return f"/terms/{term_id}/whatifs/{run_id}", {}


def _apply_suggestion(ctx: Ctx, variant: str) -> Request:
    term_id, run_id = ctx.whatif(variant)
    return f"/terms/{term_id}/whatifs/{run_id}/suggestions/0/apply", {}


ENDPOINTS = [
    # everyone signed in
    Endpoint("GET", "/auth/me", None, 200, lambda c, v: ("/auth/me", {}), ("own",)),
    Endpoint("POST", "/auth/logout", None, 204, lambda c, v: ("/auth/logout", {}), ("own",), True),
    # coordinators
    Endpoint("GET", "/terms", "coordinator", 200, lambda c, v: ("/terms", {}), ("own",)),
    Endpoint("POST", "/terms", "coordinator", 201, _new_term_body, ("own",)),
    Endpoint("GET", "/terms/{id}", "coordinator", 200, lambda c, v: (f"/terms/{c.term(v)}", {})),
    Endpoint(
        "DELETE",
        "/terms/{id}",
        "coordinator",
        204,
        lambda c, v: (f"/terms/{c.fresh_term(v)}", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/csv",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.fresh_term(v)}/csv", {"files": {"slots": _slots_csv()}}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/compliance",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/compliance", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/compliance.csv",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/compliance.csv", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/credentials",
        "coordinator",
        200,
        lambda c, v: (
            f"/terms/{c.fresh_term(v)}/credentials",
            {"files": {"file": ("credentials.csv", b"student,code\nT01,BLS\n")}},
        ),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/scenario",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/scenario", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/students",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/students", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/students/{ref}",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/students/T01", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/students/{ref}/disclosures",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/students/T01/disclosures", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/slots",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/slots", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/solve-runs",
        "coordinator",
        202,
        lambda c, v: (f"/terms/{c.fresh_term(v)}/solve-runs", {"json": {"time_limit_s": 1}}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/solve-runs",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/solve-runs", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/solve-runs/{run}",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/solve-runs/{c.run(v)}", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/solve-runs/{run}/alternatives",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/solve-runs/{c.run(v)}/alternatives", {}),
    ),
    Endpoint("DELETE", "/terms/{id}/solve-runs/{run}", "coordinator", 202, _cancel),
    Endpoint("POST", "/terms/{id}/versions/{v}/whatifs", "coordinator", 202, _start_whatif),
    Endpoint("GET", "/terms/{id}/whatifs/{run}", "coordinator", 200, _whatif),
    Endpoint(
        "POST",
        "/terms/{id}/whatifs/{run}/suggestions/{n}/apply",
        "coordinator",
        200,
        _apply_suggestion,
    ),
    Endpoint(
        "GET",
        "/terms/{id}/versions",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/versions", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/versions/{v}/schedule",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/versions/{c.version(v)}/schedule", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/versions/{v}/export.csv",
        "coordinator",
        200,
        lambda c, v: (
            f"/terms/{c.term(v)}/versions/{c.version(v)}/export.csv",
            {"params": {"by": "student"}},
        ),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/versions/{v}/publish",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/versions/{c.version(v)}/publish", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/repair-runs",
        "coordinator",
        202,
        lambda c, v: (f"/terms/{c.published_term(v)}/repair-runs", {"json": {"time_limit_s": 1}}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/versions/{v}/diff",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/versions/{c.version(v)}/diff", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/versions/{v}/unmet",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/versions/{c.version(v)}/unmet", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/outbox",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/outbox", {}),
    ),
    # people (coordinators; accepting an invitation is public)
    Endpoint("GET", "/people", "coordinator", 200, lambda c, v: ("/people", {}), ("own",)),
    Endpoint(
        "POST",
        "/people",
        "coordinator",
        201,
        lambda c, v: (
            "/people",
            {
                "json": {
                    "email": f"m-{uuid.uuid4().hex[:8]}@x.test",
                    "name": "M",
                    "role": "coordinator",
                }
            },
        ),
        ("own",),
    ),
    Endpoint(
        "POST",
        "/people/{id}/invitation",
        "coordinator",
        200,
        lambda c, v: (f"/people/{c.person(v)}/invitation", {}),
    ),
    Endpoint(
        "POST",
        "/people/{id}/deactivate",
        "coordinator",
        200,
        lambda c, v: (f"/people/{c.person(v)}/deactivate", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/invitations",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.fresh_term(v)}/invitations", {}),
    ),
    # term editing
    Endpoint(
        "GET",
        "/terms/{id}/items/{kind}",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/items/rooms", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/items/{kind}",
        "coordinator",
        201,
        lambda c, v: (
            f"/terms/{c.fresh_term(v)}/items/rooms",
            {"json": {"id": "R-NEW", "name": "New room"}},
        ),
    ),
    Endpoint(
        "PUT",
        "/terms/{id}/items/{kind}/{ref}",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.fresh_term(v)}/items/rooms/R1", {"json": {"name": "Renamed"}}),
    ),
    Endpoint(
        "DELETE",
        "/terms/{id}/items/{kind}/{ref}",
        "coordinator",
        204,
        lambda c, v: (f"/terms/{c.fresh_term(v)}/items/facilitators/F1", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/edits",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/edits", {}),
    ),
    # preference collection
    Endpoint(
        "PUT",
        "/terms/{id}/preference-window",
        "coordinator",
        200,
        lambda c, v: (
            f"/terms/{c.fresh_term(v)}/preference-window",
            {"json": {"opens_on": "2027-01-01", "closes_on": "2027-01-10", "ranks": 3}},
        ),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/preference-window",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.window_term(v)}/preference-window", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/preferences",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.window_term(v)}/preferences", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/preference-window/reminders",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.window_term(v)}/preference-window/reminders", {}),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/preference-window/close",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.window_term(v)}/preference-window/close", {}),
    ),
    Endpoint(
        "GET", "/me/preferences", "student", 200, lambda c, v: ("/me/preferences", {}), ("own",)
    ),
    Endpoint(
        "PUT",
        "/me/preferences/{id}",
        "student",
        200,
        lambda c, v: (f"/me/preferences/{c.window_term(v)}", {"json": {"sites": []}}),
    ),
    # seat requests
    Endpoint(
        "POST",
        "/terms/{id}/slot-requests",
        "coordinator",
        201,
        lambda c, v: (
            f"/terms/{c.fresh_term(v)}/slot-requests",
            {"json": {"site": "SITE-A", "profession": "NURS", "period": "P1", "seats": 2}},
        ),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/slot-requests",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/slot-requests", {}),
    ),
    Endpoint(
        "GET",
        "/terms/{id}/supply",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/supply", {}),
    ),
    Endpoint(
        "GET", "/partner/requests", "partner", 200, lambda c, v: ("/partner/requests", {}), ("own",)
    ),
    Endpoint(
        "POST",
        "/partner/requests/{id}/answer",
        "partner",
        200,
        lambda c, v: (
            f"/partner/requests/{c.seat_request(v)}/answer",
            {"json": {"decision": "refuse"}},
        ),
        ("own", "other", "other_school"),
    ),
    Endpoint(
        "POST",
        "/terms/{id}/outbox/retry",
        "coordinator",
        200,
        lambda c, v: (f"/terms/{c.term(v)}/outbox/retry", {}),
    ),
    # students
    Endpoint("GET", "/me/schedule", "student", 200, lambda c, v: ("/me/schedule", {}), ("own",)),
    Endpoint(
        "GET", "/me/compliance", "student", 200, lambda c, v: ("/me/compliance", {}), ("own",)
    ),
    Endpoint("GET", "/me/messages", "student", 200, lambda c, v: ("/me/messages", {}), ("own",)),
    Endpoint(
        "GET", "/me/disclosures", "student", 200, lambda c, v: ("/me/disclosures", {}), ("own",)
    ),
    Endpoint("GET", "/me/directory", "student", 200, lambda c, v: ("/me/directory", {}), ("own",)),
    Endpoint(
        "PUT",
        "/me/directory",
        "student",
        200,
        lambda c, v: ("/me/directory", {"json": {"directory_opt_out": False}}),
        ("own",),
    ),
    # partners
    Endpoint(
        "GET", "/partner/slots", "partner", 200, lambda c, v: ("/partner/slots", {}), ("own",)
    ),
    Endpoint(
        "GET",
        "/partner/compliance",
        "partner",
        200,
        lambda c, v: ("/partner/compliance", {}),
        ("own",),
    ),
    Endpoint(
        "GET", "/partner/messages", "partner", 200, lambda c, v: ("/partner/messages", {}), ("own",)
    ),
    Endpoint(
        "GET",
        "/partner/slots/{id}",
        "partner",
        200,
        lambda c, v: (f"/partner/slots/{c.slot(v)}", {}),
        ("own", "other", "other_school"),
    ),
    Endpoint(
        "POST",
        "/partner/slots/{id}/response",
        "partner",
        200,
        lambda c, v: (
            f"/partner/slots/{c.slot(v)}/response",
            {"json": {"decision": "confirm"}},
        ),
        ("own", "other", "other_school"),
    ),
    Endpoint(
        "POST",
        "/partner/tokens",
        "partner",
        201,
        lambda c, v: ("/partner/tokens", {"json": {"name": "matrix"}}),
        ("own",),
    ),
    Endpoint(
        "DELETE",
        "/partner/tokens/{id}",
        "partner",
        204,
        lambda c, v: (f"/partner/tokens/{c.partner_token(v)}", {}),
    ),
]

CASES = [
    pytest.param(endpoint, role, variant, id=f"{endpoint.id} | {role} | {variant}")
    for endpoint in ENDPOINTS
    for role in CALLERS
    for variant in endpoint.variants
]


@pytest.fixture(scope="module")
def ctx(engine: Engine) -> Ctx:
    return Ctx(world=build_world(engine), engine=engine)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    # Runs stay queued with a RecordingRunner: the run caps (tests/api/test_limits.py)
    # would otherwise refuse the matrix's later starts.
    yield from make_client(
        database_url, RecordingRunner(), run_max_active_per_school=100, run_max_active=100
    )


def expected_status(endpoint: Endpoint, role: str, variant: str) -> int:
    if role == "anonymous":
        return 401
    if endpoint.role is not None and endpoint.role != role:
        return 403
    return endpoint.success if variant == "own" else 404


def forbidden_markers(ctx: Ctx, role: str) -> list[str]:
    """Names and emails the caller must never receive."""
    world = ctx.world
    school_a = world.scenarios["a"].students
    school_b = world.scenarios["b"].students
    everyone_b = [s.name for s in school_b] + [s.email for s in school_b]
    if role == "coordinator":
        return everyone_b
    if role == "student":
        others = [s for s in school_a if s.id != "T01"]
        return [s.name for s in others] + [s.email for s in school_a] + everyone_b
    if role == "partner":
        slots = {slot.id: slot.site for slot in world.scenarios["a"].slots}
        at_site = {p.student for p in tiny_schedule().placements if slots[p.slot] == "SITE-A"}
        elsewhere = [s.name for s in school_a if s.id not in at_site]
        return elsewhere + [s.email for s in school_a] + everyone_b + ["first_generation"]
    return [s.name for s in school_a] + [s.email for s in school_a] + everyone_b


@pytest.mark.parametrize(("endpoint", "role", "variant"), CASES)
def test_status_and_no_leak(
    client: TestClient, ctx: Ctx, endpoint: Endpoint, role: str, variant: str
) -> None:
    path, options = endpoint.request(ctx, variant)
    caller = CALLERS[role]
    headers = dict(options.pop("headers", {}))
    if caller is not None:
        token = _fresh_token(ctx, caller) if endpoint.fresh_token else ctx.world.tokens[caller]
        headers |= bearer(token)
    response = client.request(endpoint.method, path, headers=headers, **options)
    expected = expected_status(endpoint, role, variant)
    assert response.status_code == expected, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
    for marker in forbidden_markers(ctx, role) + attribute_markers(endpoint):
        assert marker not in response.text, f"{marker!r} leaked to {role}"


ATTRIBUTE_NAMES = ["first_generation", "rural_origin"]
"""The tiny term's demographic attributes: shown only in aggregate, never per student."""


def attribute_markers(endpoint: Endpoint) -> list[str]:
    """Attribute names no response may hold, but the coordinator's full scenario export
    (their own import data, for re-import; see docs/privacy.md)."""
    return [] if endpoint.id == "GET /terms/{id}/scenario" else ATTRIBUTE_NAMES


def _fresh_token(ctx: Ctx, user: str) -> str:
    with new_session(ctx.engine) as session:
        issued = auth.issue_token(
            session, user=ctx.world.users[user], kind=auth.LOGIN, ttl=timedelta(minutes=5)
        )
        session.commit()
        return issued.token


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    """A new endpoint must be added to the matrix (only sign-in and health are public)."""
    public = {"POST /auth/token", "GET /healthz", "GET /readyz", "POST /auth/invitations/{token}"}
    documented = {
        f"{method.upper()} {path}"
        for path, operations in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in operations
    }
    covered = {_openapi_key(endpoint) for endpoint in ENDPOINTS}
    assert documented - public == covered


def _openapi_key(endpoint: Endpoint) -> str:
    """The matrix template in OpenAPI's spelling of path parameters."""
    spelled = {
        "/terms/{id}": "/terms/{term_id}",
        "/students/{ref}": "/students/{student_id}",
        "/solve-runs/{run}": "/solve-runs/{run_id}",
        "/whatifs/{run}": "/whatifs/{run_id}",
        "/suggestions/{n}": "/suggestions/{index}",
        "/versions/{v}": "/versions/{version_id}",
        "/partner/slots/{id}": "/partner/slots/{slot_id}",
        "/partner/tokens/{id}": "/partner/tokens/{token_id}",
        "/people/{id}": "/people/{user_id}",
        "/me/preferences/{id}": "/me/preferences/{term_id}",
        "/partner/requests/{id}": "/partner/requests/{request_id}",
    }
    path = endpoint.template
    for short, long in spelled.items():
        path = path.replace(short, long)
    return f"{endpoint.method} {path}"


# ---- every route of the app, pages and feeds included ------------------------------------

PAGES = {
    # Not in the OpenAPI document: pages (cookie sign-in; anonymous is sent to sign in with a
    # 303, another role gets a 403 page), the docs, feeds (the address is the credential) and
    # static files. Audience "public": anyone.
    "GET /": "public",
    "GET /app": "signed in",
    "GET /app/": "signed in",
    "GET /app/login": "public",
    "POST /app/login": "public",
    "POST /app/logout": "signed in",
    "GET /app/terms": "coordinator",
    "POST /app/terms": "coordinator",
    "GET /app/terms/{term_id}": "coordinator",
    "POST /app/terms/{term_id}/csv": "coordinator",
    "POST /app/terms/{term_id}/runs": "coordinator",
    "GET /app/terms/{term_id}/runs/{run_id}": "coordinator",
    "GET /app/terms/{term_id}/runs/{run_id}/progress": "coordinator",
    "POST /app/terms/{term_id}/versions/{version_id}/whatifs": "coordinator",
    "GET /app/terms/{term_id}/whatifs/{run_id}": "coordinator",
    "GET /app/terms/{term_id}/whatifs/{run_id}/progress": "coordinator",
    "POST /app/terms/{term_id}/whatifs/{run_id}/apply": "coordinator",
    "GET /app/terms/{term_id}/runs/{run_id}/alternatives": "coordinator",
    "POST /app/terms/{term_id}/runs/{run_id}/cancel": "coordinator",
    "GET /app/terms/{term_id}/versions/{version_id}": "coordinator",
    "GET /app/terms/{term_id}/versions/{version_id}/{view}": "coordinator",
    "GET /app/terms/{term_id}/versions/{version_id}/export.csv": "coordinator",
    "POST /app/terms/{term_id}/versions/{version_id}/publish": "coordinator",
    "GET /app/terms/{term_id}/slots": "coordinator",
    "GET /app/terms/{term_id}/students/{student_ref}/disclosures": "coordinator",
    "GET /app/terms/{term_id}/equity": "coordinator",
    "GET /app/terms/{term_id}/equity.{output}": "coordinator",
    "GET /app/terms/{term_id}/compliance": "coordinator",
    "GET /app/terms/{term_id}/compliance.csv": "coordinator",
    "POST /app/terms/{term_id}/credentials": "coordinator",
    "GET /app/me/compliance": "student",
    "GET /app/partner/compliance": "partner",
    "GET /app/people": "coordinator",
    "POST /app/people": "coordinator",
    "POST /app/people/students": "coordinator",
    "POST /app/people/{user_id}/invitation": "coordinator",
    "POST /app/people/{user_id}/deactivate": "coordinator",
    "GET /app/invitations/{token}": "public",
    "POST /app/invitations/{token}": "public",
    "GET /app/terms/{term_id}/items/{kind}": "coordinator",
    "POST /app/terms/{term_id}/items/{kind}": "coordinator",
    "POST /app/terms/{term_id}/items/{kind}/{ref}": "coordinator",
    "POST /app/terms/{term_id}/items/{kind}/{ref}/remove": "coordinator",
    "GET /app/terms/{term_id}/preferences": "coordinator",
    "POST /app/terms/{term_id}/preferences": "coordinator",
    "POST /app/terms/{term_id}/preferences/remind": "coordinator",
    "POST /app/terms/{term_id}/preferences/close": "coordinator",
    "GET /app/me/preferences": "student",
    "POST /app/me/preferences/{term_id}": "student",
    "GET /app/terms/{term_id}/requests": "coordinator",
    "POST /app/terms/{term_id}/requests": "coordinator",
    "GET /app/partner/requests": "partner",
    "POST /app/partner/requests/{request_id}/answer": "partner",
    "GET /app/terms/{term_id}/repair": "coordinator",
    "POST /app/terms/{term_id}/repair": "coordinator",
    "GET /app/terms/{term_id}/outbox": "coordinator",
    "POST /app/terms/{term_id}/outbox/retry": "coordinator",
    "GET /app/access": "coordinator",
    "GET /app/access/export.csv": "coordinator",
    "GET /app/me": "student",
    "POST /app/me/directory": "student",
    "POST /app/me/feed": "student",
    "GET /app/partner": "partner",
    "GET /app/partner/slots.csv": "partner",
    "POST /app/partner/slots/{slot_id}/respond": "partner",
    "POST /app/partner/feed": "partner",
    "GET /feeds/{token}.ics": "public",
    "GET /openapi.json": "public",
    "GET /docs": "public",
    "MOUNT /app/static": "public",
}


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every route, also inside included routers (FastAPI may keep those nested)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        else:
            yield route


def app_routes(client: TestClient) -> set[str]:
    keys = set()
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        methods = getattr(route, "methods", None) or {"MOUNT"}
        keys |= {f"{method} {route.path}" for method in methods - {"HEAD"}}
    return keys


def test_every_app_route_is_in_a_matrix(client: TestClient) -> None:
    """A new route, page or not, must be added here (or to ENDPOINTS) with its audience."""
    operations = {_openapi_key(endpoint) for endpoint in ENDPOINTS}
    operations |= {
        "POST /auth/token",
        "GET /healthz",
        "GET /readyz",
        "POST /auth/invitations/{token}",
    }
    assert app_routes(client) - operations == set(PAGES)


PAGE_CASES = [
    pytest.param(key, role, id=f"{key} | {role}")
    for key, audience in PAGES.items()
    if audience not in ("public",)
    for role in CALLERS
    if role != audience and not (audience == "signed in" and role != "anonymous")
]


@pytest.mark.parametrize(("key", "role"), PAGE_CASES)
def test_pages_refuse_other_roles(client: TestClient, ctx: Ctx, key: str, role: str) -> None:
    """Anonymous: 303 to sign in; another role: 403 (a form post may fail its CSRF check
    first, which is a 403 too)."""
    method, template = key.split(" ", 1)
    path = template.format(
        term_id=ctx.term("own"),
        run_id=ctx.run("own"),
        version_id=ctx.version("own"),
        slot_id=ctx.slot("own"),
        view="sessions",
        student_ref="T01",
        output="csv",
        user_id=ctx.world.users["coord_a"].id,
        kind="rooms",
        ref="R1",
        request_id=1,
    )
    client.cookies.clear()
    if CALLERS[role] is not None:
        client.cookies.set("ipe_session", ctx.world.tokens[CALLERS[role]], path="/app")
    try:
        response = client.request(method, path, follow_redirects=False)
    finally:
        client.cookies.clear()
    if role == "anonymous":
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/app/login")
    else:
        assert response.status_code == 403, response.text
