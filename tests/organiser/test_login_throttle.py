"""Guessing a password: the address locks after 5 failures, for everyone, whatever the IP."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import timeutil
from hub.extensions import db
from hub.models import Account
from hub.organiser import accounts
from tests.conftest import PASSWORD, make_config
from tests.organiser.conftest import login
from tests.registration.test_concurrency import run_together


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    # The client limit on, behind one proxy, so that X-Forwarded-For names the client.
    return make_config(tmp_path, RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=1, RATELIMIT_LOGIN="10 per minute")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    state = {"now": timeutil.utcnow()}
    monkeypatch.setattr(timeutil, "utcnow", lambda: state["now"])
    return state


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/organiser/").status_code == 200


def _guess(client: FlaskClient, email: str, n: int, *, many_ips: bool) -> list[int]:
    codes = []
    for i in range(n):
        ip = f"203.0.113.{i + 1}" if many_ips else "203.0.113.7"
        codes.append(login(client, email, f"wrong guess {i}", headers={"X-Forwarded-For": ip}).status_code)
    return codes


@pytest.mark.parametrize("many_ips", [False, True], ids=["one-ip", "twenty-ips"])
def test_twenty_wrong_passwords_lock_the_account_until_the_delay_has_passed(
    client: FlaskClient, occ: Account, clock: dict[str, Any], many_ips: bool
) -> None:
    codes = _guess(client, occ.email, 20, many_ips=many_ips)
    assert codes[:5] == [200] * 5  # "wrong email or password"
    assert set(codes[5:]) == {429}  # locked (or, from one IP, over the client limit too)

    # The right password is refused while the lock holds, from a new address as well.
    clock["now"] += timedelta(minutes=2)
    response = login(client, occ.email, headers={"X-Forwarded-For": "198.51.100.1"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert not _logged_in(client)

    # Only 5 guesses were checked; the lock is 5 minutes, so after it the right one works.
    clock["now"] += timedelta(minutes=4)
    response = login(client, occ.email, headers={"X-Forwarded-For": "198.51.100.2"})
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_lock_grows_with_further_failures_and_resets_on_success(
    client: FlaskClient, occ: Account, clock: dict[str, Any]
) -> None:
    locks = []
    for round_ in range(4):
        _guess(client, occ.email, 6 if round_ == 0 else 2, many_ips=True)
        until = accounts.locked_until(db.session, occ.email)
        assert until is not None
        locks.append(until - clock["now"])
        clock["now"] = until + timedelta(seconds=1)
    # 5 minutes, then 10, 20, 40: each failure after the lock doubles it.
    assert locks == [timedelta(minutes=5 * 2**n) for n in range(4)]
    assert login(client, occ.email, headers={"X-Forwarded-For": "198.51.100.3"}).status_code == 302
    assert accounts.locked_until(db.session, occ.email) is None


def _answer(response: Any) -> tuple[int, str, str | None]:
    body = re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))
    return response.status_code, body, response.headers.get("Retry-After")


def test_an_unknown_address_gets_the_same_answers(
    client: FlaskClient, occ: Account, clock: dict[str, Any]
) -> None:
    def answers(email: str) -> list[tuple[int, str, str | None]]:
        return [
            _answer(login(client, email, "wrong guess", headers={"X-Forwarded-For": f"192.0.2.{i}"}))
            for i in range(7)
        ]

    known = answers(occ.email)
    unknown = answers("nobody@example.org")
    assert [a[0] for a in known] == [200] * 5 + [429] * 2
    assert [re.sub(r"nobody@example\.org", occ.email, a[1]) for a in unknown] == [a[1] for a in known]
    assert [a[2] for a in unknown[5:]] == [a[2] for a in known[5:]]
    assert all(int(a[2] or 0) > 0 for a in known[5:])


def test_concurrent_guesses_cannot_overrun_the_limit(app: Flask, occ: Account) -> None:
    """Twenty guesses reserved at once: exactly five are let through to the password check."""
    policy = accounts.LockPolicy(after=5, base=timedelta(minutes=5))
    now = timeutil.utcnow()

    email = occ.email  # read here: the threads must not load it through the test's session

    def attempt(_: int) -> bool:
        allowed = accounts.reserve_attempt(db.session, email, now=now, policy=policy)
        db.session.commit()
        return allowed

    allowed = run_together(app, 20, attempt)
    assert allowed.count(True) == 5, allowed


def test_the_right_password_first_clears_earlier_failures(client: FlaskClient, occ: Account) -> None:
    _guess(client, occ.email, 4, many_ips=True)
    assert login(client, occ.email, PASSWORD, headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 302
    client.post("/organiser/logout")  # CSRF is off here
    assert _guess(client, occ.email, 4, many_ips=True) == [200] * 4


@pytest.mark.slow
def test_known_and_unknown_addresses_take_the_same_time(
    app: Flask, client: FlaskClient, occ: Account
) -> None:
    """50 wrong logins each, interleaved: the medians differ by far less than 50 ms."""
    import statistics
    import time

    app.config["LOGIN_LOCK_AFTER"] = 1000  # measure the password check, not the lock
    app.config["RATELIMIT_ENABLED"] = False
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: dict[str, set[tuple[int, str]]] = {"known": set(), "unknown": set()}
    for i in range(50):
        for kind, email in (("known", occ.email), ("unknown", f"nobody{i}@example.org")):
            start = time.perf_counter()
            response = login(client, email, "wrong guess", headers={"X-Forwarded-For": f"10.0.{i}.1"})
            timings[kind].append(time.perf_counter() - start)
            answers[kind].add(
                (response.status_code, re.sub(r"nobody\d+@example\.org", occ.email, response.text))
            )
    assert answers["known"] == answers["unknown"]
    assert len(answers["known"]) == 1
    difference = abs(statistics.median(timings["known"]) - statistics.median(timings["unknown"]))
    assert difference < 0.05, timings
