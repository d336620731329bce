"""The capacity-calendar path in a real browser: a coordinator imports the nursing-trust
fixture (wards with weekly capacity by year, history), solves it, opens the new version's
"By week" view and finds each ward's weekly utilisation and each student's weeks, with
both grids as CSV downloads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, add_user, import_scenario, run_succeeds, screenshot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

NURSING = str(Path(__file__).resolve().parents[2] / "fixtures" / "nursing_trust.json")
PASSWORD = "browser week path password"
RUN_TIMEOUT_MS = 180_000


def test_import_solve_and_read_the_week_grids(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    add_user(
        live_server.engine,
        school="E2E Nursing Trust",
        email="coordinator-weeks@e2e.example.edu",
        name="E2E weeks coordinator",
        password=PASSWORD,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "coordinator-weeks@e2e.example.edu", PASSWORD)
    import_scenario(page, NURSING)
    page.get_by_label(re.compile("Time limit")).fill("10")
    page.get_by_role("button", name="Solve").click()
    run_succeeds(page, RUN_TIMEOUT_MS)
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
