"""A clerkship term (student plans, extension) imported through the service keeps every
plan, qualification, score and slot discipline: the stored document is the source."""

from __future__ import annotations

from service_support import build_world, engine, session  # noqa: F401  (pytest fixtures)
from sqlmodel import Session

from fixtures import fixture_path
from scheduler.db.tables import UserRow
from scheduler.domain.loading import load_scenario_text
from scheduler.services import term_rows, terms


def test_imported_clerkship_term_keeps_its_plans(engine, session: Session) -> None:  # noqa: F811
    world = build_world(engine)
    coordinator = session.get(UserRow, world.users["coord_a"].id)
    assert coordinator is not None
    text = fixture_path("clerkship").read_text()
    term = terms.import_scenario(session, actor=coordinator, document=text)
    loaded = term_rows.current_scenario(session, term)
    original = load_scenario_text(text).scenario
    assert original is not None
    assert [
        (s.id, s.plan, s.scores, s.score_weight, s.qualifications) for s in loaded.students
    ] == [(s.id, s.plan, s.scores, s.score_weight, s.qualifications) for s in original.students]
    assert [(s.id, s.discipline, s.requires) for s in loaded.slots] == [
        (s.id, s.discipline, s.requires) for s in original.slots
    ]
