"""The outbox: publishing writes exactly one message per affected person (none for anyone
else, none again on a re-publish) in its own transaction, and delivery sends each message
once, also after a crash between the commit and the send."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from service_support import World, build_world, scenario_of, tiny_document, tiny_schedule
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.db.tables import OutboxMessageRow, ScheduleVersionRow, SlotRow, TermRow
from scheduler.db.types import utcnow
from scheduler.domain.diff import diff_schedules, slot_sites
from scheduler.domain.repair import with_previous
from scheduler.domain.schedule import Schedule
from scheduler.services import outbox, slots, term_rows, terms, versions
from scheduler.services.outbox import LEASE_S, deliver_outbox
from scheduler.services.solving import solve_scenario


class Crash(BaseException):
    """The process dying mid-delivery: not an error the delivery loop may catch."""


class RecordingMailer:
    """Records every send; `crash_on` makes the nth send die before anything is sent."""

    def __init__(self, crash_on: int | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.calls = 0
        self._crash_on = crash_on

    def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        self.calls += 1
        if self.calls == self._crash_on:
            raise Crash
        self.sent.append((message_id, to))


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


def published_term(session: Session, world: World) -> tuple[TermRow, ScheduleVersionRow]:
    """A fresh copy of the tiny term with its schedule published (first publish)."""
    scenario = scenario_of(tiny_document(id=f"outbox-{time.monotonic_ns()}"))
    term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario)
    version = versions.record_schedule(
        session, term=term, scenario=scenario, schedule=first_schedule(term)
    )
    publish(session, world, term, version)
    return term, version


def first_schedule(term: TermRow) -> Schedule:
    """The tiny term's schedule, for a copy of the term under another code."""
    return tiny_schedule().model_copy(update={"term": term.code})


def publish(session: Session, world: World, term: TermRow, version: ScheduleVersionRow) -> None:
    versions.publish_version(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        version_id=version.id or 0,
        delivery=None,
    )
    session.commit()


def messages(session: Session, version: ScheduleVersionRow) -> list[OutboxMessageRow]:
    query = select(OutboxMessageRow).where(col(OutboxMessageRow.version_id) == version.id)
    return list(session.exec(query).all())


def recipients(rows: list[OutboxMessageRow]) -> Counter[str]:
    return Counter(f"{row.recipient_kind}:{row.recipient_ref}" for row in rows)


def repair_after_decline(
    session: Session, world: World, term: TermRow, slot_ref: str
) -> tuple[ScheduleVersionRow, Schedule]:
    """A partner declines a slot; the repaired schedule is saved as a draft."""
    slot = session.exec(
        select(SlotRow).where(col(SlotRow.term_id) == term.id, col(SlotRow.ref) == slot_ref)
    ).one()
    slots.respond_to_slot(
        session,
        actor=world.users["partner_a"],
        slot_id=slot.id or 0,
        decision="decline",
        reason="ward closed",
    )
    scenario = with_previous(term_rows.current_scenario(session, term), first_schedule(term))
    outcome = solve_scenario(scenario=scenario, time_limit_s=10, workers=1, seed=0)
    assert outcome.trusted, outcome.violations
    draft = versions.record_schedule(
        session, term=term, scenario=scenario, schedule=outcome.schedule
    )
    session.commit()
    return draft, outcome.schedule


def test_first_publish_tells_everyone_scheduled_and_each_partner_once(
    session: Session, world: World
) -> None:
    _term, version = published_term(session, world)
    expected = diff_schedules(None, tiny_schedule())
    got = recipients(messages(session, version))
    assert set(got.values()) == {1}
    assert {r for r in got if r.startswith("student:")} == {
        f"student:{s}" for s in expected.students
    }
    assert {r for r in got if r.startswith("partner:")} == {"partner:SITE-A", "partner:SITE-B"}


def test_a_repair_tells_exactly_the_people_it_affects(session: Session, world: World) -> None:
    term, first = published_term(session, world)
    draft, repaired = repair_after_decline(session, world, term, "SL-A1")
    publish(session, world, term, draft)
    sites = slot_sites(scenario_of(tiny_document()))
    diff = diff_schedules(first_schedule(term), repaired, sites_of=sites)
    assert diff.students, "the decline affects its holder"
    rows = messages(session, draft)
    got = recipients(rows)
    assert set(got.values()) == {1}
    assert {r for r in got if r.startswith("student:")} == {f"student:{s}" for s in diff.students}
    unaffected = {s.id for s in scenario_of(tiny_document()).students} - set(diff.students)
    assert not any(row.recipient_ref in unaffected for row in rows)
    partner_sites = {row.recipient_ref for row in rows if row.recipient_kind == "partner"}
    assert partner_sites == set(diff.sites) == {"SITE-A"}
    holder = next(row for row in rows if row.recipient_kind == "student")
    assert "has changed" in holder.subject and "Placement" in holder.body


