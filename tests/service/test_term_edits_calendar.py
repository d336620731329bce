"""Item-by-item editing of the capacity-calendar and plan fields: a site's units, a slot's
unit, discipline and requires, a student's qualifications and score weight, and weekly
capacities as their own kind (ref = position), checked like an import with per-field
errors; a student's plan, history and scores are JSON text fields."""

from __future__ import annotations

import json
import uuid

import pytest
from service_support import World, build_world
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from weekly_factories import ward_term

from scheduler.db.engine import new_session
from scheduler.db.term_setup_tables import TermEditRow
from scheduler.services import term_edits, terms
from scheduler.services.errors import Invalid

EARLIER = {"site": "H2", "start": "2026-01-04", "end": "2026-02-04", "tags": ["community"]}


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine)


def _ward_term(session: Session, world: World) -> int:
    from factories import student

    nurse = {**student("n1"), "history": [EARLIER], "scores": {"sites": {"H1": 3}}}
    scenario = ward_term(students=[nurse, student("n2")])
    code = f"wards-{uuid.uuid4().hex[:6]}"
    scenario = scenario.model_copy(update={"term": scenario.term.model_copy(update={"id": code})})
    term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario)
    session.commit()
    return term.id or 0


def test_units_cell_round_trips_and_names_bad_parts() -> None:
    site = {
        "id": "H1",
        "name": "H",
        "location": {"lat": 45, "lon": -75},
        "units": [
            {"id": "W1", "name": "Ward 1", "tags": ["peds", "acute"], "min_fill": 2},
            {"id": "W2", "name": "Ward 2"},
            {"id": "W3", "name": "Ward: east"},
        ],
    }
    cells = term_edits.form_cells("sites", site)
    assert cells["units"] == "W1:Ward 1:peds,acute:2;W2:Ward 2;W3:Ward: east::"
    again = term_edits.item_from_form("sites", cells)
    site["units"][0]["min_fill"] = "2"  # text until the scenario check converts it
    assert again["units"] == site["units"]
    with pytest.raises(Invalid) as bad:
        term_edits.item_from_form("sites", {**cells, "units": "W1"})
    assert [d.path for d in bad.value.details] == ["units"]


def test_slot_and_student_fields_round_trip() -> None:
    slot = term_edits.item_from_form(
        "slots",
        {"id": "L1", "site": "H1", "period": "P1", "profession": "NURS", "capacity": "2"}
        | {"unit": "W1", "discipline": "med", "requires": "bls; iv"},
    )
    assert slot["unit"] == "W1" and slot["discipline"] == "med"
    assert slot["requires"] == ["bls", "iv"]
    assert term_edits.form_cells("slots", slot)["requires"] == "bls;iv"
    person = term_edits.item_from_form(
        "students",
        {
            "id": "n1",
            "name": "N",
            "profession": "NURS",
            "qualifications": "bls",
            "score_weight": "2",
        },
    )
    assert person["qualifications"] == ["bls"] and person["score_weight"] == "2"


def test_form_edits_set_calendar_fields_and_keep_history(engine: Engine, world: World) -> None:
    actor = world.users["coord_a"]
    with new_session(engine) as session:
        term_id = _ward_term(session, world)
        site = term_edits.form_cells(
            "sites", term_edits.find_item(_doc(session, term_id), "sites", "H1") or {}
        )
        site["units"] += ";W3:Ward 3:surgery:1"
        term_edits.replace_item(
            session,
            actor=actor,
            term_id=term_id,
            kind="sites",
            ref="H1",
            item=term_edits.item_from_form("sites", site),
        )
        slot = {"id": "L4", "site": "H1", "period": "P3", "profession": "NURS", "capacity": "3"}
        slot |= {"unit": "W3", "discipline": "surg", "requires": "bls"}
        term_edits.replace_item(
            session,
            actor=actor,
            term_id=term_id,
            kind="slots",
            ref="L4",
            item=term_edits.item_from_form("slots", slot),
        )
        n1_item = term_edits.find_item(_doc(session, term_id), "students", "n1") or {}
        person = term_edits.form_cells("students", n1_item) | {"qualifications": "bls"}
        term_edits.replace_item(
            session,
            actor=actor,
            term_id=term_id,
            kind="students",
            ref="n1",
            item=term_edits.item_from_form("students", person | {"score_weight": "2"}),
        )
        session.commit()
        kept = terms.export_scenario(session, actor=actor, term_id=term_id)
    h1 = next(s for s in kept.sites if s.id == "H1")
    assert [(u.id, u.tags, u.min_fill) for u in h1.units][-1] == ("W3", ["surgery"], 1)
    l4 = next(s for s in kept.slots if s.id == "L4")
    assert (l4.unit, l4.discipline, l4.requires) == ("W3", "surg", ["bls"])
    n1 = next(s for s in kept.students if s.id == "n1")
    assert n1.qualifications == ["bls"] and n1.score_weight == 2
    assert n1.history[0].site == "H2" and n1.scores is not None  # its form cells: kept


