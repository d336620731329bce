"""The outbox: one message per person a publish affects, delivered once.

Publishing writes the messages in its own transaction (`write_publish_messages`): either
the new version is published and everyone it affects has a message waiting, or neither.
Affected means the schedule diff (`scheduler.domain.diff`) against the version published
before: each student with a change, and each partner user of a site that gains or loses a
placed student. Nobody else gets anything; publishing the same version again adds nothing.
A partner's message names students, so writing it records a disclosure for each of them
(`scheduler.services.disclosures`, resource `partner.message`).

Delivery (`deliver_outbox`) is a job that owns its transactions: claim a row (`sending`,
with a lease, committed), send, mark it `sent` (committed). A worker that dies after its
claim leaves a lease that expires, and the row goes out once on a later run; a second
worker never takes a row under a live lease. The unique `key` is the email's Message-ID,
so even the one window no database can close (sent, then the process dies before `sent`
is written) is a repeat that mail systems drop, not a second message. Without SMTP
settings messages are marked `in_app` and read in the app (`my_messages`).
"""

from __future__ import annotations

import smtplib
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from scheduler.db import repositories
from scheduler.db.engine import new_session, on_commit
from scheduler.db.paging import ALL, Page
from scheduler.db.tables import OutboxMessageRow, ScheduleVersionRow, TermRow, UserRow
from scheduler.db.types import utcnow
from scheduler.domain.diff import Change, ScheduleDiff, diff_schedules, slot_sites
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services import disclosures
from scheduler.services.terms import get_term
from scheduler.services.views import View

if TYPE_CHECKING:
    from scheduler.settings import Settings

LEASE_S = 300.0
"""How long a claim keeps other workers off a row; longer than any one SMTP send."""
MAX_ATTEMPTS = 5
MESSAGE_DOMAIN = "ipe-scheduler.invalid"


# ---- writing (inside the publish transaction) ------------------------------------------


def write_publish_messages(
    session: Session,
    *,
    term: TermRow,
    version: ScheduleVersionRow,
    scenario: Scenario,
    schedule: Schedule,
    before: Schedule | None,
) -> ScheduleDiff:
    """One pending message per affected student and partner user; returns the diff."""
    diff = diff_schedules(before, schedule, sites_of=slot_sites(scenario))
    text = _Texts(scenario, term, first=before is None)
    rows = _student_messages(session, term, version, diff, text)
    rows += _partner_messages(session, term, version, diff, text)
    session.add_all(rows)
    session.flush()
    return diff


def _student_messages(
    session: Session, term: TermRow, version: ScheduleVersionRow, diff: ScheduleDiff, text: _Texts
) -> list[OutboxMessageRow]:
    emails = {s.ref: s.email for s in repositories.term_students_unaudited(session, term.id or 0)}
    return [
        OutboxMessageRow(
            key=f"v{version.id}:student:{student}",
            term_id=term.id or 0,
            version_id=version.id or 0,
            recipient_kind="student",
            recipient_ref=student,
            email=emails.get(student, ""),
            subject=text.student_subject(),
            body=text.student_body(student, diff.for_student(student)),
        )
        for student in diff.students
    ]


def _partner_messages(
    session: Session, term: TermRow, version: ScheduleVersionRow, diff: ScheduleDiff, text: _Texts
) -> list[OutboxMessageRow]:
    gained, lost = _site_changes(diff, text.sites_of)
    partners = repositories.site_partners(session, term.school_id, diff.sites)
    for user in partners:
        site = user.site_ref or ""
        _disclose(session, term, version, user, text, gained[site], lost[site])
    return [
        OutboxMessageRow(
            key=f"v{version.id}:partner:{user.id}",
            term_id=term.id or 0,
            version_id=version.id or 0,
            recipient_kind="partner",
            recipient_ref=user.site_ref or "",
            user_id=user.id,
            email=user.email,
            subject=text.partner_subject(user.site_ref or ""),
            body=text.partner_body(gained[user.site_ref or ""], lost[user.site_ref or ""]),
        )
        for user in partners
    ]


def _disclose(
    session: Session,
    term: TermRow,
    version: ScheduleVersionRow,
    user: UserRow,
    text: _Texts,
    gained: list[tuple[str, str]],
    lost: list[tuple[str, str]],
) -> None:
    """A message naming students is a disclosure to its partner recipient: record each."""
    items = [(pair, "Clinical placement") for pair in gained]
    items += [(pair, "Notice that the clinical placement ended") for pair in lost]
    shown = []
    for (student, slot), purpose in items:
        facts = text.slots.get(slot)
        period = text.periods.get(facts.period) if facts else None
        site = user.site_ref or ""
        shown.append(
            disclosures.Shown(
                student_ref=student,
                term=term,
                site_ref=site,
                site_name=text.sites.get(site, site),
                slot_ref=slot,
                start=period.start if period else None,
                end=period.end if period else None,
                version=version.number,
                fields=("name", "profession", "placement_dates"),
                purpose=purpose,
            )
        )
    disclosures.record(
        session,
        recipient=user,
        channel=disclosures.SIGNED_IN,
        resource="partner.message",
        shown=shown,
        export=True,
    )


