"""The compliance report of a term: who is blocked or at risk, by credential and by site.

For every student with placements to hold and every site and period where a slot of their
profession requires credentials, each credential the student does not meet for that
period is a line: *blocked* (missing, pending, expired, not yet valid on the first date)
or *at risk* (valid at the start, expires during the period). `placed` says whether the
schedule given places the student there. Pure: the services add the database, the pages
the words. Imports only the contract models and `scheduler.domain.credentials`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from scheduler.domain.credential_model import Credential
from scheduler.domain.credentials import Gap, gap_for, required_codes
from scheduler.domain.csv_text import csv_text
from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule

State = Literal["blocked", "at_risk"]
EXPIRING_DAYS = 60
"""A valid credential expiring within this many days is shown as expiring soon."""


@dataclass(frozen=True)
class ComplianceLine:
    """One credential one student does not meet for one site and period."""

    student: str
    name: str
    profession: str
    site: str
    period: str
    credential: str
    state: State
    detail: str
    placed: bool


@dataclass(frozen=True)
class Tally:
    """Students blocked and at risk for one credential or one site."""

    key: str
    blocked: int
    at_risk: int


@dataclass(frozen=True)
class ComplianceReport:
    lines: list[ComplianceLine]
    by_credential: list[Tally]
    by_site: list[Tally]


def state_of(gap: Gap) -> State:
    """At risk when the credential is valid at the start and expires during the period."""
    return "at_risk" if gap.kind == "expires" else "blocked"


def compliance_report(scenario: Scenario, schedule: Schedule | None) -> ComplianceReport:
    """Every unmet credential of every student with placements, per site and period."""
    required = _required_by(scenario)
    periods = {p.id: p for p in scenario.periods}
    slot_place = {s.id: (s.site, s.period) for s in scenario.slots}
    held = {
        (p.student, *slot_place[p.slot])
        for p in (schedule.placements if schedule else [])
        if p.slot in slot_place
    }
    lines = []
    for student in scenario.students:
        requirement = requirement_for(student, scenario.placement_requirements)
        if requirement is None or requirement.count == 0:
            continue
        for (profession, site, period_id), codes in sorted(required.items()):
            if profession != student.profession:
                continue
            period = periods[period_id]
            for code in codes:
                gap = gap_for(student, code, period.start, period.end)
                if gap is not None:
                    lines.append(
                        ComplianceLine(
                            student=student.id,
                            name=student.name,
                            profession=student.profession,
                            site=site,
                            period=period_id,
                            credential=code,
                            state=state_of(gap),
                            detail=gap.text(),
                            placed=(student.id, site, period_id) in held,
                        )
                    )
    return ComplianceReport(lines, _tally(lines, "credential"), _tally(lines, "site"))


def _required_by(scenario: Scenario) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Per (profession, site, period) with usable slots, the codes any of them require
    (a student meeting them all can take every such slot)."""
    sites = {s.id: s for s in scenario.sites}
    found: dict[tuple[str, str, str], set[str]] = {}
    for slot in scenario.slots:
        codes = required_codes(sites.get(slot.site), slot)
        if codes and slot.status != "declined" and slot.capacity > 0:
            found.setdefault((slot.profession, slot.site, slot.period), set()).update(codes)
    return {key: tuple(sorted(codes)) for key, codes in found.items()}


def _tally(lines: list[ComplianceLine], by: Literal["credential", "site"]) -> list[Tally]:
    blocked: dict[str, set[str]] = {}
    at_risk: dict[str, set[str]] = {}
    for line in lines:
        key = line.credential if by == "credential" else line.site
        target = blocked if line.state == "blocked" else at_risk
        target.setdefault(key, set()).add(line.student)
        blocked.setdefault(key, set())
        at_risk.setdefault(key, set())
    return [Tally(key, len(blocked[key]), len(at_risk[key])) for key in sorted(blocked)]


CSV_HEADER = (
    "student",
    "name",
    "profession",
    "site",
    "period",
    "credential",
    "state",
    "detail",
    "placed",
)


def report_csv(report: ComplianceReport) -> str:
    """The report's lines as CSV (spreadsheet-safe cells)."""
    rows = [
        (
            line.student,
            line.name,
            line.profession,
            line.site,
            line.period,
            line.credential,
            line.state,
            line.detail,
            "yes" if line.placed else "no",
        )
        for line in report.lines
    ]
    return csv_text(CSV_HEADER, rows)


CredentialState = Literal["valid", "expiring", "expired", "pending", "not_yet_valid"]


def credential_state(credential: Credential, today: date) -> CredentialState:
    """How a credential stands today, as the student's page says it."""
    if credential.status == "pending":
        return "pending"
    if credential.issued is not None and credential.issued > today:
        return "not_yet_valid"
    if credential.expires is not None and credential.expires <= today:
        return "expired"
    if credential.expires is not None and (credential.expires - today).days <= EXPIRING_DAYS:
        return "expiring"
    return "valid"