def test_unknown_unit_is_a_field_error(engine: Engine, world: World) -> None:
    actor = world.users["coord_a"]
    with new_session(engine) as session:
        term_id = _ward_term(session, world)
        slot = {"id": "L1", "site": "H1", "period": "P1", "profession": "NURS", "capacity": "3"}
        with pytest.raises(Invalid) as bad:
            term_edits.replace_item(
                session,
                actor=actor,
                term_id=term_id,
                kind="slots",
                ref="L1",
                item=term_edits.item_from_form("slots", slot | {"unit": "W9"}),
            )
        assert "unit" in [d.path for d in bad.value.details]


def test_weekly_capacities_added_changed_removed(engine: Engine, world: World) -> None:
    actor = world.users["coord_a"]
    with new_session(engine) as session:
        term_id = _ward_term(session, world)
        cells = {"site": "H1", "unit": "W1", "capacity": "1", "weeks": "2027-03-08"}
        first = term_edits.add_item(
            session,
            actor=actor,
            term_id=term_id,
            kind="weekly_capacities",
            item=term_edits.item_from_form("weekly_capacities", cells),
        )
        assert first.item is not None and first.item["id"] == "1"
        second = term_edits.item_from_form("weekly_capacities", {"site": "H2", "capacity": "2"})
        term_edits.add_item(
            session, actor=actor, term_id=term_id, kind="weekly_capacities", item=second
        )
        session.commit()
        with pytest.raises(Invalid) as bad:
            term_edits.replace_item(
                session,
                actor=actor,
                term_id=term_id,
                kind="weekly_capacities",
                ref="1",
                item=term_edits.item_from_form("weekly_capacities", cells | {"unit": "W9"}),
            )
        assert "unit" in [d.path for d in bad.value.details]
        session.rollback()
        changed = term_edits.item_from_form("weekly_capacities", cells | {"capacity": "2"})
        term_edits.replace_item(
            session,
            actor=actor,
            term_id=term_id,
            kind="weekly_capacities",
            ref="1",
            item=changed,
        )
        listed = term_edits.list_items(
            session, actor=actor, term_id=term_id, kind="weekly_capacities"
        )
        assert [(i["id"], i["site"], i["capacity"]) for i in listed] == [
            ("1", "H1", 2),
            ("2", "H2", 2),
        ]
        assert term_edits.form_cells("weekly_capacities", listed[0])["weeks"] == "2027-03-08"
        term_edits.remove_item(
            session, actor=actor, term_id=term_id, kind="weekly_capacities", ref="1"
        )
        session.commit()
        kept = terms.export_scenario(session, actor=actor, term_id=term_id)
    assert [(w.site, w.capacity) for w in kept.weekly_capacities] == [("H2", 2)]


def test_weekly_capacity_edit_while_published_is_recorded(engine: Engine, world: World) -> None:
    actor = world.users["coord_a"]
    term_id = world.terms["a"].id or 0
    with new_session(engine) as session:
        site = (term_edits.list_items(session, actor=actor, term_id=term_id, kind="sites"))[0]
        item = term_edits.item_from_form("weekly_capacities", {"site": site["id"], "capacity": "9"})
        edited = term_edits.add_item(
            session, actor=actor, term_id=term_id, kind="weekly_capacities", item=item
        )
        assert edited.recorded
        session.commit()
        rows = session.exec(select(TermEditRow).where(col(TermEditRow.term_id) == term_id)).all()
        assert any(r.entity == "weekly capacity" and r.action == "add" for r in rows)


