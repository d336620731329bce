"""Compliance services on their own (no HTTP): credential import is all or nothing and
keeps the students it does not name; the coordinator's report reads the chosen version's
placements; a student sees only their own record; a partner sees only its own site's
students, and only yes or no."""

from __future__ import annotations

from datetime import date

import pytest
from service_support import World, build_world
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.db.engine import new_session
from scheduler.db.tables import TermRow
from scheduler.domain.credential_model import Credential
from scheduler.services import compliance, credential_import, repairs, term_edits, term_rows
from scheduler.services.disclosures import SIGNED_IN
from scheduler.services.errors import Forbidden, Invalid, NotFound


@pytest.fixture
def world(engine: Engine) -> World:
    world = build_world(engine)
    with new_session(engine) as session:
        term = session.get(TermRow, world.terms["a"].id)
        assert term is not None
        scenario = term_rows.stored_scenario(term)
        sites = [
            s.model_copy(update={"required_credentials": ["BLS"] if s.id == "SITE-A" else []})
            for s in scenario.sites
        ]
        students = [
            s.model_copy(update={"credentials": [Credential(code="TB")]}) if s.id == "T05" else s
            for s in scenario.students
        ]
        changed = scenario.model_copy(update={"sites": sites, "students": students})
        term.scenario_json = term_rows.stored_text(changed)
        session.add(term)
        session.commit()
    return world


def _import(session: Session, world: World, text: str, name: str = "c.csv") -> object:
    return credential_import.import_credentials(
        session,
        actor=world.users["coord_a"],
        term_id=world.terms["a"].id or 0,
        filename=name,
        data=text.encode(),
    )


def _stored(session: Session, world: World) -> dict[str, list[str]]:
    term = session.get(TermRow, world.terms["a"].id)
    assert term is not None
    scenario = term_rows.stored_scenario(term)
    return {s.id: [c.code for c in s.credentials] for s in scenario.students if s.credentials}


