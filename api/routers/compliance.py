"""Onboarding compliance: the coordinator's report and credential import, a student's own
credential status, and a partner's view that placed students meet its requirements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import Coordinator, ImportLimitsDep, Partner, PartnerChannel, SessionDep, Student
from api.errors import documented
from api.params import ID_MAX, Id
from scheduler.domain.schedule import ErrorItem
from scheduler.services import compliance, credential_import
from scheduler.services.compliance import (
    MyComplianceView,
    PartnerComplianceView,
    TermComplianceView,
)
from scheduler.services.credential_import import CredentialImportView
from scheduler.services.errors import Invalid

router = APIRouter(prefix="/terms", tags=["coordinator"], responses=documented(401, 403))
student_router = APIRouter(prefix="/me", tags=["student"], responses=documented(401, 403))
partner_router = APIRouter(prefix="/partner", tags=["partner"], responses=documented(401, 403))

VersionQuery = Annotated[
    int | None, Query(ge=1, le=ID_MAX, description="A schedule version id of the term.")
]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV text"}
}
CREDENTIALS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A credentials file: `text/csv` (header `student,code` and optionally"
        " `status,issued,expires`), `application/json` (`{credentials: [...]}`), or"
        " multipart with one file part (its name ending in .csv or .json).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


async def credentials_file(request: Request) -> tuple[str, bytes]:
    """The uploaded file and its name: a multipart file part, or the body by its type."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        for _name, value in form.multi_items():
            if isinstance(value, UploadFile):
                return value.filename or "credentials.csv", await value.read()
        raise Invalid(
            "the upload has problems",
            details=[ErrorItem(path="file", message="expected a file part")],
        )
    name = "credentials.json" if kind.startswith("application/json") else "credentials.csv"
    return name, await request.body()


@router.get("/{term_id}/compliance", response_model=TermComplianceView, responses=documented(404))
def term_compliance(
    term_id: Id, session: SessionDep, user: Coordinator, version: VersionQuery = None
) -> TermComplianceView:
    """Who is blocked or at risk, by credential and by site (audited student reads)."""
    return compliance.term_compliance(session, actor=user, term_id=term_id, version_id=version)


@router.get(
    "/{term_id}/compliance.csv",
    response_class=Response,
    responses={**CSV_ANSWER, **documented(404)},
)
def term_compliance_csv(
    term_id: Id, session: SessionDep, user: Coordinator, version: VersionQuery = None
) -> Response:
    """The compliance report's lines as CSV."""
    text = compliance.term_compliance_csv(session, actor=user, term_id=term_id, version_id=version)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="term-{term_id}-compliance.csv"'},
    )


@router.post(
    "/{term_id}/credentials",
    response_model=CredentialImportView,
    responses=documented(404, 413, 422),
    openapi_extra=CREDENTIALS_BODY,
)
def import_credentials(
    term_id: Id,
    session: SessionDep,
    user: Coordinator,
    limits: ImportLimitsDep,
    upload: Annotated[tuple[str, bytes], Depends(credentials_file)],
) -> CredentialImportView:
    """Replace the credentials of every student the file names (CSV or JSON, all or nothing)."""
    filename, data = upload
    return credential_import.import_credentials(
        session, actor=user, term_id=term_id, filename=filename, data=data, limits=limits
    )


@student_router.get("/compliance", response_model=list[MyComplianceView])
def my_compliance(session: SessionDep, user: Student) -> list[MyComplianceView]:
    """Your credentials and what each site you are placed at requires."""
    return compliance.my_compliance(session, actor=user)


@partner_router.get("/compliance", response_model=list[PartnerComplianceView])
def partner_compliance(
    session: SessionDep, user: Partner, channel: PartnerChannel
) -> list[PartnerComplianceView]:
    """Whether students placed with your site meet its credential requirements (recorded)."""
    return compliance.partner_compliance(session, actor=user, channel=channel)
