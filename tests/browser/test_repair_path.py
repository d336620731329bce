"""The repair path in a real browser: a partner declines a slot of the published schedule;
the coordinator sees the decline on the repair page, starts a repair, watches it, reviews
the preview (who changes and why, the objective levels before and after) and publishes it;
the student it moved has a message."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, publish_solved, role_users, run_succeeds, screenshot, sign_in
from playwright.sync_api import expect
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import OutboxMessageRow, UserRow
from scheduler.domain.loading import load_scenario_text
from scheduler.services import auth

pytestmark = pytest.mark.slow  # a real solve in a worker process (about 15 s)

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny.json"
PASSWORD = "repair path password"
REASON = "Ward closed for building works"
RUN_TIMEOUT_MS = 120_000


def test_decline_repair_preview_publish(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    coordinator, partner, term_id, holder = _published_tiny_term(live_server)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, partner.email, PASSWORD)
    page.get_by_text("Decline this slot (SL-B1)", exact=True).click()
    page.get_by_label("Reason for declining SL-B1", exact=True).fill(REASON)
    page.get_by_role("button", name="Decline SL-B1", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Slot declined")
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, coordinator.email, PASSWORD)
    page.goto(f"{base}/app/terms/{term_id}")
    page.get_by_role("link", name="Changes and repair").click()
    expect(page.get_by_role("heading", name="What changed since publication")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Partner responses since"))).to_contain_text(
        REASON
    )
    expect(page.locator("#broken-summary")).to_contain_text("1 student must change")
    screenshot(page, "repair-01-what-changed")

    page.get_by_label("Repair (fewest changes; recommended)").check()
    page.get_by_label(re.compile("Time limit")).fill("5")
    page.get_by_role("button", name="Start").click()
    run_succeeds(page, RUN_TIMEOUT_MS)
    page.get_by_role("link", name="view the new version").click()

    expect(
        page.get_by_role("heading", name=re.compile("^Changes against the published version"))
    ).to_be_visible()
    affected = int(page.locator("#people-affected").inner_text())
    assert affected >= 1
    changes = page.get_by_role("table", name=re.compile("Every change"))
    expect(changes.get_by_role("row", name=re.compile(holder)).first).to_be_visible()
    levels = page.get_by_role("table", name=re.compile("Published version .* against version"))
    expect(levels.get_by_role("rowheader", name="coverage")).to_be_visible()
    expect(levels.get_by_role("rowheader", name="stability")).to_be_visible()
    expect(page.locator("input[name=confirm]")).to_have_count(0)  # the repair is the minimum
    screenshot(page, "repair-02-preview")

    page.get_by_role(
        "button", name=re.compile(f"Publish version .*{affected} people affected")
    ).click()
    expect(page.get_by_role("status")).to_contain_text("The version is published")
    screenshot(page, "repair-03-published")
    context.close()

    with new_session(live_server.engine) as session:
        told = session.exec(
            select(OutboxMessageRow.recipient_ref).where(
                col(OutboxMessageRow.term_id) == term_id,
                col(OutboxMessageRow.recipient_kind) == "student",
            )
        ).all()
    assert told.count(holder_ref(live_server, term_id, holder)) >= 1


def holder_ref(server: LiveServer, term_id: int, name: str) -> str:
    scenario = load_scenario_text(TINY.read_text()).scenario
    assert scenario is not None
    return next(s.id for s in scenario.students if s.name == name)


def _published_tiny_term(server: LiveServer) -> tuple[UserRow, UserRow, int, str]:
    """School, coordinator and SITE-B partner; the tiny term solved and published; the
    name of the student placed in SL-B1."""
    loaded = load_scenario_text(TINY.read_text())
    assert loaded.scenario is not None
    scenario = loaded.scenario.model_copy(
        update={"term": loaded.scenario.term.model_copy(update={"id": "repair-path"})}
    )
    with new_session(server.engine) as session:
        school = auth.get_or_create_school(session, name="Repair Path School")
        users = role_users(
            session,
            school,
            path="repair-path",
            label="Repair",
            password=PASSWORD,
            refs={"coordinator": {}, "partner": {"site_ref": "SITE-B"}},
        )
        term_id, schedule = publish_solved(session, actor=users["coordinator"], scenario=scenario)
        session.commit()
        holder = next(p.student for p in schedule.placements if p.slot == "SL-B1")
        name = next(s.name for s in scenario.students if s.id == holder)
        return users["coordinator"], users["partner"], term_id, name
