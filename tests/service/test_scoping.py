"""The repository scopes: each role sees its own slice and nothing when its link is missing.

The authorization matrix (tests/api) checks every endpoint; these check the one place the
rules live, including accounts a route would never send there (no site, wrong role).
"""

from __future__ import annotations

import pytest
from service_support import World, build_world
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.db import repositories
from scheduler.db.tables import UserRow


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


def detached(world: World, key: str, **changes: object) -> UserRow:
    """A copy of a world user with some fields changed (never saved)."""
    return world.users[key].model_copy(update=changes)


def test_coordinators_see_only_their_school(session: Session, world: World) -> None:
    own = {t.id for t in repositories.coordinator_terms(session, world.users["coord_a"])}
    assert own == {world.terms["a"].id}
    other = world.terms["b"].id or 0
    assert repositories.coordinator_term(session, world.users["coord_a"], other) is None


@pytest.mark.parametrize("key", ["student_a", "partner_a"])
def test_other_roles_manage_no_term(session: Session, world: World, key: str) -> None:
    assert repositories.coordinator_terms(session, world.users[key]) == []
    term_id = world.terms["a"].id or 0
    assert repositories.coordinator_term(session, world.users[key], term_id) is None


def test_a_student_sees_only_themself(session: Session, world: World) -> None:
    records = repositories.own_student_records(session, world.users["student_a"])
    assert [(s.ref, t.id) for s, t in records] == [("T01", world.terms["a"].id)]
    unlinked = detached(world, "student_a", student_ref=None)
    assert repositories.own_student_records(session, unlinked) == []
    assert repositories.own_session_assignments(session, unlinked) == []


def test_a_partner_sees_only_their_site_in_their_school(session: Session, world: World) -> None:
    slots = repositories.partner_slots(session, world.users["partner_a"])
    assert {(site.ref, term.id) for _, site, _, term in slots} == {("SITE-A", world.terms["a"].id)}
    assert repositories.partner_slots(session, detached(world, "partner_a", site_ref=None)) == []
    as_student = detached(world, "partner_a", role="student")
    assert repositories.partner_slots(session, as_student) == []


def test_placed_students_only_from_own_slots(session: Session, world: World) -> None:
    other_site = repositories.partner_slots(session, world.users["partner_a2"])
    placed = repositories.placed_students(
        session, world.users["partner_a"], [slot for slot, *_ in other_site], via="test"
    )
    assert placed == {}
    session.rollback()