def test_import_replaces_named_students_and_keeps_the_rest(engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        done = _import(session, world, "student,code\nT01,BLS\nT01,MMR\n")
        session.commit()
        assert done == credential_import.CredentialImportView(students=1, credentials=2)
        assert _stored(session, world) == {"T01": ["BLS", "MMR"], "T05": ["TB"]}


def test_one_bad_line_changes_nothing(engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        with pytest.raises(Invalid) as error:
            _import(session, world, "student,code,status\nT01,BLS,valid\nT02,MMR,lapsed\n")
        assert [d.path for d in error.value.details] == ["c.csv:3:status"]
        session.rollback()
        assert _stored(session, world) == {"T05": ["TB"]}


def test_json_errors_name_the_line_column_item_and_field(engine: Engine, world: World) -> None:
    document = (
        '{"credentials": [\n'
        '  {"student": "T01", "code": "BLS"},\n'
        '  {"student": "T99", "code": "=X"}\n'
        "]}\n"
    )
    with new_session(engine) as session, pytest.raises(Invalid) as error:
        _import(session, world, document, "c.json")
    paths = sorted(d.path for d in error.value.details)
    assert paths == ["c.json:3:3:credentials[1].code", "c.json:3:3:credentials[1].student"]
    bare = '[{"student": "T01", "code": "BLS", "expires": "later"}]'
    with new_session(engine) as session, pytest.raises(Invalid) as error:
        _import(session, world, bare, "c.json")
    assert [d.path for d in error.value.details] == ["c.json:1:2:$[0].expires"]


def test_a_file_that_is_neither_csv_nor_json_is_refused(engine: Engine, world: World) -> None:
    with new_session(engine) as session, pytest.raises(Invalid) as error:
        _import(session, world, "student,code\n", "c.txt")
    assert error.value.details[0].path == "c.txt"


def test_only_the_terms_coordinator_may_import_or_read(engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        with pytest.raises(NotFound):
            credential_import.import_credentials(
                session,
                actor=world.users["coord_b"],
                term_id=world.terms["a"].id or 0,
                filename="c.csv",
                data=b"student,code\nT01,BLS\n",
            )
        with pytest.raises((Forbidden, NotFound)):
            compliance.term_compliance(
                session, actor=world.users["student_a"], term_id=world.terms["a"].id or 0
            )


def test_the_report_marks_placed_students_at_the_requiring_site(
    engine: Engine, world: World
) -> None:
    with new_session(engine) as session:
        view = compliance.term_compliance(
            session, actor=world.users["coord_a"], term_id=world.terms["a"].id or 0
        )
    assert view.version == 1
    assert {line.site for line in view.lines} == {"SITE-A"}
    assert all(line.state == "blocked" and line.detail == "BLS missing" for line in view.lines)
    placed = {line.student for line in view.lines if line.placed}
    assert placed == {"T02", "T03"}  # SITE-A hosts T02 and T03 in the tiny schedule
    (tally,) = view.by_site
    assert tally.key == "SITE-A" and tally.blocked == len({line.student for line in view.lines})


def test_a_student_sees_only_their_own_record(engine: Engine, world: World) -> None:
    with new_session(engine) as session:
        _import(session, world, "student,code,expires\nT01,BLS,2027-01-20\nT02,BLS,2030-01-01\n")
        (mine,) = compliance.my_compliance(
            session, actor=world.users["student_a"], today=date(2027, 1, 1)
        )
    assert [(c.code, c.state) for c in mine.credentials] == [("BLS", "expiring")]


def test_a_partner_sees_its_own_placed_students_with_yes_or_no(
    engine: Engine, world: World
) -> None:
    with new_session(engine) as session:
        _import(session, world, "student,code\nT02,BLS\n")
        mine = compliance.partner_compliance(
            session, actor=world.users["partner_a"], channel=SIGNED_IN
        )
        other = compliance.partner_compliance(
            session, actor=world.users["partner_a2"], channel=SIGNED_IN
        )
    assert {s.required == ["BLS"] for s in mine} == {True}
    shown = {p.name: p.all_met for s in mine for p in s.students}
    assert shown.get("Ben Okafor") is True
    assert shown and not all(shown.values())
    assert all(s.required == [] for s in other)


def test_editing_a_student_keeps_their_credentials_and_sites_take_requirements(
    engine: Engine, world: World
) -> None:
    term_id = world.terms["a"].id or 0
    coordinator = world.users["coord_a"]
    with new_session(engine) as session:
        _import(session, world, "student,code\nT01,BLS\n")
        cells = term_edits.form_cells(
            "students",
            term_edits.list_items(session, actor=coordinator, term_id=term_id, kind="students")[0],
        )
        cells["name"] = "Ana Reyes-Lopez"
        item = term_edits.item_from_form("students", cells)
        term_edits.replace_item(
            session, actor=coordinator, term_id=term_id, kind="students", ref="T01", item=item
        )
        site = term_edits.item_from_form(
            "sites",
            {
                "id": "SITE-B",
                "name": "North",
                "lat": "42.6",
                "lon": "-71.3",
                "required_credentials": "MMR;TB",
            },
        )
        edited = term_edits.replace_item(
            session, actor=coordinator, term_id=term_id, kind="sites", ref="SITE-B", item=site
        )
        session.commit()
    t01 = next(s for s in edited.scenario.students if s.id == "T01")
    assert t01.name == "Ana Reyes-Lopez" and [c.code for c in t01.credentials] == ["BLS"]
    site_b = next(s for s in edited.scenario.sites if s.id == "SITE-B")
    assert site_b.required_credentials == ["MMR", "TB"]


def test_a_published_placement_the_credentials_do_not_cover_is_for_repair(
    engine: Engine, world: World
) -> None:
    """SITE-A now requires BLS; its placed students T02 and T03 hold none, so the repair
    page names them; once BLS is imported for both, nothing is broken."""
    term_id = world.terms["a"].id or 0
    coordinator = world.users["coord_a"]
    with new_session(engine) as session:
        overview = repairs.repair_overview(session, actor=coordinator, term_id=term_id)
        codes = {b.code for b in overview.broken}
        assert codes == {"credential_not_valid"} and overview.must_change == 2
        _import(session, world, "student,code\nT02,BLS\nT03,BLS\n")
        overview = repairs.repair_overview(session, actor=coordinator, term_id=term_id)
        assert overview.broken == [] and overview.must_change == 0
