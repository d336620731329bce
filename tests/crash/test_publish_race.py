"""Two coordinators publish two drafts of one term at the same moment: afterwards exactly
one version is published (the later), the other superseded. The first publish holds its
transaction open while the second starts, so the second must wait for it and then see it:
SQLite takes no row locks, so reads made before the second publish's first write would
miss the first one and leave two versions published."""

from __future__ import annotations

import threading
import time

from crash_support import Coordinator, tiny_term_with_versions, version_state
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.db.tables import UserRow
from scheduler.services import versions


def publish(
    engine: Engine,
    coordinator: Coordinator,
    term_id: int,
    version_id: int,
    *,
    published: threading.Event | None = None,
    go: threading.Event | None = None,
) -> None:
    with new_session(engine) as session:
        actor = session.get(UserRow, coordinator.user_id)
        assert actor is not None
        versions.publish_version(
            session, actor=actor, term_id=term_id, version_id=version_id, delivery=None
        )
        if published is not None and go is not None:
            published.set()
            assert go.wait(30)
        session.commit()


def test_concurrent_publishes_leave_one_published(engine: Engine, coordinator: Coordinator) -> None:
    term_id, (first, second, third) = tiny_term_with_versions(
        engine, coordinator, published=1, drafts=2
    )
    published, go = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=publish,
        args=(engine, coordinator, term_id, second),
        kwargs={"published": published, "go": go},
    )
    holder.start()
    assert published.wait(30)
    racer = threading.Thread(target=publish, args=(engine, coordinator, term_id, third))
    racer.start()
    time.sleep(0.5)  # the racer is now waiting for the holder, or (the bug) past its reads
    go.set()
    holder.join(60)
    racer.join(60)
    states = [version_state(engine, v) for v in (first, second, third)]
    assert states == ["superseded", "superseded", "published"]
