"""The per-process cache of stored views' bytes (scheduler/services/view_cache.py): once
warm, a read takes the bytes from memory (only the token-and-ETag query touches the
database), and it is never stale, also across two apps sharing one database, as two
uvicorn workers do: each app below has its own cache, and what one publishes or changes
the other serves from its next read on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from service_support import RecordingRunner, World, build_world, make_client
from sqlalchemy import Engine
from sqlmodel import Session
from web_support import changed_schedule, publish

from scheduler.db import repositories
from scheduler.db.engine import new_session
from scheduler.db.tables import SchoolRow, UserRow
from scheduler.services import auth, feeds, published_views
from scheduler.services.view_cache import ViewCache


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture(scope="module")
def first(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, RecordingRunner())


@pytest.fixture(scope="module")
def second(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url, RecordingRunner())


def feed_token(engine: Engine, world: World, user: str) -> str:
    with new_session(engine) as session:
        token = feeds.rotate_feed(session, actor=world.users[user])
        session.commit()
    return token


def cache_of(client: TestClient) -> ViewCache:
    cache = client.app.state.view_cache  # type: ignore[attr-defined]
    assert isinstance(cache, ViewCache)
    return cache


@pytest.fixture
def body_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the reads of a view's bytes from the database."""
    calls: list[int] = []
    real = repositories.view_body

    def counted(*args: object, **kwargs: object) -> bytes | None:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repositories, "view_body", counted)
    return calls


def test_a_warm_read_takes_no_bytes_from_the_database(
    first: TestClient, engine: Engine, world: World, body_reads: list[int]
) -> None:
    token = feed_token(engine, world, "student_a")
    cold = first.get("/me/schedule", headers=world.header("student_a"))
    cold_feed = first.get(f"/feeds/{token}.ics")
    assert cold.status_code == cold_feed.status_code == 200
    read_when_cold = len(body_reads)
    hits = cache_of(first).hits
    for _ in range(3):
        warm = first.get("/me/schedule", headers=world.header("student_a"))
        warm_feed = first.get(f"/feeds/{token}.ics")
        assert warm.content == cold.content and warm.headers["etag"] == cold.headers["etag"]
        assert warm_feed.content == cold_feed.content
    assert len(body_reads) == read_when_cold, "warm reads took the bytes from memory"
    assert cache_of(first).hits >= hits + 6


def test_a_publish_through_one_app_is_served_by_the_other_at_once(
    first: TestClient, second: TestClient, engine: Engine, world: World
) -> None:
    token = feed_token(engine, world, "student_a")
    partner = feed_token(engine, world, "partner_a")
    before = {
        name: (
            client.get("/me/schedule", headers=world.header("student_a")),
            client.get(f"/feeds/{token}.ics"),
            client.get(f"/feeds/{partner}.ics"),
        )
        for name, client in (("first", first), ("second", second))
    }
    for client in (first, second):  # both warm
        again = client.get("/me/schedule", headers=world.header("student_a"))
        assert again.content == before["first"][0].content
    publish(engine, world, changed_schedule())  # as another process would: the database only
    with new_session(engine) as session:
        user = world.users["student_a"]
        now = {kind: repositories.own_view(session, user, kind) for kind in ("schedule", "feed")}
        site = repositories.own_view(session, world.users["partner_a"], "feed")
        assert now["schedule"] and now["feed"] and site
        fresh = (now["schedule"].body, now["feed"].body, site.body)
    for client in (second, first):
        schedule = client.get("/me/schedule", headers=world.header("student_a"))
        feed = client.get(f"/feeds/{token}.ics")
        partner_feed = client.get(f"/feeds/{partner}.ics")
        assert (schedule.content, feed.content, partner_feed.content) == fresh
        assert schedule.content != before["first"][0].content
        assert feed.content != before["first"][1].content
        assert schedule.headers["etag"] == published_views.etag_of(fresh[0])


def test_a_directory_change_through_one_app_is_served_by_the_other(
    first: TestClient, second: TestClient, engine: Engine, world: World
) -> None:
    """T02 opts out through the first app; a teammate reads through the second, warm."""
    with new_session(engine) as session:
        school = auth_school(session, world)
        mate = sorted(
            published_views.teammates(session, school_id=school.id or 0, student_ref="T02")
        )[0]
        reader = auth.save_user(
            session,
            school=school,
            email=f"mate-{world.tag}@example.test",
            name="Teammate",
            role="student",
            password=None,
            student_ref=mate,
        )
        issued = auth.issue_token(session, user=reader, kind=auth.LOGIN, ttl=timedelta(hours=1))
        session.commit()
        reader_id = reader.id
    header = {"Authorization": f"Bearer {issued.token}"}
    warm = second.get("/me/schedule", headers=header)
    assert second.get("/me/schedule", headers=header).content == warm.content
    changed = first.put(
        "/me/directory", json={"directory_opt_out": True}, headers=world.header("student_a2")
    )
    assert changed.status_code == 200
    after = second.get("/me/schedule", headers=header)
    with new_session(engine) as session:
        user = session.get(UserRow, reader_id)
        assert user is not None
        stored = repositories.own_view(session, user, "schedule")
        assert stored is not None
    assert after.content == stored.body
    assert after.headers["etag"] == stored.etag


def test_any_rebuilt_view_is_served_at_once_by_a_warm_app(
    first: TestClient, second: TestClient, engine: Engine, world: World
) -> None:
    """Every path that changes a view (publish, directory, term deletion, a build on read)
    ends in its row's bytes and ETag: a row rewritten directly is served at once."""
    for client in (first, second):
        client.get("/me/schedule", headers=world.header("student_a"))
    new_body = b'[{"rebuilt": true}]'
    with new_session(engine) as session:
        row = repositories.own_view(session, world.users["student_a"], "schedule")
        assert row is not None
        row.body, row.etag = new_body, published_views.etag_of(new_body)
        session.add(row)
        session.commit()
    for client in (second, first):
        served = client.get("/me/schedule", headers=world.header("student_a"))
        assert served.content == new_body
        assert served.headers["etag"] == published_views.etag_of(new_body)


def auth_school(session: Session, world: World) -> SchoolRow:
    school = session.get(SchoolRow, world.users["student_a"].school_id)
    assert school is not None
    return school


def test_a_revoked_token_is_refused_with_the_cache_warm(
    first: TestClient, engine: Engine, world: World
) -> None:
    assert first.get("/me/schedule", headers=world.header("student_a")).status_code == 200
    with new_session(engine) as session:
        auth.revoke_all_tokens(session, user=world.users["student_a"], kinds=auth.BEARER_KINDS)
        session.commit()
    assert first.get("/me/schedule", headers=world.header("student_a")).status_code == 401


def test_the_cache_keeps_its_size_least_recently_used_out_first() -> None:
    cache = ViewCache(max_bytes=10)
    cache.put('"a"', b"aaaa")
    cache.put('"b"', b"bbbb")
    assert cache.get('"a"') == b"aaaa"  # now b is the least recently used
    cache.put('"c"', b"cccc")
    assert cache.get('"b"') is None
    assert cache.get('"a"') == b"aaaa" and cache.get('"c"') == b"cccc"
    assert cache.size == 8 and len(cache) == 2
    cache.put('"big"', b"x" * 11)
    assert cache.get('"big"') is None and cache.size == 8
