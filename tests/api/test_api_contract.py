"""The API's promises about itself: one error shape for every failure, a complete OpenAPI
document, and exports that match the stored schedule (each export an audited read).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import World, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import AuditRow
from scheduler.domain.schedule import Schedule

ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def operations(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    ]


# ---- one error shape -------------------------------------------------------------------


def assert_error_shape(body: Any, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/route", 404, "not_found"),
        ("PATCH", "/terms", 405, "method_not_allowed"),
        ("GET", "/terms", 401, "unauthorized"),
        ("GET", "/terms/not-a-number", 422, "invalid_request"),
        ("GET", "/terms/999999", 404, "not_found"),
        ("GET", "/me/schedule", 403, "wrong_role"),
        ("GET", "/terms/{term}/versions/{version}/export.csv?by=colour", 422, "invalid_request"),
        ("POST", "/terms/{term}/solve-runs", 422, "invalid_request"),
    ],
)
def test_every_failure_has_the_one_error_shape(
    client: TestClient, world: World, method: str, path: str, status: int, code: str
) -> None:
    url = path.format(term=world.terms["a"].id, version=world.versions["a"])
    headers = {} if status == 401 else world.header("coord_a")
    body = {"workers": 0} if method == "POST" else None
    response = client.request(method, url, headers=headers, json=body)
    assert response.status_code == status, response.text
    assert_error_shape(response.json(), code)


def test_validation_errors_name_the_field(client: TestClient, world: World) -> None:
    response = client.post(
        f"/terms/{world.terms['a'].id}/solve-runs",
        json={"time_limit_s": -5, "workers": "many"},
        headers=world.header("coord_a"),
    )
    paths = {detail["path"] for detail in response.json()["error"]["details"]}
    assert paths == {"body.time_limit_s", "body.workers"}


# ---- OpenAPI ---------------------------------------------------------------------------


def test_every_operation_is_described_in_one_line(openapi: dict[str, Any]) -> None:
    for name, operation in operations(openapi):
        description = operation.get("description", "")
        assert description and "\n" not in description.strip(), name


def test_every_success_answer_has_a_schema(openapi: dict[str, Any]) -> None:
    for name, operation in operations(openapi):
        for status, answer in operation["responses"].items():
            if status.startswith("2") and status != "204":
                content = answer.get("content", {})
                assert content and all("schema" in c for c in content.values()), name


def test_every_error_answer_is_documented_with_the_error_shape(openapi: dict[str, Any]) -> None:
    public = {"POST /auth/token", "GET /healthz", "GET /readyz", "POST /auth/invitations/{token}"}
    for name, operation in operations(openapi):
        responses = operation["responses"]
        if name not in public:
            assert "401" in responses, name
        if "{" in name:
            assert "404" in responses and "422" in responses, name
        for status, answer in responses.items():
            if status.startswith("4"):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (name, status)
    assert "HTTPValidationError" not in str(openapi)


def test_audiences_get_their_own_models(openapi: dict[str, Any]) -> None:
    def model(path: str) -> str:
        schema = openapi["paths"][path]["get"]["responses"]["200"]["content"]
        return str(schema["application/json"]["schema"])

    assert "MyTermView" in model("/me/schedule")
    assert "PartnerSlotView" in model("/partner/slots")
    assert "CoordinatorSlotView" in model("/terms/{term_id}/slots")
    placed = openapi["components"]["schemas"]["PlacedStudentView"]["properties"]
    # `needs` holds only codes a site must act on (scheduler.domain.privacy.SITE_NEEDS).
    assert set(placed) == {"name", "profession", "start", "end", "needs"}


# ---- exports ---------------------------------------------------------------------------


def test_json_export_is_the_stored_schedule(client: TestClient, world: World) -> None:
    url = f"/terms/{world.terms['a'].id}/versions/{world.versions['a']}/schedule"
    response = client.get(url, headers=world.header("coord_a"))
    assert response.status_code == 200
    # Stored compact (shared reasons): the same schedule once expanded.
    assert Schedule.model_validate(response.json()).expanded() == tiny_schedule()


@pytest.mark.parametrize(
    ("by", "first_column"),
    [("session", "activity"), ("site", "site"), ("student", "student")],
)
def test_csv_exports(client: TestClient, world: World, by: str, first_column: str) -> None:
    url = f"/terms/{world.terms['a'].id}/versions/{world.versions['a']}/export.csv"
    response = client.get(url, params={"by": by}, headers=world.header("coord_a"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    schedule = tiny_schedule()
    seats = sum(len(team.students) for entry in schedule.sessions for team in entry.teams)
    expected = {
        "session": seats,
        "site": len(schedule.placements),
        "student": seats + len(schedule.placements),
    }[by]
    assert len(rows) == expected
    assert next(iter(rows[0])) == first_column
    names = {s.name for s in world.scenarios["a"].students}
    assert {row["name"] for row in rows} <= names


def test_reads_of_student_records_are_audited_but_not_your_own(
    client: TestClient, engine: Engine, world: World
) -> None:
    def reads(user: str) -> int:
        with new_session(engine) as session:
            rows = session.exec(
                select(AuditRow).where(
                    col(AuditRow.action) == "student.read",
                    col(AuditRow.actor_id) == world.users[user].id,
                )
            ).all()
        return len(rows)

    before = reads("coord_a")
    client.get(f"/terms/{world.terms['a'].id}/students/T03", headers=world.header("coord_a"))
    assert reads("coord_a") == before + 1
    client.get(f"/terms/{world.terms['a'].id}/students", headers=world.header("coord_a"))
    assert reads("coord_a") == before + 1 + len(world.scenarios["a"].students)
    client.get("/me/schedule", headers=world.header("student_a"))
    assert reads("student_a") == 0
