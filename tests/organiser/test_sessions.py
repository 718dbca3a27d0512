"""Organiser sessions: cookie flags over http and https, server-side logout, timeouts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from hub import timeutil
from hub.extensions import db
from hub.models import Account
from hub.organiser import accounts
from tests.conftest import make_config
from tests.organiser.conftest import login


def _set_cookie(response: Any) -> str:
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    assert len(cookies) == 1, cookies
    return str(cookies[0])


def _flags(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_over_http_the_cookie_is_httponly_and_lax_but_not_secure(client: FlaskClient, occ: Account) -> None:
    cookie = _set_cookie(login(client, occ.email))
    assert cookie.startswith("hub_session=")
    assert {"httponly", "path"} <= _flags(cookie)
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in _flags(cookie)


def test_over_https_the_cookie_is_secure_with_the_host_prefix(client: FlaskClient, occ: Account) -> None:
    cookie = _set_cookie(login(client, occ.email, base_url="https://hub.test"))
    assert cookie.startswith("__Host-hub_session=")
    assert {"secure", "httponly"} <= _flags(cookie)
    assert "domain" not in _flags(cookie)
    assert "; Path=/" in cookie
    # The browser sends it back under that name, and it opens the area.
    response = client.get("/organiser/", base_url="https://hub.test")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}], indirect=True)
def test_behind_a_proxy_the_forwarded_scheme_decides(client: FlaskClient, occ: Account) -> None:
    cookie = _set_cookie(login(client, occ.email, headers={"X-Forwarded-Proto": "https"}))
    assert cookie.startswith("__Host-hub_session=")
    assert "secure" in _flags(cookie)


@pytest.fixture
def app_config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    return make_config(tmp_path, **getattr(request, "param", {}))


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://hub.example"}], indirect=True)
def test_an_https_base_url_makes_the_cookie_secure(client: FlaskClient, occ: Account) -> None:
    cookie = _set_cookie(login(client, occ.email))
    assert cookie.startswith("__Host-hub_session=")
    assert "secure" in _flags(cookie)


def _decoded(app: Flask, cookie_value: str) -> dict[str, Any]:
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="cookie-session", signer_kwargs={"key_derivation": "hmac"}
    )
    value: dict[str, Any] = serializer.loads(cookie_value)  # the default digest, sha1
    return value


def test_the_session_changes_at_login_and_holds_nothing_personal(
    app: Flask, client: FlaskClient, occ: Account
) -> None:
    client.get("/?lang=en")  # a visitor's session (the language) before logging in
    before = client.get_cookie("hub_session")
    assert before is not None
    login(client, occ.email)
    after = client.get_cookie("hub_session")
    assert after is not None
    assert after.value != before.value
    decoded = _decoded(app, after.value)
    assert decoded["lang"] == "en"
    text = repr(decoded)
    assert occ.email not in text
    assert decoded["_user_id"] != str(occ.id)  # a random session key, not the account id


def test_a_cookie_replayed_after_logout_is_refused(app: Flask, client: FlaskClient, occ: Account) -> None:
    login(client, occ.email)
    copied = client.get_cookie("hub_session")
    assert copied is not None
    assert client.get("/organiser/").status_code == 200
    page = client.get("/organiser/").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/organiser/logout", data={"csrf_token": token}).status_code == 302

    thief = app.test_client()
    thief.set_cookie("hub_session", copied.value, domain="localhost")
    response = thief.get("/organiser/")
    assert response.status_code == 302
    assert "/organiser/login" in response.headers["Location"]
    assert (
        thief.get("/organiser/events/future-of-digital-health-in-norway/registrations.csv").status_code == 302
    )


def test_a_new_password_or_a_disabled_account_ends_every_session(
    app: Flask, client: FlaskClient, occ: Account
) -> None:
    other = app.test_client()
    login(client, occ.email)
    login(other, occ.email)
    assert client.get("/organiser/").status_code == 200
    accounts.set_password(db.session, occ, "a brand new passphrase", now=timeutil.utcnow())
    db.session.commit()
    assert client.get("/organiser/").status_code == 302
    assert other.get("/organiser/").status_code == 302

    assert login(client, occ.email, "a brand new passphrase").status_code == 302
    assert client.get("/organiser/").status_code == 200
    accounts.set_active(db.session, occ, False, now=timeutil.utcnow())
    db.session.commit()
    assert client.get("/organiser/").status_code == 302
    # A disabled account cannot log in again either, and the answer is the usual one.
    response = login(client, occ.email, "a brand new passphrase")
    assert response.status_code == 200
    assert client.get("/organiser/").status_code == 302


def test_sessions_end_when_idle_and_after_their_lifetime(
    client: FlaskClient, occ: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = timeutil.utcnow()
    clock = {"now": start}
    monkeypatch.setattr(timeutil, "utcnow", lambda: clock["now"])
    login(client, occ.email)

    # Used every 100 minutes (under the 2 hours idle limit): it lives until 12 hours after login.
    for step in range(1, 8):
        clock["now"] = start + timedelta(minutes=100 * step)
        assert client.get("/organiser/").status_code == 200, step
    clock["now"] = start + timedelta(hours=12, minutes=1)
    assert client.get("/organiser/").status_code == 302

    # A fresh login, then 2 hours and a minute without a request: over.
    login(client, occ.email)
    clock["now"] += timedelta(hours=2, minutes=1)
    assert client.get("/organiser/").status_code == 302
