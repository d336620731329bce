"""Published views: built at publish, served as the stored bytes with ETag and 304, rebuilt
on a new publish, a directory change and a term's deletion (never stale), each person only
their own, and a partner feed's disclosure rows written for every read, 304s included."""

from __future__ import annotations

import json
from email.utils import format_datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import World, build_world, disclosures_to
from sqlalchemy import Engine, delete
from sqlmodel import col, select
from web_support import changed_schedule, publish

from scheduler.db.engine import new_session
from scheduler.db.tables import PublishedViewRow, UserRow
from scheduler.services import feeds, published_views, students, terms


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def view_row(engine: Engine, world: World, user: str, kind: str) -> PublishedViewRow | None:
    person = world.users[user]
    owner = (
        ("student", person.student_ref) if person.role == "student" else ("site", person.site_ref)
    )
    with new_session(engine) as session:
        query = select(PublishedViewRow).where(
            col(PublishedViewRow.school_id) == person.school_id,
            col(PublishedViewRow.owner_kind) == owner[0],
            col(PublishedViewRow.owner_ref) == owner[1],
            col(PublishedViewRow.kind) == kind,
        )
        return session.exec(query).first()


def reference_schedule(engine: Engine, world: World, user: str) -> list[dict[str, Any]]:
    """What the per-request build (before stored views) answers for this student."""
    with new_session(engine) as session:
        actor = session.get(UserRow, world.users[user].id)
        assert actor is not None
        return [v.model_dump(mode="json") for v in students.my_schedule(session, actor=actor)]


def feed_token(engine: Engine, world: World, user: str) -> str:
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users[user])
        session.commit()
    return token


def test_views_are_built_at_publish_and_served_as_stored(
    client: TestClient, engine: Engine, world: World
) -> None:
    for user in ("student_a", "student_a2", "student_b"):
        for kind in ("schedule", "feed"):
            assert view_row(engine, world, user, kind) is not None, (user, kind)
    assert view_row(engine, world, "partner_a", "feed") is not None
    stored = view_row(engine, world, "student_a", "schedule")
    assert stored is not None
    response = client.get("/me/schedule", headers=world.header("student_a"))
    assert response.status_code == 200
    assert response.content == stored.body
    assert response.headers["etag"] == stored.etag
    assert response.headers["content-type"] == "application/json"
    assert response.json() == reference_schedule(engine, world, "student_a")
    assert response.json(), "T01 has sessions and placements"


