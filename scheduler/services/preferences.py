"""Preference collection: a coordinator opens a window, students rank sites and name the
IPE sessions they cannot make, and at the close the rankings go into the scenario.

A student may rank only the sites their profession and requirements allow: a site with a
slot of their profession that is not declined, whose language (if any) they speak, that
is transit accessible if they travel by transit, accessible if they need it, and within
the term's `max_travel_km` of their home. Changes are taken from `opens_on` to `closes_on`
(UTC days, inclusive); when the coordinator closes the window `site_preferences`
become the rankings and each session a student cannot make becomes an `unavailable`
interval, checked like any edit (`term_edits.write_document`). Later changes are refused
with the reason. Reminders go through the outbox to students who have not submitted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from scheduler.db import audit
from scheduler.db.tables import OutboxMessageRow, StudentRow, TermRow, UserRow
from scheduler.db.term_setup_tables import PreferenceRow, PreferenceWindowRow
from scheduler.db.types import utcnow
from scheduler.domain.geo import travel_between
from scheduler.domain.matching import participates
from scheduler.domain.scenario import Scenario, Student
from scheduler.domain.scenario_types import LocalDateTime
from scheduler.domain.schedule import ErrorItem
from scheduler.services import term_edits, term_rows
from scheduler.services.errors import Conflict, Forbidden, Invalid, NotFound, found
from scheduler.services.terms import get_term
from scheduler.services.views import View

MAX_RANKS = 20


class WindowView(View):
    """A term's preference window and where it stands."""

    term_id: int
    opens_on: date
    closes_on: date
    professions: list[str]
    ranks: int
    state: str
    """`not yet open`, `open`, `past its close date` (no more changes; the coordinator may
    move the date) or `closed` (rankings are in the scenario)."""
    closed_at: datetime | None


class SubmissionView(View):
    """One student the window asks, and whether (when) they submitted."""

    student_ref: str
    name: str
    profession: str
    submitted_at: datetime | None
    sites: list[str]


class SiteChoice(View):
    id: str
    name: str
    distance_km: float | None
    tags: list[str]


class SessionChoice(View):
    """An IPE session the student attends, in the term's local wall-clock time."""

    id: str
    activity: str
    start: LocalDateTime
    end: LocalDateTime


class MyPreferenceView(View):
    """What a student sees of one term's window: the choices and their current answer."""

    term_id: int
    term: str
    window: WindowView
    sites: list[SiteChoice]
    sessions: list[SessionChoice]
    ranked: list[str]
    unavailable_sessions: list[str]
    submitted_at: datetime | None


# ---- coordinators ----------------------------------------------------------------------


def open_window(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    opens_on: date,
    closes_on: date,
    professions: list[str],
    ranks: int,
) -> WindowView:
    """Open (or change) a term's window; refused once it was closed."""
    term = get_term(session, actor=actor, term_id=term_id)
    scenario = term_rows.stored_scenario(term)
    known = {p.code for p in scenario.professions} | {s.profession for s in scenario.students}
    problems = []
    if closes_on < opens_on:
        problems.append(ErrorItem(path="closes_on", message="must not be before opens_on"))
    if not 1 <= ranks <= MAX_RANKS:
        problems.append(ErrorItem(path="ranks", message=f"must be 1 to {MAX_RANKS}"))
    unknown = sorted(set(professions) - known)
    if unknown:
        problems.append(
            ErrorItem(path="professions", message=f"unknown in this term: {', '.join(unknown)}")
        )
    if problems:
        raise Invalid("the preference window has problems", details=problems)
    row = _window_row(session, term)
    if row is not None and row.closed_at is not None:
        raise Conflict("the preference window is already closed", code="window_closed")
    row = row or PreferenceWindowRow(
        term_id=term.id or 0, opens_on=opens_on, closes_on=closes_on, ranks=ranks
    )
    row.opens_on, row.closes_on, row.ranks = opens_on, closes_on, ranks
    row.professions = sorted(set(professions))
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="preferences.open",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
        detail={"opens_on": str(opens_on), "closes_on": str(closes_on), "ranks": ranks},
    )
    return window_view(row)


def get_window(session: Session, *, actor: UserRow, term_id: int) -> WindowView:
    term = get_term(session, actor=actor, term_id=term_id)
    return window_view(found(_window_row(session, term), "preference window"))


def submissions(session: Session, *, actor: UserRow, term_id: int) -> list[SubmissionView]:
    """Every student the window asks, with their submission (if any)."""
    term = get_term(session, actor=actor, term_id=term_id)
    row = found(_window_row(session, term), "preference window")
    answers = _answers(session, term)
    return [
        SubmissionView(
            student_ref=s.ref,
            name=s.name,
            profession=s.profession,
            submitted_at=answers[s.ref].submitted_at if s.ref in answers else None,
            sites=answers[s.ref].sites if s.ref in answers else [],
        )
        for s in _asked(session, term, row)
    ]


