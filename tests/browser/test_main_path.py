"""The main path in a real browser: a coordinator imports the demo term, solves it (watching
the progress chart), and publishes it; a student signs in and sees their sessions and
placements (on a desktop and on a phone-sized screen); a partner declines a slot with a
reason; the coordinator sees the decline, the equity report and the student's disclosure
log (the partner saw them). Every page is saved as a screenshot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, add_user, import_scenario, screenshot, sign_in
from playwright.sync_api import expect

from scheduler.db import repositories
from scheduler.db.engine import new_session
from scheduler.db.tables import UserRow
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services import term_rows, versions

# About 20-30 s: the demo term is imported and solved for real (see README, "Tests").
pytestmark = pytest.mark.slow

DEMO = str(Path(__file__).resolve().parents[2] / "fixtures" / "demo.json")
PASSWORD = "browser test password"
SOLVE_SECONDS = "4"
RUN_TIMEOUT_MS = 120_000
PHONE = {"width": 390, "height": 844}


def test_import_solve_publish_then_student_partner_and_coordinator(
    browser: Any, live_server: LiveServer
) -> None:
    base = live_server.url
    coordinator = _account(live_server, "coordinator", "coordinator@e2e.example.edu")
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()

    page.goto(f"{base}/app/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "01-login")
    sign_in(page, base, coordinator.email, PASSWORD)
    expect(page.get_by_role("heading", name="Terms")).to_be_visible()
    screenshot(page, "02-coordinator-terms")

    import_scenario(page, DEMO)
    term_url = page.url.split("?")[0]
    screenshot(page, "03-coordinator-term")

    page.get_by_label(re.compile("Time limit")).fill(SOLVE_SECONDS)
    page.get_by_role("button", name="Solve").click()
    expect(page.get_by_role("button", name="Cancel run")).to_be_visible()
    screenshot(page, "04-coordinator-run-live")
    status = page.locator("[data-field=status]")
    expect(status).to_have_text(re.compile("succeeded|failed|cancelled"), timeout=RUN_TIMEOUT_MS)
    error = page.locator("[data-field=error]").text_content()
    assert status.text_content() == "succeeded", f"the run ended {status.text_content()}: {error}"
    expect(page.locator("#charts svg").first).to_be_visible()
    expect(page.get_by_role("button", name="Cancel run")).to_be_hidden()
    screenshot(page, "05-coordinator-run-finished")

    page.get_by_role("link", name="view the new version").click()
    expect(page.get_by_role("heading", name="By session")).to_be_visible()
    page.get_by_role("button", name=re.compile("Publish version")).click()
    expect(page.get_by_role("status")).to_contain_text("The version is published")
    screenshot(page, "06-coordinator-version-by-session")
    for view, heading in (
        ("sites", "By site and period"),
        ("students", "By student"),
        ("unmet", "Unmet needs"),
    ):
        page.get_by_role("link", name=re.compile(f"^{heading}")).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        screenshot(page, f"07-coordinator-version-{view}")
    page.get_by_role("link", name=re.compile("^Equity report of version")).click()
    expect(page.get_by_role("heading", name="Flagged gaps")).to_be_visible()
    groups = page.get_by_role("table", name=re.compile("Each group's figure"))
    expect(groups.get_by_role("rowheader", name="all students")).to_be_visible()
    expect(groups).to_contain_text("suppressed")
    screenshot(page, "08-coordinator-equity")

    chosen = _student_with_placement(live_server, coordinator)
    student = _account(live_server, "student", "student@e2e.example.edu", student=chosen.student)
    partner = _account(live_server, "partner", "partner@e2e.example.edu", site=chosen.site)

    _student_sees_schedule(browser, base, student, chosen)
    _partner_declines(browser, base, partner, chosen)

    page.goto(f"{term_url}/slots")
    row = page.get_by_role("row", name=re.compile(re.escape(chosen.slot)))
    expect(row.first).to_contain_text("declined")
    expect(row.first).to_contain_text(DECLINE_REASON)
    screenshot(page, "14-coordinator-sees-decline")

    page.get_by_role("link", name="Published schedule").click()
    page.get_by_role("link", name="By student", exact=True).click()
    page.get_by_role("link", name=f"Disclosures of {chosen.name} ({chosen.student})").click()
    expect(
        page.get_by_role("heading", name=re.compile(f"^Disclosure log: {chosen.name}"))
    ).to_be_visible()
    log = page.get_by_role("table", name=re.compile("Disclosures of the record"))
    expect(
        log.get_by_role("row", name=re.compile(re.escape(chosen.site_name))).first
    ).to_be_visible()
    expect(log).to_contain_text(partner.email)
    screenshot(page, "15-coordinator-disclosure-log")
    desk.close()


DECLINE_REASON = "Our preceptor is on leave that month"


@dataclass(frozen=True)
class Chosen:
    """A student with sessions and a placement in the published schedule, and where."""

    student: str
    name: str
    slot: str
    site: str
    site_name: str
    activities: list[str]


def _account(
    server: LiveServer,
    role: str,
    email: str,
    *,
    student: str | None = None,
    site: str | None = None,
) -> UserRow:
    return add_user(
        server.engine,
        school="E2E School of Health",
        email=email,
        name=f"E2E {role}",
        password=PASSWORD,
        role=role,
        student_ref=student,
        site_ref=site,
    )


def _student_with_placement(server: LiveServer, coordinator: UserRow) -> Chosen:
    """Read the published schedule and pick a student who has both kinds of entries."""
    with new_session(server.engine) as session:
        term = repositories.coordinator_terms(session, coordinator)[0]
        version = repositories.published_version(session, term.id or 0)
        assert version is not None, "the page said it published"
        schedule = versions.version_schedule(version)
        scenario = term_rows.stored_scenario(term)
    return _pick(scenario, schedule)


def _pick(scenario: Scenario, schedule: Schedule) -> Chosen:
    attending = {s for e in schedule.sessions for t in e.teams for s in t.students}
    slots = {s.id: s for s in scenario.slots}
    sites = {s.id: s.name for s in scenario.sites}
    names = {s.id: s.name for s in scenario.students}
    activities = {a.id: a.name for a in scenario.activities}
    placement = next(p for p in schedule.placements if p.student in attending)
    site = slots[placement.slot].site
    attended = {
        activities[e.activity]
        for e in schedule.sessions
        for t in e.teams
        if placement.student in t.students
    }
    return Chosen(
        student=placement.student,
        name=names[placement.student],
        slot=placement.slot,
        site=site,
        site_name=sites[site],
        activities=sorted(attended),
    )


def _student_sees_schedule(browser: Any, base: str, student: UserRow, chosen: Chosen) -> None:
    for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, is_mobile=label == "phone")
        page = context.new_page()
        sign_in(page, base, student.email, PASSWORD)
        expect(page.get_by_role("heading", name="My schedule")).to_be_visible()
        expect(page.get_by_role("heading", name="IPE sessions")).to_be_visible()
        for activity in chosen.activities:
            expect(page.get_by_role("heading", name=activity).first).to_be_visible()
        expect(page.get_by_role("heading", name=chosen.site_name).first).to_be_visible()
        expect(page.get_by_text("Every week:").first).to_be_visible()
        expect(page.get_by_text("This is the first published schedule")).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways on a {label} ({overflow}px)"
        screenshot(page, f"{'09' if label == 'desktop' else '10'}-student-{label}")
        if label == "desktop":
            page.get_by_role("button", name="Make a calendar address").click()
            expect(page.get_by_label("Calendar address")).to_have_value(re.compile(r"/feeds/"))
            screenshot(page, "11-student-feed-address")
        context.close()


def _partner_declines(browser: Any, base: str, partner: UserRow, chosen: Chosen) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, partner.email, PASSWORD)
    expect(page.get_by_role("heading", name="Our slots")).to_be_visible()
    expect(page.get_by_text(chosen.name).first).to_be_visible()
    screenshot(page, "12-partner-slots")
    page.get_by_text(f"Decline this slot ({chosen.slot})", exact=True).click()
    page.get_by_label(f"Reason for declining {chosen.slot}", exact=True).fill(DECLINE_REASON)
    page.get_by_role("button", name=f"Decline {chosen.slot}", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Slot declined")
    heading = page.get_by_role("heading", name=re.compile(f"^{re.escape(chosen.slot)} "))
    expect(page.locator("li.slot").filter(has=heading)).to_contain_text("declined")
    screenshot(page, "13-partner-after-decline")
    context.close()
