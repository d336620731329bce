"""Browser tests: Debian's Chromium driven by Playwright against the app served by uvicorn.

- Chromium is `/usr/bin/chromium` from Debian; when it is missing, the session installs it
  with apt-get (we are root in CI and on developer machines). Playwright never downloads a
  browser here. If Chromium cannot be had, every browser test is skipped with the reason.
- The app runs in a thread of this process, on a free 127.0.0.1 port, on a fresh SQLite
  database built by the migrations, with the real job runner (solves run in worker
  processes exactly as in production).
- Screenshots of every page visited go to `test-artifacts/browser/`.
- The paths share their setup here: accounts, a term solved and published in-process,
  importing a scenario through the page and waiting for a run to succeed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import expect
from ports import listening_socket, port_of
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.db.engine import make_engine, new_session
from scheduler.db.migrate import upgrade
from scheduler.db.tables import SchoolRow, UserRow
from scheduler.domain.scenario import Scenario
from scheduler.domain.schedule import Schedule
from scheduler.services import auth, solving, terms, versions
from scheduler.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APT_TIMEOUT_S = 1200


def install_chromium() -> str | None:
    """Install Debian's chromium if it is missing; None when ready, else why not."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return "chromium is missing and apt-get cannot run as root here to install it"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=APT_TIMEOUT_S, env=environment
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"`{' '.join(command)}` did not finish: {error}"
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-400:]}"
    return None if CHROMIUM.exists() else "apt-get ran, but /usr/bin/chromium is still missing"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    reason = install_chromium()
    if reason is not None:
        pytest.skip(f"browser tests need Debian's chromium: {reason}")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium for the session (each test opens its own contexts)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(autouse=True, scope="module")
def cheap_password_hashes() -> Iterator[None]:
    """Sign-ins go through argon2; cheap parameters keep these tests fast."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    engine: Engine


@pytest.fixture(scope="session")
def live_server(
    chromium_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app on a free port, on a fresh migrated SQLite database, until the session ends."""
    import uvicorn

    from api import create_app

    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'ipe.sqlite'}"
    engine = make_engine(database_url)
    upgrade(engine)
    app = create_app(Settings(database_url=database_url, run_time_limit_default_s=5))
    sock = listening_socket()
    port = port_of(sock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", database_url, engine)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        engine.dispose()


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/browser/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        for v in violations
    )


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    """Sign in through the form, the way a person would."""
    page.goto(f"{base}/app/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def add_user(
    engine: Engine,
    *,
    school: str,
    email: str,
    name: str,
    password: str,
    role: str = "coordinator",
    student_ref: str | None = None,
    site_ref: str | None = None,
) -> UserRow:
    """An account at `school` (created if new), committed."""
    with new_session(engine) as session:
        user = auth.save_user(
            session,
            school=auth.get_or_create_school(session, name=school),
            email=email,
            name=name,
            role=role,
            password=password,
            student_ref=student_ref,
            site_ref=site_ref,
        )
        session.commit()
    return user


def role_users(
    session: Session,
    school: SchoolRow,
    *,
    path: str,
    label: str,
    password: str,
    refs: dict[str, dict[str, str]],
) -> dict[str, UserRow]:
    """One account a role of `refs` (ROLE@PATH.example.edu, named "LABEL ROLE"), each with
    the student_ref or site_ref `refs` gives it."""
    return {
        role: auth.save_user(
            session,
            school=school,
            email=f"{role}@{path}.example.edu",
            name=f"{label} {role}",
            role=role,
            password=password,
            student_ref=ref.get("student_ref"),
            site_ref=ref.get("site_ref"),
        )
        for role, ref in refs.items()
    }


def publish_solved(session: Session, *, actor: UserRow, scenario: Scenario) -> tuple[int, Schedule]:
    """The scenario as a new term of the actor's school, solved in-process (seed 0, checked
    by the validator) and published: the term's id and the schedule."""
    term = terms.create_term(session, actor=actor, scenario=scenario)
    outcome = solving.solve_scenario(scenario=scenario, time_limit_s=10, workers=1, seed=0)
    assert outcome.trusted, outcome.violations
    version = versions.record_schedule(
        session, term=term, scenario=scenario, schedule=outcome.schedule
    )
    versions.publish_version(
        session,
        actor=actor,
        term_id=term.id or 0,
        version_id=version.id or 0,
        delivery=None,
    )
    return term.id or 0, outcome.schedule


def import_scenario(page: Any, path: str) -> None:
    """Import a scenario file through the terms page's form."""
    page.get_by_label("Scenario file (JSON)").set_input_files(path)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("The term was imported.")


def run_succeeds(page: Any, timeout_ms: int) -> None:
    """Wait on a run's page until the run ends; it must have succeeded."""
    status = page.locator("[data-field=status]")
    expect(status).to_have_text(re.compile("succeeded|failed|cancelled"), timeout=timeout_ms)
    assert status.text_content() == "succeeded", page.locator("[data-field=error]").text_content()