def _site_changes(
    diff: ScheduleDiff, sites_of: dict[str, str]
) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
    """(student, slot) pairs each site gains and loses."""
    gained: dict[str, list[tuple[str, str]]] = defaultdict(list)
    lost: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for change in (*diff.moved, *diff.added, *diff.dropped):
        if change.need != "placement":
            continue
        if change.after in sites_of:
            gained[sites_of[change.after]].append((change.student, change.after))
        if change.before in sites_of:
            lost[sites_of[change.before]].append((change.student, change.before))
    return gained, lost


class _Texts:
    """Plain-text subjects and bodies, in the words people use: names, days and dates."""

    def __init__(self, scenario: Scenario, term: TermRow, *, first: bool) -> None:
        self.term = term.name
        self.first = first
        self.sessions = {s.id: (a.name, s) for a in scenario.activities for s in a.sessions}
        self.activities = {a.id: a.name for a in scenario.activities}
        self.sites = {s.id: s.name for s in scenario.sites}
        self.periods = {p.id: p for p in scenario.periods}
        self.slots = {s.id: s for s in scenario.slots}
        self.sites_of = slot_sites(scenario)
        self.students = {s.id: s for s in scenario.students}

    def student_subject(self) -> str:
        verb = "is published" if self.first else "has changed"
        return f"Your IPE schedule for {self.term} {verb}"

    def student_body(self, student: str, changes: list[Change]) -> str:
        person = self.students.get(student)
        hello = f"Hello {person.name}," if person else "Hello,"
        lines = [hello, "", f"{self.student_subject()}:", ""]
        lines += [f"- {self._change(change)}" for change in changes]
        lines += ["", "Everything else in your schedule stays as it was."]
        return "\n".join(lines)

    def _change(self, change: Change) -> str:
        describe = self._session if change.need == "session" else self._placement
        what = self.activities.get(change.activity or "", change.activity or "Placement")
        if change.kind == "added":
            return f"{what}: {describe(change.after)}"
        if change.kind == "dropped":
            return f"{what}: no longer {describe(change.before)}"
        return f"{what}: now {describe(change.after)} (was {describe(change.before)})"

    def _session(self, session: str | None) -> str:
        found = self.sessions.get(session or "")
        if found is None:
            return f"session {session}"
        _name, facts = found
        return f"{facts.start:%a %d %b %Y, %H:%M}-{facts.end:%H:%M} in room {facts.room}"

    def _placement(self, slot: str | None) -> str:
        facts = self.slots.get(slot or "")
        if facts is None:
            return f"slot {slot}"
        period = self.periods.get(facts.period)
        dates = f", {period.start:%d %b} to {period.end:%d %b %Y}" if period else ""
        return f"at {self.sites.get(facts.site, facts.site)}{dates}"

    def partner_subject(self, site: str) -> str:
        return f"Placements at {self.sites.get(site, site)} have changed ({self.term})"

    def partner_body(self, gained: list[tuple[str, str]], lost: list[tuple[str, str]]) -> str:
        lines = ["Hello,", "", "The published schedule changed the students placed with you:", ""]
        lines += [f"+ {self._placed(student, slot)}" for student, slot in gained]
        lines += [f"- {self._placed(student, slot)} (no longer placed)" for student, slot in lost]
        return "\n".join(lines)

    def _placed(self, student: str, slot: str) -> str:
        """Name, profession and dates only: what a partner may know of a student."""
        person = self.students.get(student)
        name = f"{person.name} ({person.profession})" if person else student
        facts = self.slots.get(slot)
        period = self.periods.get(facts.period) if facts else None
        dates = f", {period.start:%d %b} to {period.end:%d %b %Y}" if period else ""
        return f"{name}{dates}"


# ---- delivery (a job: it commits) ------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes; built at the edge from `IPE_SMTP_*` settings."""

    host: str
    sender: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout_s: float = 30.0


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """Where outbox mail goes, from the service settings; None (messages shown in the app
    only) without a host."""
    if not settings.smtp_host:
        return None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


class Mailer(Protocol):
    """Sends one email; `message_id` is stable across retries of the same message."""

    def send(self, *, message_id: str, to: str, subject: str, body: str) -> None: ...