def remind(session: Session, *, actor: UserRow, term_id: int) -> int:
    """A message to every asked student who has not submitted; how many."""
    term = get_term(session, actor=actor, term_id=term_id)
    row = found(_window_row(session, term), "preference window")
    if row.closed_at is not None:
        raise Conflict("the preference window is already closed", code="window_closed")
    answers = _answers(session, term)
    accounts = {
        u.student_ref: u
        for u in session.exec(
            select(UserRow).where(
                col(UserRow.school_id) == term.school_id,
                col(UserRow.role) == "student",
                col(UserRow.active),
            )
        ).all()
    }
    moment = utcnow()
    count = 0
    for student in _asked(session, term, row):
        if student.ref in answers:
            continue
        user = accounts.get(student.ref)
        session.add(
            OutboxMessageRow(
                # No term or version: like an invitation, it is not a schedule change, so
                # it stays out of the term's schedule outbox and the change messages.
                key=f"reminder:{term.id}:{student.ref}:{moment.isoformat()}",
                recipient_kind="reminder",
                recipient_ref=student.ref,
                user_id=user.id if user else None,
                email=user.email if user else student.email,
                subject=f"Please rank your placement sites for {term.name}",
                body="\n".join(
                    [
                        f"Hello {student.name},",
                        "",
                        f"Ranking placement sites for {term.name} closes on"
                        f" {row.closes_on:%d %b %Y}. Sign in and open Preferences to rank"
                        " the sites you can go to and name any IPE session you cannot make.",
                    ]
                ),
            )
        )
        count += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="preferences.remind",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
        detail={"students": count},
    )
    return count


def close_window(session: Session, *, actor: UserRow, term_id: int) -> WindowView:
    """Close the window and put every submitted ranking into the scenario."""
    term = get_term(session, actor=actor, term_id=term_id)
    row = found(_window_row(session, term), "preference window")
    if row.closed_at is not None:
        raise Conflict("the preference window is already closed", code="window_closed")
    answers = _answers(session, term)
    document = term_edits.current_document(session, term)
    sessions = {s["id"]: s for a in document.get("activities", []) for s in a.get("sessions", [])}
    for student in document.get("students", []):
        answer = answers.get(student["id"])
        if answer is None:
            continue
        student["site_preferences"] = list(answer.sites)
        busy = list(student.get("unavailable", []))
        for ref in answer.unavailable_sessions:
            if ref in sessions:
                interval = {"start": sessions[ref]["start"], "end": sessions[ref]["end"]}
                if interval not in busy:
                    busy.append(interval)
        student["unavailable"] = busy
    term_edits.write_document(session, term=term, document=document, what="rankings")
    row.closed_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="preferences.close",
        entity="term",
        entity_id=term.id,
        term_id=term.id,
        detail={"submitted": len(answers)},
    )
    session.flush()
    return window_view(row)


# ---- students --------------------------------------------------------------------------


def my_preferences(
    session: Session, *, actor: UserRow, today: date | None = None
) -> list[MyPreferenceView]:
    """The acting student's open (or recent) windows, with what they may rank."""
    _require_student(actor)
    found_views = []
    for term, row in _student_windows(session, actor):
        scenario = term_rows.stored_scenario(term)
        student = next((s for s in scenario.students if s.id == actor.student_ref), None)
        if student is None or (row.professions and student.profession not in row.professions):
            continue
        answer = _answers(session, term).get(student.id)
        found_views.append(
            MyPreferenceView(
                term_id=term.id or 0,
                term=term.name,
                window=window_view(row, today),
                sites=allowed_sites(scenario, student),
                sessions=_sessions_of(scenario, student),
                ranked=answer.sites if answer else [],
                unavailable_sessions=answer.unavailable_sessions if answer else [],
                submitted_at=answer.submitted_at if answer else None,
            )
        )
    return found_views


