"""Alternatives in a real browser: the coordinator asks for three schedules of the demo term,
watches the run, compares the alternatives side by side and publishes the second one.
Asserts what the page shows and what is published, never solver figures."""

from __future__ import annotations

import re
from pathlib import Path
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
from sqlmodel import col, select

from scheduler.db.engine import new_session
from scheduler.db.tables import ScheduleVersionRow, SolveRunRow, UserRow
from scheduler.domain.loading import load_scenario_text
from scheduler.services import auth, terms

pytestmark = pytest.mark.slow  # three searches of the demo term in a worker (about 20 s)

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"
PASSWORD = "alternatives path password"
RUN_TIMEOUT_MS = 240_000


def test_compare_three_alternatives_and_publish_one(browser: Any, live_server: LiveServer) -> None:
    base = live_server.url
    coordinator, term_id = _demo_term(live_server)
    # bypass_csp lets the test inject axe-core; the app's own pages run under the strict CSP
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, base, coordinator.email, PASSWORD)
    page.goto(f"{base}/app/terms/{term_id}")
    page.get_by_label(re.compile("^Time limit")).fill("5")
    page.get_by_label(re.compile("^Schedules to compare")).fill("3")
    page.get_by_label(re.compile("per cent worse than the best")).fill("2")
    page.get_by_role("button", name="Solve").click()
    run_succeeds(page, RUN_TIMEOUT_MS)
    page.get_by_role("link", name="compare the alternatives").click()

    table = page.get_by_role("table", name="Alternatives side by side")
    for index in (1, 2, 3):
        expect(
            table.get_by_role("columnheader", name=re.compile(f"^Alternative {index}"))
        ).to_be_visible()
    valid = table.get_by_role("row", name=re.compile("^Valid now"))
    expect(valid.get_by_role("cell", name="yes", exact=True)).to_have_count(3)
    moved = table.get_by_role("row", name=re.compile("^Students moved against alternative 1"))
    cells = [int(text) for text in moved.get_by_role("cell").all_inner_texts()]
    assert cells[0] == 0 and all(count > 0 for count in cells[1:]), cells
    expect(table.get_by_role("rowheader", name=re.compile("^coverage"))).to_be_visible()
    expect(table.get_by_role("rowheader", name=re.compile("^Equity flags"))).to_be_visible()
    assert serious_violations(page) == [], describe(serious_violations(page))
    screenshot(page, "alternatives-01-compare")

    page.get_by_role("button", name="Publish alternative 2").click()
    expect(page.get_by_role("status")).to_contain_text("The version is published")
    screenshot(page, "alternatives-02-published")
    context.close()

    with new_session(live_server.engine) as session:
        run = session.exec(select(SolveRunRow).where(col(SolveRunRow.term_id) == term_id)).one()
        saved = session.exec(
            select(ScheduleVersionRow)
            .where(col(ScheduleVersionRow.run_id) == run.id)
            .order_by(col(ScheduleVersionRow.number))
        ).all()
    assert [v.state for v in saved] == ["draft", "published", "draft"]


def _demo_term(server: LiveServer) -> tuple[UserRow, int]:
    """A school and its coordinator with the demo term imported (nothing solved yet)."""
    loaded = load_scenario_text(DEMO.read_text())
    assert loaded.scenario is not None
    scenario = loaded.scenario.model_copy(
        update={"term": loaded.scenario.term.model_copy(update={"id": "alternatives-path"})}
    )
    with new_session(server.engine) as session:
        school = auth.get_or_create_school(session, name="Alternatives Path School")
        (coordinator,) = role_users(
            session,
            school,
            path="alternatives-path",
            label="Alternatives",
            password=PASSWORD,
            refs={"coordinator": {}},
        ).values()
        term = terms.create_term(session, actor=coordinator, scenario=scenario)
        session.commit()
        return coordinator, term.id or 0
