"""Simultaneous sign-ins: a burst checks exactly the limit's number of passwords.

Forty threads, each with its own session and connection, try at once (a barrier), on
SQLite and PostgreSQL. With the old check-then-act throttle 19 to 27 wrong passwords of
such a burst were checked instead of 5, and a right password sent last got in.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from service_support import World, build_world
from sqlalchemy import Engine

from scheduler.db.engine import new_session
from scheduler.services import auth, login_throttle
from scheduler.services.errors import TooManyRequests, Unauthorized

PASSWORD = "correct horse battery staple"
LIMITS = login_throttle.LoginLimits(per_account=5, per_address=8, window_s=600)
BURST = 40


@pytest.fixture(scope="module")
def world(engine: Engine) -> World:
    return build_world(engine, password=PASSWORD)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many passwords were checked, by email."""
    seen: Counter[str] = Counter()
    original = auth.login

    def counting(session: object, *, email: str, **rest: object) -> object:
        seen[email] += 1
        return original(session, email=email, **rest)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "login", counting)
    return seen


def attempt(engine: Engine, email: str, password: str, address: str) -> Callable[[], str]:
    def run() -> str:
        with new_session(engine) as session:
            try:
                login_throttle.login(
                    session,
                    engine=engine,
                    email=email,
                    password=password,
                    address=address,
                    ttl=timedelta(minutes=5),
                    limits=LIMITS,
                )
            except Unauthorized:
                return "wrong"
            except TooManyRequests:
                return "refused"
            session.commit()
            return "in"

    return run


def all_at_once(jobs: list[Callable[[], str]]) -> Counter[str]:
    barrier = threading.Barrier(len(jobs))
    results: list[str] = []
    lock = threading.Lock()

    def body(job: Callable[[], str]) -> None:
        barrier.wait()
        outcome = job()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=body, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == len(jobs)
    return Counter(results)


def test_a_burst_of_wrong_passwords_checks_exactly_the_account_limit(
    engine: Engine, world: World, checked: Counter[str]
) -> None:
    email = world.users["student_a"].email
    jobs = [attempt(engine, email, "wrong", f"10.1.0.{i}") for i in range(BURST)]
    outcomes = all_at_once(jobs)
    assert outcomes == Counter(wrong=LIMITS.per_account, refused=BURST - LIMITS.per_account)
    assert checked[email] == LIMITS.per_account
    # The right password, sent after the burst, is refused unchecked too.
    assert attempt(engine, email, PASSWORD, "10.1.1.1")() == "refused"
    assert checked[email] == LIMITS.per_account


def test_a_burst_from_one_address_checks_exactly_the_address_limit(
    engine: Engine, world: World, checked: Counter[str]
) -> None:
    jobs = [attempt(engine, f"nobody{i}@example.test", "-", "10.2.0.1") for i in range(BURST)]
    outcomes = all_at_once(jobs)
    assert outcomes == Counter(wrong=LIMITS.per_address, refused=BURST - LIMITS.per_address)
    assert sum(checked.values()) == LIMITS.per_address


def test_a_burst_with_the_right_password_among_wrong_ones_lets_it_in_only_if_checked(
    engine: Engine, world: World, checked: Counter[str]
) -> None:
    """The right one either got a seat and signed in, or was refused unchecked; the limit
    holds before it (a success clears the account's failures, so it may start again)."""
    email = world.users["partner_a"].email
    jobs = [attempt(engine, email, "wrong", f"10.3.0.{i}") for i in range(BURST - 1)]
    jobs.append(attempt(engine, email, PASSWORD, "10.3.1.1"))
    outcomes = all_at_once(jobs)
    assert outcomes["in"] <= 1
    assert outcomes["wrong"] + outcomes["in"] == checked[email]
    assert checked[email] <= LIMITS.per_account * (1 + outcomes["in"])
