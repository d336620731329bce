"""Capacity calendars edited in the pages: a coordinator imports a ward term without units,
gives site H1 a unit, puts two slots in it and adds a weekly capacity of 1 on the items
pages, solves, and finds the unit's row of the week grid at most 1 placed in every week."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer, screenshot, sign_in
from factories import site, slot
from playwright.sync_api import expect
from weekly_factories import ward_term

from scheduler.db.engine import new_session
from scheduler.services import auth

pytestmark = pytest.mark.slow

PASSWORD = "browser calendar edit password"
EMAIL = "coordinator-calendar@e2e.example.edu"
RUN_TIMEOUT_MS = 180_000


def _plain_ward_term(path: Path) -> Path:
    """The ward term with no units and no weekly capacities: the pages add them."""
    scenario = ward_term(
        sites=[site("H1"), site("H2", 45.1, -75.1, tags=["community"])],
        slots=[
            slot("L1", capacity=3),
            slot("L2", period="P2", capacity=3),
            slot("L3", site="H2", period="P3", capacity=3),
        ],
    )
    scenario = scenario.model_copy(
        update={"term": scenario.term.model_copy(update={"id": "wards-e2e", "name": "Wards"})}
    )
    path.write_text(json.dumps(scenario.model_dump(mode="json", exclude_none=True)))
    return path


def _save_item(page: Any, items: str, ref: str, **fields: str) -> None:
    page.goto(f"{items}?edit={ref}#item-form")
    for name, value in fields.items():
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name=f"Save {ref}").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")


def test_weekly_capacity_and_unit_from_the_pages_bind_the_week_grid(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    with new_session(live_server.engine) as session:
        school = auth.get_or_create_school(session, name="E2E Wards")
        auth.save_user(
            session,
            school=school,
            email=EMAIL,
            name="E2E calendar coordinator",
            role="coordinator",
            password=PASSWORD,
        )
        session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, EMAIL, PASSWORD)
    page.get_by_label("Scenario file (JSON)").set_input_files(
        str(_plain_ward_term(tmp_path / "wards.json"))
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("The term was imported.")
    term_page = re.sub(r"[?#].*$", "", page.url)
    term_id = re.search(r"/app/terms/(\d+)", term_page).group(1)  # type: ignore[union-attr]
    items = f"{base}/app/terms/{term_id}/items"

    _save_item(page, f"{items}/sites", "H1", units="W1:Ward 1")
    _save_item(page, f"{items}/slots", "L1", unit="W1")
    _save_item(page, f"{items}/slots", "L2", unit="W1")
    page.goto(f"{items}/weekly_capacities")
    page.locator("#f-site").fill("H1")
    page.locator("#f-unit").fill("W1")
    page.locator("#f-capacity").fill("1")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Added.")
    expect(page.get_by_role("table")).to_contain_text("W1")
    screenshot(page, "21-coordinator-weekly-capacities")

    page.goto(f"{base}/app/terms/{term_id}")
    page.get_by_label(re.compile("Time limit")).fill("10")
    page.get_by_role("button", name="Solve").click()
    status = page.locator("[data-field=status]")
    expect(status).to_have_text(re.compile("succeeded|failed|cancelled"), timeout=RUN_TIMEOUT_MS)
    assert status.text_content() == "succeeded", page.locator("[data-field=error]").text_content()
    page.get_by_role("link", name="view the new version").click()
    page.get_by_role("link", name="By week", exact=True).click()
    grid = page.get_by_role("table", name="Site or unit by week")
    ward = grid.locator("tr", has_text="Ward 1")
    expect(ward).to_have_count(1)
    cells = ward.locator("td").all_text_contents()
    counts = [tuple(int(n) for n in c.split()[0].split("/")) for c in cells]
    assert counts and all(placed <= 1 for placed, _ in counts), cells  # the weekly cap
    assert (1, 1) in counts, cells  # the capacity of 1 shows, and the unit is used
    screenshot(page, "22-coordinator-weeks-after-page-edits")
    context.close()
