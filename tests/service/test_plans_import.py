"""A clerkship term (student plans, extension) imported through the service keeps every
plan, qualification, score and slot discipline: the stored document is the source."""

from __future__ import annotations

from service_support import build_world, engine, session  # noqa: F401  (pytest fixtures)
from sqlmodel import Session

from fixtures import fixture_path
from scheduler.db.tables import TermRow, UserRow
from scheduler.domain.loading import load_scenario_text
from scheduler.services import term_rows, terms


def _imported_clerkship(engine, session: Session) -> tuple[UserRow, TermRow, str]:  # noqa: F811
    """School A's coordinator, the clerkship fixture imported as a term, and its text."""
    world = build_world(engine)
    coordinator = session.get(UserRow, world.users["coord_a"].id)
    assert coordinator is not None
    text = fixture_path("clerkship").read_text()
    return coordinator, terms.import_scenario(session, actor=coordinator, document=text), text


def test_imported_clerkship_term_keeps_its_plans(engine, session: Session) -> None:  # noqa: F811
    coordinator, term, text = _imported_clerkship(engine, session)
    loaded = term_rows.current_scenario(session, term)
    original = load_scenario_text(text).scenario
    assert original is not None
    assert [
        (s.id, s.plan, s.scores, s.score_weight, s.qualifications) for s in loaded.students
    ] == [(s.id, s.plan, s.scores, s.score_weight, s.qualifications) for s in original.students]
    assert [(s.id, s.discipline, s.requires) for s in loaded.slots] == [
        (s.id, s.discipline, s.requires) for s in original.slots
    ]


def test_the_coordinators_student_lines_show_rotations_in_order(engine, session: Session) -> None:  # noqa: F811
    from scheduler.services import schedule_views, versions
    from solver import SolveOptions, solve

    coordinator, term, text = _imported_clerkship(engine, session)
    scenario = term_rows.current_scenario(session, term)
    schedule = solve(scenario, options=SolveOptions(time_limit_s=5, workers=1, seed=0))
    version = versions.record_schedule(session, term=term, scenario=scenario, schedule=schedule)
    lines = schedule_views.by_student(
        session, actor=coordinator, term_id=term.id or 0, version_id=version.id or 0
    )
    first = next(line for line in lines if line.placements)
    student = next(s for s in scenario.students if s.id == first.id)
    assert student.plan is not None
    shown = [p.rsplit(" (", 1)[0].rsplit(" ", 1)[1] for p in first.placements]  # "SITE D (P)"
    assert set(shown) <= student.plan.disciplines and len(shown) == len(set(shown))
    starts = [p.rsplit("(", 1)[1].rstrip(")") for p in first.placements]
    assert starts == sorted(starts)  # period ids "BSSxL" sort by start block