def _doc(session: Session, term_id: int) -> dict:
    from scheduler.db.tables import TermRow

    term = session.get(TermRow, term_id)
    assert term is not None
    return term_edits.current_document(session, term)


def test_student_plan_is_a_json_field_with_errors_on_the_field(
    engine: Engine, world: World
) -> None:
    actor = world.users["coord_a"]
    person = {"id": "n2", "name": "Nurse", "profession": "NURS"}
    with pytest.raises(Invalid) as not_json:
        term_edits.item_from_form("students", person | {"plan": "{required: med"})
    assert [d.path for d in not_json.value.details] == ["plan"]
    with new_session(engine) as session:
        term_id = _ward_term(session, world)

        def save(plan: str) -> None:
            term_edits.replace_item(
                session,
                actor=actor,
                term_id=term_id,
                kind="students",
                ref="n2",
                item=term_edits.item_from_form("students", person | {"plan": plan}),
            )

        with pytest.raises(Invalid) as bad:
            save('{"required": ["med"], "min_gap_days": -1}')
        (detail,) = bad.value.details
        assert detail.path == "plan" and detail.message.startswith("min_gap_days: ")
        session.rollback()
        save('{"required": ["med"]}')
        session.commit()
        listed = term_edits.list_items(session, actor=actor, term_id=term_id, kind="students")
        cells = term_edits.form_cells("students", next(i for i in listed if i["id"] == "n2"))
        assert json.loads(cells["plan"])["required"] == ["med"]
        kept = terms.export_scenario(session, actor=actor, term_id=term_id)
    n2 = next(s for s in kept.students if s.id == "n2")
    assert n2.plan is not None and n2.plan.required == ["med"]


def test_student_history_and_scores_are_json_fields_with_errors_on_the_field(
    engine: Engine, world: World
) -> None:
    actor = world.users["coord_a"]
    person = {"id": "n1", "name": "Nurse", "profession": "NURS"}
    with pytest.raises(Invalid) as not_json:
        term_edits.item_from_form("students", person | {"history": "[{site: H2"})
    assert [d.path for d in not_json.value.details] == ["history"]
    with new_session(engine) as session:
        term_id = _ward_term(session, world)

        def save(**cells: str) -> None:
            term_edits.replace_item(
                session,
                actor=actor,
                term_id=term_id,
                kind="students",
                ref="n1",
                item=term_edits.item_from_form("students", person | cells),
            )

        backwards = dict(EARLIER, end="2025-12-01")
        with pytest.raises(Invalid) as bad:
            save(history=json.dumps([backwards]), scores='{"sites": {"H1": 3}}')
        (detail,) = bad.value.details
        assert detail.path == "history" and detail.message.startswith("history[0].end: ")
        with pytest.raises(Invalid) as bad_score:
            save(history=json.dumps([EARLIER]), scores='{"sites": {"H1": 5000}}')
        (detail,) = bad_score.value.details
        assert detail.path == "scores" and detail.message.startswith("sites.H1: ")
        session.rollback()
        unchanged = terms.export_scenario(session, actor=actor, term_id=term_id)
        n1 = next(s for s in unchanged.students if s.id == "n1")
        assert n1.history[0].end.isoformat() == EARLIER["end"]  # nothing saved
        assert n1.scores is not None and n1.scores.sites == {"H1": 3}

        later = {"site": "H1", "start": "2026-03-01", "end": "2026-03-20", "tags": ["acute"]}
        scores = '{"sites": {"H1": 7}, "disciplines": {"med": 2}}'
        save(history=json.dumps([EARLIER, later]), scores=scores)
        session.commit()
        listed = term_edits.list_items(session, actor=actor, term_id=term_id, kind="students")
        cells = term_edits.form_cells("students", next(i for i in listed if i["id"] == "n1"))
        assert [h["site"] for h in json.loads(cells["history"])] == ["H2", "H1"]
        assert json.loads(cells["scores"])["sites"] == {"H1": 7}
        again = term_edits.item_from_form("students", cells)
        assert again["history"][1]["end"] == "2026-03-20" and again["scores"]["disciplines"]
        save()  # both fields empty: removed
        session.commit()
        kept = terms.export_scenario(session, actor=actor, term_id=term_id)
    n1 = next(s for s in kept.students if s.id == "n1")
    assert n1.history == [] and n1.scores is None