def submit(
    session: Session,
    *,
    actor: UserRow,
    term_id: int,
    sites: list[str],
    unavailable_sessions: list[str],
    today: date | None = None,
) -> MyPreferenceView:
    """Save the acting student's ranking (best first) and the sessions they cannot make."""
    _require_student(actor)
    mine = {v.term_id: v for v in my_preferences(session, actor=actor, today=today)}
    view = mine.get(term_id)
    if view is None:
        raise NotFound("no preference window of yours in this term")
    state = view.window.state
    if state == "closed":
        raise Conflict(
            "the preference window is closed: your ranking can no longer change; ask your"
            " coordinator",
            code="window_closed",
        )
    if state == "past its close date":
        raise Conflict(
            f"the preference window closed on {view.window.closes_on:%d %b %Y}: your ranking"
            " can no longer change; ask your coordinator",
            code="window_closed",
        )
    if state == "not yet open":
        raise Conflict(
            f"the preference window opens on {view.window.opens_on:%d %b %Y}",
            code="window_not_open",
        )
    sites = [s.strip() for s in sites if s.strip()]
    problems = []
    allowed = {s.id for s in view.sites}
    if len(sites) > view.window.ranks:
        problems.append(ErrorItem(path="sites", message=f"rank at most {view.window.ranks} sites"))
    if len(set(sites)) != len(sites):
        problems.append(ErrorItem(path="sites", message="a site may be ranked only once"))
    for index, site in enumerate(sites):
        if site not in allowed:
            problems.append(
                ErrorItem(path=f"sites[{index}]", message=f"{site!r} is not a site you can rank")
            )
    known_sessions = {s.id for s in view.sessions}
    for index, ref in enumerate(unavailable_sessions):
        if ref not in known_sessions:
            problems.append(
                ErrorItem(
                    path=f"unavailable_sessions[{index}]",
                    message=f"{ref!r} is not one of your IPE sessions",
                )
            )
    if problems:
        raise Invalid("the preferences have problems", details=problems)
    term = session.get(TermRow, term_id)
    assert term is not None and actor.student_ref is not None
    row = session.exec(
        select(PreferenceRow).where(
            col(PreferenceRow.term_id) == term_id,
            col(PreferenceRow.student_ref) == actor.student_ref,
        )
    ).first() or PreferenceRow(term_id=term_id, student_ref=actor.student_ref)
    row.sites = sites
    row.unavailable_sessions = sorted(set(unavailable_sessions))
    row.submitted_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="preferences.submit",
        entity="student",
        entity_id=actor.student_ref,
        term_id=term_id,
        detail={"sites": len(sites), "unavailable_sessions": len(row.unavailable_sessions)},
    )
    return {v.term_id: v for v in my_preferences(session, actor=actor, today=today)}[term_id]


def allowed_sites(scenario: Scenario, student: Student) -> list[SiteChoice]:
    """Sites the student could be placed at, nearest first (distance when home is known)."""
    sites = {s.id: s for s in scenario.sites}
    max_km = scenario.policy.max_travel_km
    choices: dict[str, SiteChoice] = {}
    for slot in scenario.slots:
        site = sites.get(slot.site)
        if site is None or slot.profession != student.profession or slot.status == "declined":
            continue
        if slot.language is not None and slot.language not in student.languages:
            continue
        if student.travel_mode == "transit" and not site.transit_accessible:
            continue
        if student.needs_accessible and not site.accessible:
            continue
        km = travel_between(student.home, site.location) if student.home else None
        if max_km is not None and km is not None and km > max_km:
            continue
        choices[site.id] = SiteChoice(
            id=site.id, name=site.name, distance_km=km, tags=list(site.tags)
        )
    return sorted(choices.values(), key=lambda c: (c.distance_km or 0.0, c.name))


# ---- helpers ---------------------------------------------------------------------------


def window_view(row: PreferenceWindowRow, today: date | None = None) -> WindowView:
    day = today or utcnow().date()
    if row.closed_at is not None:
        state = "closed"
    elif day < row.opens_on:
        state = "not yet open"
    elif day > row.closes_on:
        state = "past its close date"
    else:
        state = "open"
    return WindowView(
        term_id=row.term_id,
        opens_on=row.opens_on,
        closes_on=row.closes_on,
        professions=list(row.professions),
        ranks=row.ranks,
        state=state,
        closed_at=row.closed_at,
    )


def _window_row(session: Session, term: TermRow) -> PreferenceWindowRow | None:
    return session.exec(
        select(PreferenceWindowRow).where(col(PreferenceWindowRow.term_id) == term.id)
    ).first()


def _answers(session: Session, term: TermRow) -> dict[str, PreferenceRow]:
    rows = session.exec(select(PreferenceRow).where(col(PreferenceRow.term_id) == term.id)).all()
    return {row.student_ref: row for row in rows}


def _asked(session: Session, term: TermRow, row: PreferenceWindowRow) -> list[StudentRow]:
    query = select(StudentRow).where(col(StudentRow.term_id) == term.id)
    if row.professions:
        query = query.where(col(StudentRow.profession).in_(row.professions))
    return list(session.exec(query.order_by(col(StudentRow.ref))).all())


def _student_windows(session: Session, actor: UserRow) -> list[tuple[TermRow, PreferenceWindowRow]]:
    """Windows of the terms of the student's school that have their record."""
    query = (
        select(TermRow, PreferenceWindowRow)
        .join(PreferenceWindowRow, col(PreferenceWindowRow.term_id) == TermRow.id)
        .join(StudentRow, col(StudentRow.term_id) == TermRow.id)
        .where(
            col(TermRow.school_id) == actor.school_id,
            col(StudentRow.ref) == actor.student_ref,
        )
        .order_by(col(TermRow.id).desc())
    )
    return [(term, row) for term, row in session.exec(query).all()]


def _sessions_of(scenario: Scenario, student: Student) -> list[SessionChoice]:
    return [
        SessionChoice(id=s.id, activity=a.name, start=s.start, end=s.end)
        for a in scenario.activities
        if participates(student, a)
        for s in a.sessions
    ]


def _require_student(actor: UserRow) -> None:
    if actor.role != "student" or not actor.student_ref:
        raise Forbidden("only students rank sites")
