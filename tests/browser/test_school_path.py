"""A school's whole cycle in a real browser, from a fresh database: `ipe school create`,
the coordinator signs in, imports a term, invites a student and a partner contact, opens a
preference window and asks the partner's site for seats; the student accepts the
invitation, chooses a password and ranks sites; the partner accepts and offers seats; the
coordinator closes the window, solves and publishes; the student sees the schedule."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, screenshot, sign_in
from playwright.sync_api import expect
from typer.testing import CliRunner

from scheduler.cli import app as cli

# About 15-30 s: the tiny term is solved for real by the app's job runner.
pytestmark = pytest.mark.slow

TINY = str(Path(__file__).resolve().parents[2] / "fixtures" / "tiny.json")
COORDINATOR = "first.coordinator@school-path.example.edu"
PASSWORD = "lantern meadow copper violin"
STUDENT_PASSWORD = "harbor pickle saturn woolen"
PARTNER_PASSWORD = "glacier pencil tundra orchid"
RUN_TIMEOUT_MS = 120_000


def _invite(page: Any, email: str, name: str, role: str, **link: str) -> str:
    """Invite through the People page; the link it shows (no mail server in tests)."""
    page.get_by_role("link", name="People").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Role").select_option(role)
    for field, value in link.items():
        page.get_by_label(re.compile(field)).fill(value)
    page.get_by_role("button", name="Send invitation", exact=True).click()
    shown = page.get_by_label(f"Invitation link for {email}")
    expect(shown).to_be_visible()
    return str(shown.input_value())


def _accept(browser: Any, link: str, password: str, name: str) -> Any:
    """Open an invitation in a fresh browser, choose a password; the signed-in page."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("New password again").fill("password1234")
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("common")
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(password)
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.locator(".who")).to_contain_text(name)
    return page


def test_school_from_scratch(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    created = CliRunner().invoke(
        cli,
        [
            "school",
            "create",
            "--name",
            "School Path College",
            "--email",
            COORDINATOR,
            "--coordinator",
            "First Coordinator",
            "--database-url",
            live_server.database_url,
        ],
        env={"IPE_COORDINATOR_PASSWORD": PASSWORD},
    )
    assert created.exit_code == 0, created.output

    coord = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(coord, base, COORDINATOR, PASSWORD)
    expect(coord.get_by_role("heading", name="Terms")).to_be_visible()
    coord.get_by_label("Scenario file (JSON)").set_input_files(TINY)
    coord.get_by_role("button", name="Import").click()
    expect(coord.get_by_role("status")).to_contain_text("The term was imported.")
    term_url = coord.url.split("?")[0]

    student_link = _invite(
        coord, "ana.reyes@students.example.edu", "Ana Reyes", "student", **{"Student id": "T01"}
    )
    partner_link = _invite(
        coord,
        "placements@harborview.example.org",
        "Harborview placements",
        "partner",
        **{"Site id": "SITE-A"},
    )
    screenshot(coord, "school-01-people")

    coord.goto(f"{term_url}/preferences")
    coord.get_by_label("Opens on").fill(str(date.today() - timedelta(days=1)))
    coord.get_by_label("Closes on (last day)").fill(str(date.today() + timedelta(days=7)))
    coord.get_by_label("Number of ranks").fill("2")
    coord.get_by_role("button", name="Open the window").click()
    expect(coord.get_by_role("status")).to_contain_text("preference window is saved")

    coord.goto(f"{term_url}/requests")
    coord.get_by_label("Site", exact=True).select_option("SITE-A")
    coord.get_by_label("Profession", exact=True).select_option("NURS")
    coord.get_by_label("Seats wanted").fill("2")
    coord.get_by_role("button", name="Send the request").click()
    expect(coord.get_by_role("status")).to_contain_text("Request sent")
    screenshot(coord, "school-02-requests")

    student = _accept(browser, student_link, STUDENT_PASSWORD, "Ana Reyes")
    student.get_by_role("link", name="Preferences").click()
    student.get_by_label("Choice 1").select_option(index=1)
    student.get_by_role("button", name="Save my preferences").click()
    expect(student.get_by_role("status")).to_contain_text("Your preferences are saved")
    screenshot(student, "school-03-student-preferences")

    partner = _accept(browser, partner_link, PARTNER_PASSWORD, "Harborview placements")
    partner.get_by_role("link", name="Seat requests").click()
    partner.get_by_label(re.compile("Seats you offer")).fill("2")
    partner.get_by_label(re.compile("Notes")).fill("Tuesdays and Thursdays")
    partner.get_by_role("button", name="Offer seats").click()
    expect(partner.get_by_role("status")).to_contain_text("your offer is now a slot")
    screenshot(partner, "school-04-partner-offer")

    coord.goto(f"{term_url}/requests")
    expect(coord.locator("#requests-caption + thead + tbody")).to_contain_text("offered")
    coord.goto(f"{term_url}/preferences")
    expect(coord.get_by_role("table")).to_contain_text("SITE-")
    coord.get_by_role("button", name="Close and put the rankings into the term").click()
    expect(coord.get_by_role("status")).to_contain_text("rankings are in the term")

    coord.goto(term_url)
    coord.get_by_label(re.compile("Time limit")).fill("4")
    coord.get_by_role("button", name="Solve").click()
    status = coord.locator("[data-field=status]")
    expect(status).to_have_text(re.compile("succeeded|failed|cancelled"), timeout=RUN_TIMEOUT_MS)
    assert status.text_content() == "succeeded", coord.locator("[data-field=error]").text_content()
    coord.get_by_role("link", name="view the new version").click()
    coord.get_by_role("button", name=re.compile("Publish version")).click()
    expect(coord.get_by_role("status")).to_contain_text("The version is published")

    student.get_by_role("link", name="My schedule").click()
    expect(student.get_by_role("heading", name="My schedule")).to_be_visible()
    expect(student.locator("main")).to_contain_text("Tiny term, spring 2027")
    screenshot(student, "school-05-student-schedule")
