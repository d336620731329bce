"""Term editing pages: add, change and remove items with the checks shown next to the
field; a new student is invited; edits after publication say they are recorded."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import World, add_blank_term, make_client
from sqlalchemy import Engine
from web_support import post_form, sign_in


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    yield from make_client(database_url)


def test_add_change_remove_a_site(client: TestClient, world: World, engine: Engine) -> None:
    term = add_blank_term(engine, world, f"pages-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/items/sites"
    bad = post_form(client, page, page, id="S-NEW", name="New site", lat="95", lon="10")
    assert bad.status_code == 422
    assert 'id="f-lat-error"' in bad.text and 'value="95"' in bad.text
    added = post_form(client, page, page, id="S-NEW", name="New site", lat="42.1", lon="-71")
    assert added.status_code == 303
    assert "S-NEW" in client.get(page).text
    edit = client.get(f"{page}?edit=S-NEW")
    assert 'value="New site"' in edit.text
    saved = post_form(
        client, page, f"{page}/S-NEW", name="Renamed site", lat="42.1", lon="-71", tags="rural"
    )
    assert saved.status_code == 303
    assert "Renamed site" in client.get(page).text
    removed = post_form(client, page, f"{page}/S-NEW/remove")
    assert removed.status_code == 303
    assert "S-NEW" not in client.get(page).text


def test_new_student_gets_an_invitation_link(
    client: TestClient, world: World, engine: Engine
) -> None:
    term = add_blank_term(engine, world, f"pages-{uuid.uuid4().hex[:6]}")
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term}/items/students"
    ref = f"N{uuid.uuid4().hex[:4]}"
    email = f"{ref.lower()}@students.example.edu"
    response = post_form(
        client, page, page, id=ref, name="Nova New", profession="NURS", email=email
    )
    assert response.status_code == 200, response.text
    assert "/app/invitations/" in response.text


def test_edit_of_published_term_is_recorded(client: TestClient, world: World) -> None:
    sign_in(client, world, "coord_a")
    term = world.terms["a"].id
    page = f"/app/terms/{term}/items/rooms"
    saved = post_form(client, page, f"{page}/R1", name="Hall 101 (renovated)", accessible="true")
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=recorded")
    refused = post_form(
        client, f"/app/terms/{term}/items/students", f"/app/terms/{term}/items/students/T01/remove"
    )
    assert refused.status_code == 409 and "schedule version" in refused.text


EARLIER = {"site": "H2", "start": "2026-01-04", "end": "2026-02-04", "tags": ["community"]}


def _ward_term(engine: Engine, world: World) -> int:
    from weekly_factories import ward_term

    from scheduler.db.engine import new_session
    from scheduler.services import terms

    scenario = ward_term(students=[{**_nurse("n1"), "history": [EARLIER]}, _nurse("n2")])
    code = f"wards-{uuid.uuid4().hex[:6]}"
    scenario = scenario.model_copy(update={"term": scenario.term.model_copy(update={"id": code})})
    with new_session(engine) as session:
        term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario)
        session.commit()
        return term.id or 0


def _exported(engine: Engine, world: World, term_id: int) -> Any:
    from scheduler.db.engine import new_session
    from scheduler.services import terms

    with new_session(engine) as session:
        return terms.export_scenario(session, actor=world.users["coord_a"], term_id=term_id)


def test_site_units_slot_unit_and_qualifications_through_the_forms(
    client: TestClient, world: World, engine: Engine
) -> None:
    """A site's units are a text field (`ID:NAME[:TAGS[:MIN_FILL]];...`), a slot has
    unit, discipline and requires, a student qualifications and score_weight; a student's
    history posted back as shown is kept."""
    term_id = _ward_term(engine, world)
    sign_in(client, world, "coord_a")
    base = f"/app/terms/{term_id}/items"
    assert 'value="W1:Ward 1:peds;W2:Ward 2"' in client.get(f"{base}/sites?edit=H1").text
    site = {"name": "Renamed", "lat": "45", "lon": "-75"}
    bad = post_form(client, f"{base}/sites", f"{base}/sites/H1", **site, units="W1")
    assert bad.status_code == 422 and 'id="f-units-error"' in bad.text
    units = "W1:Ward 1:peds;W2:Ward 2;W3:Ward 3:surgery:1"
    saved = post_form(client, f"{base}/sites", f"{base}/sites/H1", **site, units=units)
    assert saved.status_code == 303
    slot = {"site": "H1", "period": "P1", "profession": "NURS", "capacity": "2"}
    orphan = post_form(client, f"{base}/slots", f"{base}/slots/L1", **slot, unit="W9")
    assert orphan.status_code == 422 and 'id="f-unit-error"' in orphan.text
    placed = post_form(
        client,
        f"{base}/slots",
        f"{base}/slots/L1",
        **slot,
        unit="W3",
        discipline="surg",
        requires="bls;iv",
    )
    assert placed.status_code == 303
    assert 'value="bls;iv"' in client.get(f"{base}/slots?edit=L1").text
    person = post_form(
        client,
        f"{base}/students",
        f"{base}/students/n1",
        name="Renamed",
        profession="NURS",
        qualifications="bls;iv",
        score_weight="3",
        history=json.dumps([EARLIER]),
    )
    assert person.status_code == 303, person.text[:500]
    kept = _exported(engine, world, term_id)
    h1 = next(s for s in kept.sites if s.id == "H1")
    assert h1.name == "Renamed" and [u.id for u in h1.units] == ["W1", "W2", "W3"]
    l1 = next(s for s in kept.slots if s.id == "L1")
    assert (l1.unit, l1.discipline, l1.requires) == ("W3", "surg", ["bls", "iv"])
    n1 = next(s for s in kept.students if s.id == "n1")
    assert n1.qualifications == ["bls", "iv"] and n1.score_weight == 3
    assert n1.history[0].site == "H2"


def test_student_plan_text_area(client: TestClient, world: World, engine: Engine) -> None:
    term_id = _ward_term(engine, world)
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term_id}/items/students"
    person = {"name": "Nurse", "profession": "NURS"}
    bad = post_form(client, page, f"{page}/n2", **person, plan='{"required": [""]}')
    assert bad.status_code == 422 and 'id="f-plan-error"' in bad.text
    assert "required" in bad.text
    saved = post_form(client, page, f"{page}/n2", **person, plan='{"required": ["med"]}')
    assert saved.status_code == 303
    edit = client.get(f"{page}?edit=n2")
    assert '<textarea id="f-plan"' in edit.text and "med" in edit.text
    n2 = next(s for s in _exported(engine, world, term_id).students if s.id == "n2")
    assert n2.plan is not None and n2.plan.required == ["med"]


def test_weekly_capacities_page_adds_changes_and_removes(
    client: TestClient, world: World, engine: Engine
) -> None:
    term_id = _ward_term(engine, world)
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term_id}/items/weekly_capacities"
    assert "Weekly capacities of" in client.get(page).text
    bad = post_form(client, page, page, site="H1", unit="W9", capacity="1")
    assert bad.status_code == 422 and 'id="f-unit-error"' in bad.text
    added = post_form(client, page, page, site="H1", unit="W1", capacity="1", weeks="2027-03-08")
    assert added.status_code == 303
    assert 'value="2027-03-08"' in client.get(f"{page}?edit=1").text
    changed = post_form(client, page, f"{page}/1", site="H1", unit="W1", capacity="2")
    assert changed.status_code == 303
    (capacity,) = _exported(engine, world, term_id).weekly_capacities
    assert (capacity.unit, capacity.capacity, capacity.weeks) == ("W1", 2, [])
    removed = post_form(client, page, f"{page}/1/remove")
    assert removed.status_code == 303
    assert _exported(engine, world, term_id).weekly_capacities == []


def _nurse(student_id: str) -> dict:
    from factories import student

    return student(student_id)


def test_student_history_and_scores_text_areas(
    client: TestClient, world: World, engine: Engine
) -> None:
    term_id = _ward_term(engine, world)
    sign_in(client, world, "coord_a")
    page = f"/app/terms/{term_id}/items/students"
    edit = client.get(f"{page}?edit=n1")
    assert '<textarea id="f-history"' in edit.text and '<textarea id="f-scores"' in edit.text
    assert _text_area(edit.text, "history") == [EARLIER]
    person = {"name": "Nurse", "profession": "NURS"}
    backwards = json.dumps([dict(EARLIER, end="2025-12-01")])
    scores = '{"sites": {"H1": 4}, "disciplines": {"med": 2}}'
    bad = post_form(client, page, f"{page}/n1", **person, history=backwards, scores=scores)
    assert bad.status_code == 422 and 'id="f-history-error"' in bad.text
    assert "history[0].end" in bad.text and _text_area(bad.text, "history") == json.loads(backwards)
    unchanged = next(s for s in _exported(engine, world, term_id).students if s.id == "n1")
    assert unchanged.history[0].end.isoformat() == EARLIER["end"] and unchanged.scores is None
    later = {"site": "H1", "start": "2026-03-01", "end": "2026-03-20", "tags": ["acute"]}
    history = json.dumps([EARLIER, later])
    saved = post_form(client, page, f"{page}/n1", **person, history=history, scores=scores)
    assert saved.status_code == 303, saved.text[:500]
    shown = client.get(f"{page}?edit=n1").text
    assert _text_area(shown, "history") == [EARLIER, later]
    assert _text_area(shown, "scores") == json.loads(scores)
    n1 = next(s for s in _exported(engine, world, term_id).students if s.id == "n1")
    assert [h.site for h in n1.history] == ["H2", "H1"]
    assert n1.scores is not None and n1.scores.sites == {"H1": 4}
    cleared = post_form(client, page, f"{page}/n1", **person, history="", scores="")
    assert cleared.status_code == 303
    n1 = next(s for s in _exported(engine, world, term_id).students if s.id == "n1")
    assert n1.history == [] and n1.scores is None


def _text_area(page: str, name: str) -> Any:
    """The JSON shown in the form's text area `name`."""
    found = re.search(rf'<textarea id="f-{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return json.loads(html.unescape(found.group(1)))
