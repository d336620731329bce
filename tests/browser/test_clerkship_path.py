"""Student plans in a real browser: a coordinator imports the clerkship fixture (plans,
disciplines, precedences), solves it, and reads each student's rotations with their
disciplines on the version's students page."""

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

CLERKSHIP = str(Path(__file__).resolve().parents[2] / "fixtures" / "clerkship.json")
PASSWORD = "browser test password"
RUN_TIMEOUT_MS = 120_000


def test_import_solve_and_read_rotations_with_disciplines(
    browser: Any, live_server: LiveServer
) -> None:
    base = live_server.url
    with new_session(live_server.engine) as session:
        school = auth.get_or_create_school(session, name="E2E Clerkship School")
        auth.save_user(
            session,
            school=school,
            email="clerkship-coordinator@e2e.example.edu",
            name="E2E clerkship coordinator",
            role="coordinator",
            password=PASSWORD,
        )
        session.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "clerkship-coordinator@e2e.example.edu", PASSWORD)
    page.get_by_label("Scenario file (JSON)").set_input_files(CLERKSHIP)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("The term was imported.")
    page.get_by_label(re.compile("Time limit")).fill("5")
    page.get_by_role("button", name="Solve").click()
    status = page.locator("[data-field=status]")
    expect(status).to_have_text(re.compile("succeeded|failed|cancelled"), timeout=RUN_TIMEOUT_MS)
    assert status.text_content() == "succeeded", page.locator("[data-field=error]").text_content()
    page.get_by_role("link", name="view the new version").click()
    page.get_by_role("link", name=re.compile("^By student")).click()
    expect(page.get_by_role("heading", name="By student", exact=True)).to_be_visible()
    expect(
        page.get_by_role("cell", name=re.compile(r"Teaching hospital \d (IMED|SURG)"))
    ).not_to_have_count(0)
    screenshot(page, "clerkship-version-students")
