"""Onboarding compliance for the three audiences: the coordinator's report of a term (who
is blocked or at risk, by credential and by site, with CSV), a student's own credentials
and what each assigned site requires, and a partner's view that the students placed with
it meet the site's requirements (yes or no per credential, never dates or documents).

Reads are scoped in `scheduler.db.repositories` (a coordinator's terms, the student's own
records, the partner's own site); the coordinator's report is audited as a read of each
student it names; every partner read is a disclosure (`scheduler.services.disclosures`,
resource `partner.compliance`). The rule itself is `scheduler.domain.credentials`. Must not
import `api`, fastapi or starlette.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from scheduler.db import audit, repositories
from scheduler.db.tables import PeriodRow, SiteRow, SlotRow, StudentRow, TermRow, UserRow
from scheduler.db.types import utcnow
from scheduler.domain.compliance import (
    ComplianceReport,
    compliance_report,
    credential_state,
    report_csv,
)
from scheduler.domain.credentials import gap_for, required_codes
from scheduler.domain.scenario import Scenario, Student
from scheduler.services import disclosures, term_rows
from scheduler.services.disclosures import Channel
from scheduler.services.equity_reports import chosen_version
from scheduler.services.terms import get_term
from scheduler.services.versions import get_version, version_schedule
from scheduler.services.views import View

RESOURCE = "partner.compliance"
PARTNER_FIELDS = ("name", "profession", "placement_dates", "credential_compliance")


# ---- coordinator -----------------------------------------------------------------------


class TallyView(View):
    key: str
    blocked: int
    at_risk: int


class ComplianceLineView(View):
    """One credential one student does not meet for one site and period."""

    student: str
    name: str
    profession: str
    site: str
    period: str
    credential: str
    state: str
    detail: str
    placed: bool


class TermComplianceView(View):
    """A term's compliance report against a schedule version (None: no version yet)."""

    term: str
    version: int | None
    lines: list[ComplianceLineView]
    by_credential: list[TallyView]
    by_site: list[TallyView]


def term_compliance(
    session: Session, *, actor: UserRow, term_id: int, version_id: int | None = None
) -> TermComplianceView:
    """Who is blocked or at risk in a managed term, against the chosen version's placements
    (published, else newest); audited as a read of each student named."""
    term, number, report = _report(session, actor, term_id, version_id, "coordinator.compliance")
    return TermComplianceView(
        term=term.name,
        version=number,
        lines=[ComplianceLineView(**vars(line)) for line in report.lines],
        by_credential=[TallyView(**vars(t)) for t in report.by_credential],
        by_site=[TallyView(**vars(t)) for t in report.by_site],
    )


def term_compliance_csv(
    session: Session, *, actor: UserRow, term_id: int, version_id: int | None = None
) -> str:
    """The report's lines as CSV (an audited read like the report)."""
    _, _, report = _report(session, actor, term_id, version_id, "coordinator.compliance_csv")
    return report_csv(report)


def _report(
    session: Session, actor: UserRow, term_id: int, version_id: int | None, via: str
) -> tuple[TermRow, int | None, ComplianceReport]:
    term = get_term(session, actor=actor, term_id=term_id)
    chosen = chosen_version(session, actor=actor, term_id=term_id, version_id=version_id)
    schedule, number = None, None
    if chosen is not None:
        _, version = get_version(session, actor=actor, term_id=term_id, version_id=chosen)
        schedule, number = version_schedule(version), version.number
    report = compliance_report(term_rows.current_scenario(session, term), schedule)
    _audit(session, actor, term, report, via)
    return term, number, report


def _audit(
    session: Session, actor: UserRow, term: TermRow, report: ComplianceReport, via: str
) -> None:
    named = {line.student for line in report.lines}
    students = repositories.term_students_unaudited(session, term.id or 0)
    audit.student_reads(
        session, actor=actor, students=[s for s in students if s.ref in named], via=via
    )


# ---- student ---------------------------------------------------------------------------


class MyCredentialView(View):
    code: str
    issued: date | None
    expires: date | None
    state: str
    """valid, expiring (within 60 days), expired, pending or not_yet_valid."""


class RequirementView(View):
    """One credential an assigned site requires, and whether the student meets it."""

    code: str
    met: bool
    detail: str


class MyPlacementRequirementsView(View):
    site: str
    site_name: str
    period_start: date
    period_end: date
    requirements: list[RequirementView]


class MyComplianceView(View):
    """A student's credentials in one term and what each published placement requires."""

    term: str
    credentials: list[MyCredentialView]
    placements: list[MyPlacementRequirementsView]


