"""The login limits hold across processes: two gunicorn instances on one database and one Redis."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hub.extensions import db
from hub.models import Account
from tests.conftest import PASSWORD
from tests.servers import gunicorns, redis_url

pytestmark = pytest.mark.slow


class Browser:
    """A cookie-keeping HTTP client that can talk to several instances with one session."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _login(browser: Browser, base: str, password: str) -> int:
    # The cookie is set for 127.0.0.1 by both instances (a cookie ignores the port), so the
    # CSRF token of one instance's page is good on the other: they share the secret key.
    page = browser.get(base + "/organiser/login")[1]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page[:500]
    status, _ = browser.post(
        base + "/organiser/login",
        {"email": "occ@example.org", "password": password, "csrf_token": token.group(1)},
    )
    return status


@pytest.fixture
def shared_settings(app: Flask, tmp_path: Path, password_hash: str) -> dict[str, str]:
    redis = redis_url(db=7)
    if redis is None:
        if os.environ.get("CI"):
            pytest.fail("Redis must answer on 127.0.0.1:6379 in CI")
        pytest.skip("no Redis on 127.0.0.1:6379")
    db.session.add(Account(email="occ@example.org", is_admin=True, password_hash=password_hash))
    db.session.commit()
    db.session.remove()
    return {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secrets.token_urlsafe(16),
        "RATELIMIT_STORAGE_URI": redis,
        "RATELIMIT_KEY_PREFIX": "test-" + secrets.token_hex(4),
        "RATELIMIT_LOGIN": "8 per minute",
        "MAIL_SINK_DIR": str(tmp_path / "mail"),
    }


def test_guesses_spread_over_two_instances_lock_the_account(
    shared_settings: dict[str, str], tmp_path: Path
) -> None:
    with gunicorns(shared_settings, 2, log=tmp_path / "gunicorn.log") as (one, two):
        browser = Browser()
        codes = [_login(browser, (one, two)[i % 2], f"wrong guess {i}") for i in range(7)]
        # Five failures in all lock the address, wherever they were made.
        assert codes == [200] * 5 + [429] * 2
        assert _login(browser, one, PASSWORD) == 429
        assert _login(browser, two, PASSWORD) == 429
        assert browser.get(one + "/organiser/")[0] == 302
    log = (tmp_path / "gunicorn.log").read_text()
    assert "occ@example.org" not in log
    assert "Traceback" not in log


def test_the_client_limit_counts_across_instances(shared_settings: dict[str, str], tmp_path: Path) -> None:
    with gunicorns(shared_settings, 2, log=tmp_path / "gunicorn.log") as (one, two):
        browser = Browser()
        page = browser.get(one + "/organiser/login")[1]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token
        codes = [
            browser.post(
                (one, two)[i % 2] + "/organiser/login",
                {"email": f"x{i}@example.org", "password": "guess", "csrf_token": token.group(1)},
            )[0]
            for i in range(10)
        ]
        # 8 a minute for one client, counted in Redis: the 9th is refused on either instance.
        assert codes == [200] * 8 + [429] * 2