def test_etag_and_not_modified(client: TestClient, engine: Engine, world: World) -> None:
    first = client.get("/me/schedule", headers=world.header("student_a"))
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert "private" in first.headers["cache-control"]
    assert "no-cache" in first.headers["cache-control"]
    again = client.get("/me/schedule", headers={**world.header("student_a"), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = client.get(
        "/me/schedule", headers={**world.header("student_a"), "If-None-Match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304
    other = client.get(
        "/me/schedule", headers={**world.header("student_a"), "If-None-Match": '"x"'}
    )
    assert other.status_code == 200 and other.content == first.content
    since = client.get(
        "/me/schedule", headers={**world.header("student_a"), "If-Modified-Since": modified}
    )
    assert since.status_code == 304
    stored = view_row(engine, world, "student_a", "schedule")
    assert stored is not None
    earlier = format_datetime(stored.built_at.replace(year=2000), usegmt=True)
    older = client.get(
        "/me/schedule", headers={**world.header("student_a"), "If-Modified-Since": earlier}
    )
    assert older.status_code == 200
    token = feed_token(engine, world, "student_a")
    feed = client.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200 and feed.headers["etag"]
    assert "private" in feed.headers["cache-control"]
    polled = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": feed.headers["etag"]})
    assert polled.status_code == 304 and polled.content == b""


def test_a_new_publish_is_never_served_stale(
    client: TestClient, engine: Engine, world: World
) -> None:
    before = client.get("/me/schedule", headers=world.header("student_a"))
    token = feed_token(engine, world, "student_a")
    feed = client.get(f"/feeds/{token}.ics")
    publish(engine, world, changed_schedule())
    after = client.get(
        "/me/schedule",
        headers={**world.header("student_a"), "If-None-Match": before.headers["etag"]},
    )
    assert after.status_code == 200, "the old ETag no longer matches"
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json() != before.json()
    assert after.json() == reference_schedule(engine, world, "student_a")
    polled = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": feed.headers["etag"]})
    assert polled.status_code == 200
    assert b"SEQUENCE:2" in polled.content and b"SEQUENCE:1" not in polled.content


def test_each_person_reads_only_their_own(client: TestClient, engine: Engine, world: World) -> None:
    mine = client.get("/me/schedule", headers=world.header("student_a"))
    same_ref_other_school = client.get("/me/schedule", headers=world.header("student_b"))
    assert same_ref_other_school.json() == reference_schedule(engine, world, "student_b")
    assert same_ref_other_school.content != mine.content
    assert {t["term_id"] for t in same_ref_other_school.json()} == {world.terms["b"].id}
    classmate = client.get("/me/schedule", headers=world.header("student_a2"))
    assert classmate.json() == reference_schedule(engine, world, "student_a2")
    assert classmate.content != mine.content
    assert client.get("/me/schedule", headers=world.header("partner_a")).status_code == 403
    assert client.get("/me/schedule", headers=world.header("coord_a")).status_code == 403
    assert client.get("/me/schedule").status_code == 401
    assert client.get("/me/schedule", headers={"Authorization": "Bearer nope"}).status_code == 401
    site_a = client.get(f"/feeds/{feed_token(engine, world, 'partner_a')}.ics").content
    site_b = client.get(f"/feeds/{feed_token(engine, world, 'partner_a2')}.ics").content
    assert b"SITE-A" in site_a and b"SITE-B" not in site_a
    assert b"SITE-A" not in site_b
    other_school = client.get(f"/feeds/{feed_token(engine, world, 'partner_b')}.ics").content
    assert other_school != site_a
    with new_session(engine) as session:
        for person in ("partner_a", "partner_b"):
            shown = view_row(engine, world, person, "feed")
            assert shown is not None
            school = world.users[person].school_id
            assert {d["school_id"] for d in shown.disclosures} == {school}
            assert {d["site_ref"] for d in shown.disclosures} == {"SITE-A"}
        session.rollback()


def test_a_partner_feed_read_writes_its_disclosures_every_time(
    client: TestClient, engine: Engine, world: World
) -> None:
    token = feed_token(engine, world, "partner_a")

    def views() -> dict[str, int]:
        rows = disclosures_to(engine, world.users["partner_a"], "partner.feed")
        return {row.student_ref: row.views for row in rows}

    first = client.get(f"/feeds/{token}.ics")
    assert first.status_code == 200
    counted = views()
    shown = view_row(engine, world, "partner_a", "feed")
    assert shown is not None
    assert set(counted) == {d["student_ref"] for d in shown.disclosures}
    assert counted and set(counted.values()) == {1}
    polled = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": first.headers["etag"]})
    assert polled.status_code == 304
    assert views() == {ref: 2 for ref in counted}, "a 304 is a read too"


def test_a_directory_change_rebuilds_the_teammates_views(
    client: TestClient, engine: Engine, world: World
) -> None:
    school = world.users["student_a2"].school_id
    with new_session(engine) as session:
        mates = published_views.teammates(session, school_id=school, student_ref="T02")
        assert mates, "T02 has teammates in the tiny schedule"
        session.exec(  # type: ignore[call-overload]
            delete(PublishedViewRow).where(col(PublishedViewRow.school_id) == school)
        )
        session.commit()
    answer = client.put(
        "/me/directory", json={"directory_opt_out": True}, headers=world.header("student_a2")
    )
    assert answer.status_code == 200
    with new_session(engine) as session:
        rebuilt = session.exec(
            select(PublishedViewRow.owner_ref).where(
                col(PublishedViewRow.school_id) == school,
                col(PublishedViewRow.owner_kind) == "student",
            )
        ).all()
    assert set(rebuilt) == mates | {"T02"}


def test_a_missing_view_is_built_on_read(client: TestClient, engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        session.exec(delete(PublishedViewRow))  # type: ignore[call-overload]
        session.commit()
    response = client.get("/me/schedule", headers=world.header("student_a"))
    assert response.status_code == 200
    assert response.json() == reference_schedule(engine, world, "student_a")
    assert view_row(engine, world, "student_a", "schedule") is not None


def test_a_deleted_term_leaves_no_stale_view(
    client: TestClient, engine: Engine, world: World
) -> None:
    assert client.get("/me/schedule", headers=world.header("student_a")).json()
    with new_session(engine) as session:
        terms.delete_term(session, actor=world.users["coord_a"], term_id=world.terms["a"].id or 0)
        session.commit()
    assert client.get("/me/schedule", headers=world.header("student_a")).json() == []
    assert json.loads(client.get("/me/schedule", headers=world.header("student_b")).content)
