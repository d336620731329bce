"""Compliance pages: the coordinator's report of a term (blocked and at-risk students by
credential and by site, CSV download, credential import), a student's own credentials with
what each assigned site requires, and a partner's yes/no view of its placed students."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from api.deps import SessionDep, SettingsDep, import_limits
from api.params import ID_MAX, Id
from api.web.rendering import error_status, render
from api.web.security import CheckedForm, CoordinatorPage, PartnerPage, StudentPage, WebSession
from scheduler.services import compliance, credential_import, terms, versions
from scheduler.services.disclosures import SIGNED_IN
from scheduler.services.errors import Invalid, ServiceError

coordinator_router = APIRouter(prefix="/app/terms", include_in_schema=False)
student_router = APIRouter(prefix="/app/me", include_in_schema=False)
partner_router = APIRouter(prefix="/app/partner", include_in_schema=False)
routers = (coordinator_router, student_router, partner_router)

VersionQuery = Annotated[
    int | None, Query(ge=1, le=ID_MAX, description="A schedule version id of the term.")
]


@coordinator_router.get("/{term_id}/compliance", response_class=HTMLResponse)
def term_page(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    version: VersionQuery = None,
    done: str = "",
) -> Response:
    """Who is blocked or at risk, by credential and by site, and the credential import."""
    message = "The credentials were imported." if done == "imported" else ""
    return _term_page(request, session, web, term_id, version, done=message)


@coordinator_router.get("/{term_id}/compliance.csv")
def term_csv(
    term_id: Id, session: SessionDep, web: CoordinatorPage, version: VersionQuery = None
) -> Response:
    """The compliance report's lines as CSV."""
    text = compliance.term_compliance_csv(
        session, actor=web.user, term_id=term_id, version_id=version
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="term-{term_id}-compliance.csv"'},
    )


@coordinator_router.post("/{term_id}/credentials", response_class=HTMLResponse)
async def import_credentials(
    term_id: Id,
    request: Request,
    session: SessionDep,
    web: CoordinatorPage,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    """Replace students' credentials from a CSV or JSON file; errors by file, line, column."""
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("choose a credentials file (.csv or .json)", code="no_file")
        credential_import.import_credentials(
            session,
            actor=web.user,
            term_id=term_id,
            filename=upload.filename,
            data=await upload.read(),
            limits=import_limits(settings),
        )
    except Invalid as error:
        session.rollback()
        return _term_page(request, session, web, term_id, None, error=error)
    return RedirectResponse(f"/app/terms/{term_id}/compliance?done=imported", status_code=303)


def _term_page(
    request: Request,
    session: Session,
    web: WebSession,
    term_id: int,
    version: int | None,
    *,
    done: str = "",
    error: ServiceError | None = None,
) -> Response:
    context = {
        "term": terms.term_summary(session, actor=web.user, term_id=term_id),
        "versions": versions.list_versions(session, actor=web.user, term_id=term_id),
        "report": compliance.term_compliance(
            session, actor=web.user, term_id=term_id, version_id=version
        ),
        "chosen": version,
        "done": done,
        "error": error,
    }
    status = error_status(error)
    return render(request, "coord_compliance.html", context, web=web, status=status)


@student_router.get("/compliance", response_class=HTMLResponse)
def my_page(request: Request, session: SessionDep, web: StudentPage) -> Response:
    """Your credentials and what each site you are placed at requires."""
    context = {"terms": compliance.my_compliance(session, actor=web.user)}
    return render(request, "my_compliance.html", context, web=web)


@partner_router.get("/compliance", response_class=HTMLResponse)
def partner_page(request: Request, session: SessionDep, web: PartnerPage) -> Response:
    """Whether the students placed with your site meet its requirements (recorded)."""
    slots = compliance.partner_compliance(
        session, actor=web.user, channel=SIGNED_IN, resource="partner.compliance_page"
    )
    return render(request, "partner_compliance.html", {"slots": slots}, web=web)
