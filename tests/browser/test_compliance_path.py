"""The coordinator's compliance page in a real browser: from the term's tabs to the report
of the published compliance term (blocked and at-risk students by credential and by site),
a credential file refused with its line and column, a renewal file imported, the CSV
downloaded, and no serious accessibility violation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    LiveServer,
    describe,
    publish_solved,
    role_users,
    screenshot,
    serious_violations,
    sign_in,
)
from playwright.sync_api import expect

from fixtures import fixture_path
from scheduler.db.engine import new_session
from scheduler.db.tables import UserRow
from scheduler.domain.loading import load_scenario_text
from scheduler.services import auth

PASSWORD = "compliance path password"
BAD = b"student,code,status,issued,expires\nC01,BLS,valid,2026-01-01,someday\n"
GOOD = (
    b"student,code,status,issued,expires\n"
    b"C01,BLS,valid,2026-01-01,2027-03-10\n"
    b"C01,MMR,valid,2020-01-01,\n"
)


@dataclass(frozen=True)
class Published:
    users: dict[str, UserRow]
    term_id: int


@pytest.fixture(scope="module")
def published(live_server: LiveServer) -> Published:
    return _published_compliance_term(live_server)


def test_coordinator_compliance_page(
    browser: Any, live_server: LiveServer, published: Published
) -> None:
    base = live_server.url
    coordinator, term_id = published.users["coordinator"], published.term_id
    context = browser.new_context(  # bypass_csp: axe is injected as an inline script
        viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=True
    )
    page = context.new_page()
    sign_in(page, base, coordinator.email, PASSWORD)
    page.goto(f"{base}/app/terms/{term_id}")
    page.get_by_role("link", name="Compliance", exact=True).click()
    expect(page.get_by_role("heading", name="Onboarding compliance")).to_be_visible()
    expect(page.locator("#compliance-summary")).to_contain_text("blocked")
    by_credential = page.get_by_role("table", name=re.compile("for each credential"))
    expect(by_credential.get_by_role("rowheader", name="BLS")).to_be_visible()
    expect(by_credential.get_by_role("rowheader", name="MMR")).to_be_visible()
    by_site = page.get_by_role("table", name=re.compile("at each site"))
    expect(by_site.get_by_role("rowheader", name="SITE-H")).to_be_visible()
    lines = page.get_by_role("table", name=re.compile("Each credential a student"))
    expect(lines).to_contain_text("BLS expires 2027-03-02")
    expect(lines).to_contain_text("MMR missing")
    violations = serious_violations(page)
    assert violations == [], describe(violations)
    screenshot(page, "compliance-01-report")

    page.get_by_label("Credentials file").set_input_files(
        {"name": "renewals.csv", "mimeType": "text/csv", "buffer": BAD}
    )
    page.get_by_role("button", name="Import credentials").click()
    expect(page.get_by_role("alert")).to_contain_text("renewals.csv:2:expires")
    screenshot(page, "compliance-02-refused")

    page.get_by_label("Credentials file").set_input_files(
        {"name": "renewals.csv", "mimeType": "text/csv", "buffer": GOOD}
    )
    page.get_by_role("button", name="Import credentials").click()
    expect(page.get_by_role("status")).to_contain_text("The credentials were imported")
    lines = page.get_by_role("table", name=re.compile("Each credential a student"))
    (ada,) = [row for row in lines.get_by_role("row", name=re.compile("Ada Lind")).all()]
    expect(ada).to_contain_text("BLS expires 2027-03-10")
    expect(ada).to_contain_text("at risk")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("student,name,profession,site,period,credential,state")
    assert "BLS expires 2027-03-10" in text
    screenshot(page, "compliance-03-imported")
    context.close()


def test_student_and_partner_compliance_pages(
    browser: Any, live_server: LiveServer, published: Published
) -> None:
    """Bo Nakamura (C02, BLS expiring 2027-03-02) sees the credential and what the hospital
    requires; the hospital's partner sees, for each placed student, only met or not."""
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, published.users["student"].email, PASSWORD)
    page.get_by_role("link", name="Credentials").click()
    expect(page.get_by_role("heading", name="My credentials", exact=True)).to_be_visible()
    table = page.get_by_role("table", name=re.compile("Your credentials"))
    expect(table.get_by_role("row", name=re.compile("BLS"))).to_contain_text("2027-03-02")
    expect(page.get_by_text(re.compile("requires no credential|BLS: met"))).to_be_visible()
    screenshot(page, "compliance-04-student")
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, published.users["partner"].email, PASSWORD)
    page.get_by_role("link", name="Compliance", exact=True).click()
    expect(page.get_by_role("heading", name="Compliance of placed students")).to_be_visible()
    expect(page.get_by_text("Required: BLS, MMR").first).to_be_visible()
    expect(page.get_by_text(re.compile("requirements met")).first).to_be_visible()
    assert "2027-03-02" not in page.content()
    screenshot(page, "compliance-05-partner")
    context.close()


def _published_compliance_term(server: LiveServer) -> Published:
    """A school with a coordinator, student C02 and SITE-H's partner; the compliance
    fixture solved and published."""
    loaded = load_scenario_text(fixture_path("compliance").read_text())
    assert loaded.scenario is not None
    scenario = loaded.scenario
    with new_session(server.engine) as session:
        school = auth.get_or_create_school(session, name="Compliance Path School")
        users = role_users(
            session,
            school,
            path="compliance-path",
            label="Compliance",
            password=PASSWORD,
            refs={
                "coordinator": {},
                "student": {"student_ref": "C02"},
                "partner": {"site_ref": "SITE-H"},
            },
        )
        term_id, _ = publish_solved(session, actor=users["coordinator"], scenario=scenario)
        session.commit()
        return Published(users, term_id)
