"""The week grids of a version (capacity calendars): the coordinator's "By week" page shows
each ward's weekly utilisation against its weekly capacity and where each student is each
week, with both grids as CSV; only the term's own coordinator sees them."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from service_support import World
from sqlalchemy import Engine
from web_support import sign_in
from weekly_factories import ward_term

from scheduler.db.engine import new_session
from scheduler.services import terms, versions
from scheduler.services.solving import solve_scenario


@pytest.fixture(scope="module")
def ward_version(engine: Engine, world: World) -> tuple[int, int]:
    """A ward term (W1 seats one student a week) stored, solved and recorded."""
    scenario = ward_term(weekly_capacities=[{"site": "H1", "unit": "W1", "capacity": 1}])
    scenario = scenario.model_copy(
        update={"term": scenario.term.model_copy(update={"id": f"wards-{world.tag}"})}
    )
    outcome = solve_scenario(scenario=scenario, time_limit_s=5, workers=1)
    assert outcome.trusted
    with new_session(engine) as session:
        term = terms.create_term(session, actor=world.users["coord_a"], scenario=scenario)
        version = versions.record_schedule(
            session, term=term, scenario=scenario, schedule=outcome.schedule
        )
        session.commit()
        return term.id or 0, version.id or 0


def test_by_week_page_shows_both_grids(
    client: TestClient, world: World, ward_version: tuple[int, int]
) -> None:
    term_id, version_id = ward_version
    sign_in(client, world, "coord_a")
    page = client.get(f"/app/terms/{term_id}/versions/{version_id}/weeks")
    assert page.status_code == 200
    assert "Weekly utilisation of sites and units" in page.text
    assert "Ward 1" in page.text and "/1<" in page.text  # W1: placed / weekly capacity 1
    assert "H1/W1" in page.text  # somebody is on W1 some week
    assert 'href="/app/terms/' in page.text and "by=site_weeks" in page.text


def test_week_grids_as_csv(client: TestClient, world: World, ward_version: tuple[int, int]) -> None:
    term_id, version_id = ward_version
    sign_in(client, world, "coord_a")
    base = f"/app/terms/{term_id}/versions/{version_id}/export.csv"
    sites = list(csv.reader(io.StringIO(client.get(f"{base}?by=site_weeks").text)))
    assert sites[0][:4] == ["site", "site_name", "unit", "unit_name"]
    assert "2027-03-08" in sites[0]
    ward = next(row for row in sites if row[2] == "W1")
    week = sites[0].index("2027-03-08")
    placed, capacity = ward[week].split("/")
    assert capacity == "1" and int(placed) <= 1  # the weekly capacity held
    students = list(csv.reader(io.StringIO(client.get(f"{base}?by=student_weeks").text)))
    assert students[0][:3] == ["student", "name", "cohort"]
    assert any("H2" in cell or "H1/" in cell for row in students[1:] for cell in row[3:])


def test_another_school_cannot_see_the_grids(
    client: TestClient, world: World, ward_version: tuple[int, int]
) -> None:
    term_id, version_id = ward_version
    sign_in(client, world, "coord_b")
    assert client.get(f"/app/terms/{term_id}/versions/{version_id}/weeks").status_code == 404
    base = f"/app/terms/{term_id}/versions/{version_id}/export.csv?by=student_weeks"
    assert client.get(base).status_code == 404
