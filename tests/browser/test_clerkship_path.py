"""Student plans in a real browser: a coordinator imports the clerkship fixture (plans,
disciplines, precedences), solves it, and reads each student's rotations with their
disciplines on the version's students page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, add_user, import_scenario, run_succeeds, screenshot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

CLERKSHIP = str(Path(__file__).resolve().parents[2] / "fixtures" / "clerkship.json")
PASSWORD = "browser test password"
RUN_TIMEOUT_MS = 120_000


def test_import_solve_and_read_rotations_with_disciplines(
    browser: Any, live_server: LiveServer
) -> None:
    base = live_server.url
    add_user(
        live_server.engine,
        school="E2E Clerkship School",
        email="clerkship-coordinator@e2e.example.edu",
        name="E2E clerkship coordinator",
        password=PASSWORD,
    )
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "clerkship-coordinator@e2e.example.edu", PASSWORD)
    import_scenario(page, CLERKSHIP)
    page.get_by_label(re.compile("Time limit")).fill("5")
    page.get_by_role("button", name="Solve").click()
    run_succeeds(page, RUN_TIMEOUT_MS)
    page.get_by_role("link", name="view the new version").click()
    page.get_by_role("link", name=re.compile("^By student")).click()
    expect(page.get_by_role("heading", name="By student", exact=True)).to_be_visible()
    expect(
        page.get_by_role("cell", name=re.compile(r"Teaching hospital \d (IMED|SURG)"))
    ).not_to_have_count(0)
    screenshot(page, "clerkship-version-students")