class SmtpMailer:
    """A `Mailer` over SMTP, one connection per message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        settings = self._settings
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = settings.sender, to, subject
        email["Message-ID"] = message_id
        email.set_content(body)
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(email)


@dataclass
class DeliveryReport:
    """What one delivery pass did, by message id."""

    sent: list[int] = field(default_factory=list)
    in_app: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    """Rows another worker claimed first."""


def deliver_outbox(
    *,
    session: Session,
    smtp_settings: SmtpSettings | None,
    mailer: Mailer | None = None,
    now: Callable[[], datetime] = utcnow,
    lease_s: float = LEASE_S,
    limit: int = 500,
) -> DeliveryReport:
    """Deliver due messages once each: by SMTP when configured (or through `mailer`),
    else mark them `in_app`. Commits after every claim and every outcome."""
    report = DeliveryReport()
    rows = list(repositories.due_messages(session, now(), limit))
    session.commit()
    if mailer is None and smtp_settings is None:
        for row in rows:
            if _claim(session, row, now(), lease_s, state="in_app"):
                report.in_app.append(row.id or 0)
        return report
    if mailer is None:
        assert smtp_settings is not None
        mailer = SmtpMailer(smtp_settings)
    for row in rows:
        _deliver_one(session, mailer, row, now, lease_s, report)
    return report


def _deliver_one(
    session: Session,
    mailer: Mailer,
    row: OutboxMessageRow,
    now: Callable[[], datetime],
    lease_s: float,
    report: DeliveryReport,
) -> None:
    """Claim, send, mark: each step its own commit, so a crash loses no claim or outcome."""
    if not _claim(session, row, now(), lease_s, state="sending"):
        report.skipped.append(row.id or 0)
        return
    try:
        if not row.email:
            raise ValueError("no email address on record")
        mailer.send(
            message_id=f"<{row.key}@{MESSAGE_DOMAIN}>",
            to=row.email,
            subject=row.subject,
            body=row.body,
        )
    except Exception as error:  # noqa: BLE001 - any transport failure is retried later
        _set(session, row, "failed" if row.attempts >= MAX_ATTEMPTS else "pending", error)
        report.failed.append(row.id or 0)
        return
    _set(session, row, "sent", None, sent_at=now())
    report.sent.append(row.id or 0)


def _claim(
    session: Session, row: OutboxMessageRow, moment: datetime, lease_s: float, *, state: str
) -> bool:
    """Compare-and-set: take the row only if still due (pending, or its lease ran out)."""
    statement = (
        update(OutboxMessageRow)
        .where(
            col(OutboxMessageRow.id) == row.id,
            (col(OutboxMessageRow.state) == "pending")
            | (
                (col(OutboxMessageRow.state) == "sending")
                & (col(OutboxMessageRow.lease_until) < moment)
            ),
        )
        .values(
            state=state,
            lease_until=moment + timedelta(seconds=lease_s),
            attempts=OutboxMessageRow.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    taken = bool(session.exec(statement).rowcount)  # type: ignore[call-overload]
    session.commit()
    session.refresh(row)
    return taken


def _set(
    session: Session,
    row: OutboxMessageRow,
    state: str,
    error: Exception | None,
    sent_at: datetime | None = None,
) -> None:
    row.state, row.sent_at = state, sent_at
    row.last_error = None if error is None else f"{type(error).__name__}: {error}"
    session.add(row)
    session.commit()


def deliver_after_commit(
    session: Session, *, engine: Engine, smtp_settings: SmtpSettings | None
) -> None:
    """Deliver in a background thread once the caller's transaction has committed."""

    def run() -> None:
        with new_session(engine) as own:
            deliver_outbox(session=own, smtp_settings=smtp_settings)

    on_commit(session, lambda: threading.Thread(target=run, daemon=True).start())


# ---- reading (in the app) --------------------------------------------------------------


class MessageView(View):
    """A message as its recipient reads it in the app."""

    id: int
    term_id: int
    version_id: int
    subject: str
    body: str
    created_at: datetime


class OutboxView(View):
    """An outbox row as the coordinator watches it (no bodies)."""

    id: int
    version_id: int
    recipient_kind: str
    recipient_ref: str
    email: str
    subject: str
    state: str
    attempts: int
    sent_at: datetime | None
    last_error: str | None


def my_messages(session: Session, *, actor: UserRow, page: Page = ALL) -> list[MessageView]:
    """The acting student's or partner's messages, newest first."""
    return [
        MessageView(
            id=row.id or 0,
            term_id=row.term_id or 0,  # joined to its term: never an invitation
            version_id=row.version_id or 0,
            subject=row.subject,
            body=row.body,
            created_at=row.created_at,
        )
        for row in repositories.own_messages(session, actor, page=page)
    ]


def term_outbox(
    session: Session, *, actor: UserRow, term_id: int, page: Page = ALL
) -> list[OutboxView]:
    """A managed term's outbox with each message's delivery state."""
    term = get_term(session, actor=actor, term_id=term_id)
    return [
        OutboxView.model_validate(row, from_attributes=True)
        for row in repositories.term_messages(session, actor, term, page=page)
    ]
