"""The group-committed disclosure writer: many concurrent reads, one row per student and
day with every view counted, nothing returned before it is committed, a failed commit
failing the reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from service_support import World, build_world, disclosures_to
from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import PublishedViewRow
from scheduler.services import disclosures, published_views
from scheduler.services.disclosure_writer import DisclosureWriter


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def shown_to(engine: Engine, world: World) -> list[disclosures.Shown]:
    """What partner_a's feed shows, as `published_views` records it."""
    partner = world.users["partner_a"]
    with new_session(engine) as session:
        view = session.exec(
            select(PublishedViewRow).where(
                col(PublishedViewRow.school_id) == partner.school_id,
                col(PublishedViewRow.owner_ref) == "SITE-A",
                col(PublishedViewRow.kind) == "feed",
            )
        ).one()
        return published_views.shown_items(view.disclosures)


def rows(engine: Engine, world: World) -> dict[str, int]:
    found = disclosures_to(engine, world.users["partner_a"], "partner.feed")
    return {r.student_ref: r.views for r in found}


def test_concurrent_reads_are_all_counted(engine: Engine, world: World) -> None:
    shown = shown_to(engine, world)
    assert shown, "partner A's site has placed students"
    writer = DisclosureWriter(engine)
    reads = 40

    def read(_: int) -> dict[str, int]:
        writer.record(
            recipient=world.users["partner_a"],
            channel=disclosures.CALENDAR_FEED,
            resource="partner.feed",
            shown=shown,
            export=True,
        )
        return rows(engine, world)  # committed before `record` returned

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(read, range(reads)))
    writer.close()
    students = {s.student_ref for s in shown}
    assert all(set(after) == students for after in seen)
    assert rows(engine, world) == {ref: reads for ref in students}


def test_a_failed_commit_fails_the_read(engine: Engine, world: World) -> None:
    shown = shown_to(engine, world)
    writer = DisclosureWriter(engine)

    def broken(_reads: object) -> None:
        raise RuntimeError("the database is gone")

    writer._write = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="the database is gone"):
        writer.record(
            recipient=world.users["partner_a"],
            channel=disclosures.CALENDAR_FEED,
            resource="partner.feed",
            shown=shown,
        )
    writer.close()
    assert rows(engine, world) == {}