def my_compliance(
    session: Session, *, actor: UserRow, today: date | None = None
) -> list[MyComplianceView]:
    """The acting student's own credential status and each assigned site's requirements."""
    today = today or utcnow().date()
    placements = repositories.own_placement_assignments(session, actor)
    result = []
    for student_row, term in repositories.own_student_records(session, actor):
        scenario = term_rows.stored_scenario(term)
        student = next((s for s in scenario.students if s.id == student_row.ref), None)
        if student is None:
            continue
        mine = [
            (slot, site, period) for _, slot, site, period in placements if slot.term_id == term.id
        ]
        result.append(
            MyComplianceView(
                term=term.name,
                credentials=[
                    MyCredentialView(
                        code=c.code,
                        issued=c.issued,
                        expires=c.expires,
                        state=credential_state(c, today),
                    )
                    for c in student.credentials
                ],
                placements=[_requirements(scenario, student, *row) for row in _unique(mine)],
            )
        )
    return result


def _unique(
    rows: list[tuple[SlotRow, SiteRow, PeriodRow]],
) -> list[tuple[SlotRow, SiteRow, PeriodRow]]:
    seen: dict[int | None, tuple[SlotRow, SiteRow, PeriodRow]] = {}
    for row in rows:
        seen.setdefault(row[0].id, row)
    return list(seen.values())


def _requirements(
    scenario: Scenario, student: Student, slot: SlotRow, site: SiteRow, period: PeriodRow
) -> MyPlacementRequirementsView:
    checks = _checks(scenario, student, slot.ref, period)
    return MyPlacementRequirementsView(
        site=site.ref,
        site_name=site.name,
        period_start=period.start,
        period_end=period.end,
        requirements=[RequirementView(code=c, met=d == "", detail=d) for c, d in checks],
    )


def _checks(
    scenario: Scenario, student: Student, slot_ref: str, period: PeriodRow
) -> list[tuple[str, str]]:
    """(code, gap text or "") for each credential the slot requires of the student."""
    slot = next((s for s in scenario.slots if s.id == slot_ref), None)
    if slot is None:
        return []
    site = next((s for s in scenario.sites if s.id == slot.site), None)
    result = []
    for code in required_codes(site, slot):
        gap = gap_for(student, code, period.start, period.end)
        result.append((code, gap.text() if gap else ""))
    return result


# ---- partner ---------------------------------------------------------------------------


class PlacedComplianceView(View):
    """A student placed with the partner: does the student meet each requirement?"""

    name: str
    profession: str
    met: dict[str, bool]
    all_met: bool


class PartnerComplianceView(View):
    """One of the partner's slots with its required credentials and its placed students."""

    term: str
    slot: str
    site_name: str
    period_start: date
    period_end: date
    required: list[str]
    students: list[PlacedComplianceView]


def partner_compliance(
    session: Session, *, actor: UserRow, channel: Channel, resource: str = RESOURCE
) -> list[PartnerComplianceView]:
    """For students placed in the partner's own slots, whether they meet the site's
    requirements (no dates, no documents); each student shown is a recorded disclosure."""
    rows = repositories.partner_slots(session, actor)
    placed = repositories.placed_students(session, actor, [r[0] for r in rows], via=resource)
    numbers = repositories.published_numbers(session, {term.id or 0 for *_, term in rows})
    scenarios: dict[int, Scenario] = {}
    views, shown = [], []
    for slot, site, period, term in rows:
        students = placed.get(slot.id or 0, [])
        if term.id not in scenarios:
            scenarios[term.id or 0] = term_rows.stored_scenario(term)
        scenario = scenarios[term.id or 0]
        views.append(_partner_view(scenario, slot, site, period, term, students))
        shown += [
            disclosures.placed(
                student,
                term=term,
                site=site,
                slot_ref=slot.ref,
                period=period,
                version=numbers.get(term.id or 0),
                fields=PARTNER_FIELDS,
            )
            for student in students
        ]
    disclosures.record(session, recipient=actor, channel=channel, resource=resource, shown=shown)
    return views


def _partner_view(
    scenario: Scenario,
    slot: SlotRow,
    site: SiteRow,
    period: PeriodRow,
    term: TermRow,
    students: list[StudentRow],
) -> PartnerComplianceView:
    people = {s.id: s for s in scenario.students}
    placed = []
    required: list[str] = []
    for row in students:
        person = people.get(row.ref)
        checks = _checks(scenario, person, slot.ref, period) if person else []
        required = required or [code for code, _ in checks]
        met = {code: detail == "" for code, detail in checks}
        placed.append(
            PlacedComplianceView(
                name=row.name, profession=row.profession, met=met, all_met=all(met.values())
            )
        )
    if not required:
        spec = next((s for s in scenario.slots if s.id == slot.ref), None)
        site_spec = next((s for s in scenario.sites if s.id == site.ref), None)
        required = list(required_codes(site_spec, spec)) if spec else []
    return PartnerComplianceView(
        term=term.name,
        slot=slot.ref,
        site_name=site.name,
        period_start=period.start,
        period_end=period.end,
        required=required,
        students=placed,
    )
