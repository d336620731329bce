"""What-ifs in a real browser: the coordinator opens the unmet needs of a solved term that
is a seat short, starts a what-if search (a job on the solve-run queue), watches it end,
applies the verified suggestion as an edit of the term, solves again, and the new version
meets the need; the page passes axe's serious checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import (
    LiveServer,
    describe,
    role_users,
    run_succeeds,
    screenshot,
    serious_violations,
    sign_in,
)
from playwright.sync_api import expect
from service_support import scenario_of, seat_short_document

from scheduler.db.engine import new_session
from scheduler.services import auth, solving, terms, versions

pytestmark = pytest.mark.slow  # a what-if search and a solve in worker processes

PASSWORD = "what-if path password"
RUN_TIMEOUT_MS = 120_000


def test_search_apply_and_solve_again(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    email, term_id, version_id = _solved_seat_short_term(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, email, PASSWORD)
    page.goto(f"{base}/app/terms/{term_id}/versions/{version_id}/unmet")
    expect(page.get_by_role("heading", name="What would meet more needs?")).to_be_visible()
    unmet_before = page.get_by_role("table", name=re.compile("Every unmet need"))
    expect(unmet_before).to_contain_text("(2)")
    screenshot(page, "whatif-00-unmet")

    page.get_by_label("Time limit (seconds)").fill("20")
    page.get_by_role("button", name="Search what-ifs for the whole term").click()
    expect(page.get_by_role("heading", name=re.compile("What-if search"))).to_be_visible()
    expect(page.get_by_role("heading", name="Suggestions")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    suggestions = page.get_by_role("table", name=re.compile("Verified changes"))
    expect(suggestions).to_contain_text("add 1 NURS seat(s) to slot SL-A1")
    screenshot(page, "whatif-01-suggestions")
    _assert_accessible(browser, base, email, page.url)

    page.get_by_role("button", name=re.compile("Apply: add 1 NURS seat")).click()
    expect(page.get_by_role("status").filter(has_text="Applied")).to_be_visible()
    screenshot(page, "whatif-02-applied")
    page.get_by_label("Time limit (seconds)").fill("5")
    page.get_by_role("button", name="Solve again").click()
    run_succeeds(page, RUN_TIMEOUT_MS)
    page.get_by_role("link", name="view the new version").click()
    page.goto(page.url.rstrip("/") + "/unmet")
    expect(page.get_by_role("table", name=re.compile("Every unmet need"))).to_contain_text("(1)")
    context.close()


def _assert_accessible(browser: Any, base: str, email: str, url: str) -> None:
    """axe in a context of its own (its script is inline, which the pages' CSP refuses)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, base, email, PASSWORD)
    page.goto(url)
    violations = serious_violations(page)
    context.close()
    assert not violations, describe(violations)


def _solved_seat_short_term(server: LiveServer) -> tuple[str, int, int]:
    """A coordinator and the seat-short tiny term, solved: email, term id, version id."""
    scenario = scenario_of(seat_short_document(id="whatif-path"))
    with new_session(server.engine) as session:
        school = auth.get_or_create_school(session, name="What-if Path School")
        (coordinator,) = role_users(
            session,
            school,
            path="whatif-path",
            label="What-if",
            password=PASSWORD,
            refs={"coordinator": {}},
        ).values()
        term = terms.create_term(session, actor=coordinator, scenario=scenario)
        outcome = solving.solve_scenario(scenario=scenario, time_limit_s=10, workers=1, seed=0)
        assert outcome.trusted, outcome.violations
        version = versions.record_schedule(
            session, term=term, scenario=scenario, schedule=outcome.schedule
        )
        session.commit()
        return coordinator.email, term.id or 0, version.id or 0