def test_publishing_the_same_version_again_writes_nothing(session: Session, world: World) -> None:
    term, version = published_term(session, world)
    before = len(messages(session, version))
    publish(session, world, term, version)
    assert len(messages(session, version)) == before


def test_a_publish_that_rolls_back_leaves_no_message(session: Session, world: World) -> None:
    term, _first = published_term(session, world)
    draft, _ = repair_after_decline(session, world, term, "SL-A1")
    versions.publish_version(
        session,
        actor=world.users["coord_a"],
        term_id=term.id or 0,
        version_id=draft.id or 0,
        delivery=None,
    )
    assert messages(session, draft)
    session.rollback()
    assert messages(session, draft) == []


def test_delivery_sends_each_message_once(session: Session, world: World) -> None:
    _term, version = published_term(session, world)
    mailer = RecordingMailer()
    deliver(session, mailer)
    keys = {f"<{row.key}@{outbox.MESSAGE_DOMAIN}>" for row in messages(session, version)}
    assert keys <= {message_id for message_id, _ in mailer.sent}
    deliver(session, mailer)
    assert_once(mailer)
    assert {row.state for row in messages(session, version)} == {"sent"}


def test_a_crash_between_commit_and_send_neither_loses_nor_repeats(
    session: Session, world: World
) -> None:
    """The worker claims a row (committed), then dies before sending. Another worker leaves
    the row alone while the lease lives, then sends it exactly once."""
    _term, version = published_term(session, world)
    dying = RecordingMailer(crash_on=1)
    with pytest.raises(Crash):
        deliver(session, dying)
    session.rollback()
    claimed = [row for row in messages(session, version) if row.state == "sending"]
    assert len(claimed) == 1 and dying.sent == []
    after = RecordingMailer()
    deliver(session, after)
    held = f"<{claimed[0].key}@{outbox.MESSAGE_DOMAIN}>"
    assert held not in {message_id for message_id, _ in after.sent}
    later = utcnow() + timedelta(seconds=LEASE_S + 1)
    deliver(session, after, now=later)
    deliver(session, after, now=later + timedelta(seconds=LEASE_S + 1))
    assert_once(after)
    mine = {f"<{row.key}@{outbox.MESSAGE_DOMAIN}>" for row in messages(session, version)}
    assert Counter(m for m, _ in after.sent if m in mine) == Counter(dict.fromkeys(mine, 1))
    assert {row.state for row in messages(session, version)} == {"sent"}


def test_a_failed_send_is_retried_and_sent_once(session: Session, world: World) -> None:
    _term, version = published_term(session, world)
    flaky = FailingOnce()
    deliver(session, flaky)
    deliver(session, flaky)
    assert_once(flaky)
    rows = messages(session, version)
    assert {row.state for row in rows} == {"sent"}
    assert max(row.attempts for row in rows) == 2


def test_without_smtp_messages_are_shown_in_the_app_to_their_recipients_only(
    session: Session, world: World
) -> None:
    term, version = published_term(session, world)
    deliver_outbox(session=session, smtp_settings=None)
    assert {row.state for row in messages(session, version)} == {"in_app"}
    mine = [m for m in outbox.my_messages(session, actor=world.users["student_a"])]
    assert [m.version_id for m in mine if m.term_id == term.id] == [version.id]
    assert "Hello" in mine[0].body
    partner = outbox.my_messages(session, actor=world.users["partner_a"])
    assert any(m.version_id == version.id for m in partner)
    other_school = outbox.my_messages(session, actor=world.users["student_b"])
    assert all(m.term_id != term.id for m in other_school)
    coordinator = outbox.my_messages(session, actor=world.users["coord_a"])
    assert coordinator == []
    watched = outbox.term_outbox(session, actor=world.users["coord_a"], term_id=term.id or 0)
    assert len(watched) == len(messages(session, version))


class FailingOnce(RecordingMailer):
    """The first attempt of every message fails (a transport error), the second works."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[str] = set()

    def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        if message_id not in self.failed:
            self.failed.add(message_id)
            raise OSError("connection refused")
        super().send(message_id=message_id, to=to, subject=subject, body=body)


def deliver(session: Session, mailer: RecordingMailer, now: datetime | None = None) -> None:
    moment = now or utcnow()
    deliver_outbox(session=session, smtp_settings=None, mailer=mailer, now=lambda: moment)


def assert_once(mailer: RecordingMailer) -> None:
    counts = Counter(message_id for message_id, _ in mailer.sent)
    assert counts and set(counts.values()) == {1}
