"""The demo term: load a scenario into a demo school, with demo accounts, ready to solve.

Safe to repeat on the same database: the school and accounts are updated in place (with
fresh passwords, printed by the CLI), and the term is reused when its scenario is
unchanged, or replaced when the fixture changed.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.tables import SchoolRow, TermRow, UserRow
from scheduler.domain.matching import requirement_for
from scheduler.domain.scenario import Scenario, Student
from scheduler.services import auth, term_rows, terms

DEMO_SCHOOL = "Demo School of Health Professions"
COORDINATOR_EMAIL = "coordinator@demo.example.edu"
DEMO_STUDENTS = 3
DEMO_PARTNERS = 2


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    note: str


@dataclass(frozen=True)
class DemoSetup:
    term: TermRow
    reused: bool
    logins: list[DemoLogin]


def prepare_demo(session: Session, *, scenario: Scenario) -> DemoSetup:
    """Demo school, accounts and term; reuses the term when its scenario is unchanged."""
    school = auth.get_or_create_school(session, name=DEMO_SCHOOL)
    password = _password()
    coordinator = auth.save_user(
        session,
        school=school,
        email=COORDINATOR_EMAIL,
        name="Demo Coordinator",
        role="coordinator",
        password=password,
    )
    logins = [DemoLogin("coordinator", coordinator.email, password, school.name)]
    term, reused = _term(session, coordinator, scenario)
    logins += _students(session, school_id=coordinator.school_id, scenario=scenario)
    logins += _partners(session, school_id=coordinator.school_id, scenario=scenario)
    return DemoSetup(term=term, reused=reused, logins=logins)


def _term(session: Session, coordinator: UserRow, scenario: Scenario) -> tuple[TermRow, bool]:
    existing = repositories.coordinator_term_by_code(session, coordinator, scenario.term.id)
    if existing is not None and existing.scenario_json == term_rows.stored_text(scenario):
        return existing, True
    if existing is not None:
        terms.delete_term(session, actor=coordinator, term_id=existing.id or 0)
    return terms.create_term(session, actor=coordinator, scenario=scenario), False


def _students(session: Session, *, school_id: int, scenario: Scenario) -> list[DemoLogin]:
    school = _school(session, school_id)
    logins = []
    for student in _showcase_students(scenario):
        password = _password()
        email = student.email or f"{student.id.lower()}@students.demo.example.edu"
        auth.save_user(
            session,
            school=school,
            email=email,
            name=student.name,
            role="student",
            password=password,
            student_ref=student.id,
        )
        logins.append(
            DemoLogin("student", email.lower(), password, f"{student.name} ({student.id})")
        )
    return logins


def _showcase_students(scenario: Scenario) -> list[Student]:
    """Students who need placements, of as many professions as possible: most to look at."""
    needing = [
        s
        for s in scenario.students
        if (r := requirement_for(s, scenario.placement_requirements)) is not None and r.count
    ]
    picked: list[Student] = []
    for pool in (_one_per_profession(needing), needing, scenario.students):
        for student in pool:
            if student not in picked and len(picked) < DEMO_STUDENTS:
                picked.append(student)
    return picked


def _one_per_profession(students: list[Student]) -> list[Student]:
    first: dict[str, Student] = {}
    for student in students:
        first.setdefault(student.profession, student)
    return list(first.values())


def _partners(session: Session, *, school_id: int, scenario: Scenario) -> list[DemoLogin]:
    """Accounts for the sites offering the most seats (the ones with most to confirm)."""
    school = _school(session, school_id)
    seats: Counter[str] = Counter()
    for slot in scenario.slots:
        seats[slot.site] += slot.capacity
    names = {site.id: site.name for site in scenario.sites}
    logins = []
    for site_id, _ in seats.most_common(DEMO_PARTNERS):
        password = _password()
        email = f"partner-{site_id.lower()}@partners.demo.example.org"
        auth.save_user(
            session,
            school=school,
            email=email,
            name=f"{names.get(site_id, site_id)} placements",
            role="partner",
            password=password,
            site_ref=site_id,
        )
        logins.append(DemoLogin("partner", email, password, f"{names.get(site_id)} ({site_id})"))
    return logins


def _school(session: Session, school_id: int) -> SchoolRow:
    school = session.get(SchoolRow, school_id)
    assert school is not None
    return school


def _password() -> str:
    return secrets.token_urlsafe(9)
