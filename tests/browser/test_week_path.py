"""The capacity-calendar path in a real browser: a coordinator imports the nursing-trust
fixture (wards with weekly capacity by year, history), solves it, opens the new version's
"By week" view and finds each ward's weekly utilisation and each student's weeks, with
both grids as CSV downloads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, screenshot, sign_in
from playwright.sync_api import expect

from scheduler.db.engine import new_session
from scheduler.services import auth

pytestmark = pytest.mark.slow

NURSING = str(Path(__file__).resolve().parents[2] / "fixtures" / "nursing_trust.json")
PASSWORD = "browser week path password"
RUN_TIMEOUT_MS = 180_000


def test_import_solve_and_read_the_week_grids(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    with new_session(live_server.engine) as session:
        school = auth.get_or_create_school(session, name="E2E Nursing Trust")
        auth.save_user(
            session,
            school=school,
            email="coordinator-weeks@e2e.example.edu",
            name="E2E weeks coordinator",
            role="coordinator",
            password=PASSWORD,
        )
        session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "coordinator-weeks@e2e.example.edu", PASSWORD)
    page.get_by_label("Scenario file (JSON)").set_input_files(NURSING)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("The term was imported.")
    page.get_by_label(re.compile("Time limit")).fill("10")
    page.get_by_role("button", name="Solve").click()
    status = page.locator("[data-field=status]")
    expect(status).to_have_text(re.compile("succeeded|failed|cancelled"), timeout=RUN_TIMEOUT_MS)
    assert status.text_content() == "succeeded", page.locator("[data-field=error]").text_content()
    page.get_by_role("link", name="view the new version").click()
    page.get_by_role("link", name="By week", exact=True).click()
    expect(page.get_by_role("heading", name="By week", exact=True)).to_be_visible()
    sites = page.get_by_role("table", name="Site or unit by week")
    expect(sites).to_contain_text("Ward 1")
    expect(sites.locator("td").first).to_have_text(re.compile(r"^\d+/\d+"))
    students = page.get_by_role("table", name=re.compile("Student by week"))
    expect(students).to_contain_text(re.compile(r"H\d\d/W\d\d"))
    screenshot(page, "20-coordinator-version-weeks")
    with page.expect_download() as download:
        page.get_by_role("link", name="site-by-week grid").click()
    assert download.value.suggested_filename.endswith("-by-site_weeks.csv")
    context.close()
