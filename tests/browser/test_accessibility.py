"""axe-core (vendored, see vendor/README.md) on pages of every role: no violation of impact
serious or critical. The pages show the tiny term, solved and published in a school of
its own on the live server's database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import LiveServer, describe, screenshot, serious_violations, sign_in
from playwright.sync_api import expect
from service_support import TINY, scenario_of, tiny_schedule

from scheduler.db.engine import new_session
from scheduler.db.tables import SolveRunRow
from scheduler.services import auth, terms, versions

PASSWORD = "accessibility password"


@dataclass(frozen=True)
class Published:
    term_id: int
    version_id: int
    run_id: int
    emails: dict[str, str]


@pytest.fixture(scope="module")
def published(live_server: LiveServer) -> Published:
    """The tiny term with a finished run and a published version, and one user per role."""
    import json

    with new_session(live_server.engine) as session:
        school = auth.get_or_create_school(session, name="Accessibility School")
        emails = {
            "coordinator": "coordinator@a11y.example.edu",
            "student": "t01@a11y.example.edu",
            "partner": "site-b@a11y.example.org",
        }
        users = {
            role: auth.save_user(
                session,
                school=school,
                email=email,
                name=f"A11y {role}",
                role=role,
                password=PASSWORD,
                student_ref="T01" if role == "student" else None,
                site_ref="SITE-B" if role == "partner" else None,
            )
            for role, email in emails.items()
        }
        scenario = scenario_of(json.loads(TINY.read_text()))
        term = terms.create_term(session, actor=users["coordinator"], scenario=scenario)
        schedule = tiny_schedule()
        run = SolveRunRow(
            term_id=term.id or 0,
            status="succeeded",
            time_limit_s=10,
            workers=1,
            seed=0,
            progress_level=schedule.objectives[-1].name if schedule.objectives else None,
            progress_best=schedule.objectives[-1].value if schedule.objectives else None,
            progress_bound=schedule.objectives[-1].bound if schedule.objectives else None,
            progress_elapsed_s=1.0,
        )
        session.add(run)
        session.flush()
        version = versions.record_schedule(
            session, term=term, scenario=scenario, schedule=schedule, run=run
        )
        versions.publish_version(
            session,
            actor=users["coordinator"],
            term_id=term.id or 0,
            version_id=version.id or 0,
            delivery=None,
        )
        session.commit()
        return Published(term.id or 0, version.id or 0, run.id or 0, emails)


PAGES = {
    "login": (None, "/app/login"),
    "coordinator-term": ("coordinator", "/app/terms/{term}"),
    "coordinator-run": ("coordinator", "/app/terms/{term}/runs/{run}"),
    "coordinator-version": ("coordinator", "/app/terms/{term}/versions/{version}"),
    "coordinator-students": ("coordinator", "/app/terms/{term}/versions/{version}/students"),
    "coordinator-disclosures": ("coordinator", "/app/terms/{term}/students/T01/disclosures"),
    "coordinator-equity": ("coordinator", "/app/terms/{term}/equity"),
    "coordinator-repair": ("coordinator", "/app/terms/{term}/repair"),
    "coordinator-changes": ("coordinator", "/app/terms/{term}/versions/{version}/changes"),
    "coordinator-outbox": ("coordinator", "/app/terms/{term}/outbox"),
    "coordinator-access": ("coordinator", "/app/access"),
    "student-schedule": ("student", "/app/me"),
    "partner-slots": ("partner", "/app/partner"),
    "coordinator-compliance": ("coordinator", "/app/terms/{term}/compliance"),
    "student-compliance": ("student", "/app/me/compliance"),
    "partner-compliance": ("partner", "/app/partner/compliance"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(
    name: str, browser: Any, live_server: LiveServer, published: Published
) -> None:
    role, template = PAGES[name]
    path = template.format(
        term=published.term_id, run=published.run_id, version=published.version_id
    )
    # Playwright injects axe as a script; the pages' CSP would (rightly) refuse it.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if role is not None:
        sign_in(page, live_server.url, published.emails[role], PASSWORD)
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("main h1").first).to_be_visible()
    if name == "coordinator-run":
        expect(page.locator("#charts svg").first).to_be_visible()
    if name == "coordinator-equity":
        expect(page.locator("figure.equity-chart svg").first).to_be_visible()
    if name == "coordinator-disclosures":
        expect(page.get_by_role("table")).to_be_visible()
    violations = serious_violations(page)
    screenshot(page, f"a11y-{name}")
    context.close()
    assert not violations, describe(violations)


def test_the_check_catches_a_known_violation(browser: Any, live_server: LiveServer) -> None:
    """The harness itself works: an image without a text alternative is critical."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    found = {v["id"] for v in serious_violations(page)}
    context.close()
    assert "image-alt" in found


def test_signing_in_works_with_the_keyboard_alone(
    browser: Any, live_server: LiveServer, published: Published
) -> None:
    """Tab reaches the skip link first, then the form; Enter signs in."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/app/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    expect(page.locator(":focus")).to_have_attribute("id", "email")
    page.keyboard.type(published.emails["partner"])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Our slots")).to_be_visible()
    context.close()


def test_wide_tables_scroll_in_their_box_with_the_first_column_in_view(
    browser: Any, live_server: LiveServer, published: Published
) -> None:
    """The equity table on a phone: the page never scrolls sideways, the table's box does,
    and its group column stays put (sticky)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server.url, published.emails["coordinator"], PASSWORD)
    page.goto(f"{live_server.url}/app/terms/{published.term_id}/equity")
    table = page.locator("table.equity")
    expect(table).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways ({overflow}px)"
    first = table.locator("tbody tr th").first
    assert first.evaluate("e => getComputedStyle(e).position") == "sticky"
    wrap = page.locator(".table-wrap", has=table)
    assert wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    screenshot(page, "layout-equity-phone")
    context.close()


def test_the_partner_page_groups_slots_by_period_with_the_decline_form_collapsed(
    browser: Any, live_server: LiveServer, published: Published
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, published.emails["partner"], PASSWORD)
    expect(page.get_by_role("heading", name=re.compile(r"\(\d+ slots?\)")).first).to_be_visible()
    reason = page.locator("textarea[name=reason]").first
    expect(reason).to_be_hidden()
    page.locator("details.decline summary").first.click()
    expect(reason).to_be_visible()
    screenshot(page, "layout-partner")
    context.close()
