"""What every request passes: headers on every response, the origin check, input that is not text."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Registration
from tests.conftest import make_config
from tests.factories import open_shipped_programme

EVENT = "future-of-digital-health-in-norway"
SIGNUP = {"name": "Ada Lovelace", "email": "ada@example.org", "attendance": "in_person", "consent": "y"}


def _csp(response: Any) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in response.headers["Content-Security-Policy"].split(";")
    }


@pytest.fixture
def programme(programme: dict[str, Any]) -> dict[str, Any]:
    """The shipped programme moved to next month, so that its sign-up is open."""
    open_shipped_programme()
    return programme


@pytest.fixture
def failing_route(app: Flask) -> str:
    def boom() -> str:
        raise RuntimeError("forced failure for ada@example.org")

    app.add_url_rule("/boom-for-test", "boom", boom)
    return "/boom-for-test"


def test_every_response_carries_the_security_headers(
    client: FlaskClient, programme: Any, failing_route: str, caplog: pytest.LogCaptureFixture
) -> None:
    responses = {
        "page": client.get("/"),
        "404": client.get("/events/no-such-event"),
        "500": client.get(failing_route),
        "feed": client.get("/programme.ics"),
        "static": client.get("/static/css/hub.css"),
    }
    assert responses["404"].status_code == 404
    assert responses["500"].status_code == 500
    assert "forced failure" not in responses["500"].text  # a generic page, debug off
    for name, response in responses.items():
        csp = _csp(response)
        assert csp["object-src"] == "'none'", name
        assert csp["base-uri"] == "'none'", name
        assert csp["frame-ancestors"] == "'none'", name
        assert csp["frame-src"] == "https://www.youtube-nocookie.com", name
        assert "unsafe-inline" not in csp["script-src"], name
        max_age = re.search(r"max-age=(\d+)", response.headers["Strict-Transport-Security"])
        assert max_age, name
        assert int(max_age.group(1)) >= 31536000, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
    # The log says what failed, but not the address in the message.
    assert "forced failure" in caplog.text
    assert "ada@example.org" not in caplog.text


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return make_config(tmp_path, WTF_CSRF_ENABLED=True)


def _csrf(client: FlaskClient, url: str) -> str:
    """The sign-up form's token (session-free: a signed, time-limited form_token)."""
    match = re.search(r'name="form_token"[^>]*value="([^"]+)"', client.get(url).text)
    assert match, url
    return match.group(1)


def _signups() -> int:
    return db.session.scalar(select(func.count()).select_from(Registration)) or 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://hub.test.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-origin", "null-origin", "lookalike-origin", "fetch-cross-site", "fetch-same-site"],
)
def test_a_cross_site_post_with_a_valid_token_is_refused(
    client: FlaskClient, programme: Any, headers: dict[str, str]
) -> None:
    url = f"/events/{EVENT}"
    token = _csrf(client, url)
    response = client.post(f"{url}/register", data={**SIGNUP, "form_token": token}, headers=headers)
    assert response.status_code == 400
    assert _signups() == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"}],
    ids=["no-header", "own-origin", "fetch-same-origin"],
)
def test_the_hubs_own_form_still_signs_up(
    client: FlaskClient, programme: Any, headers: dict[str, str]
) -> None:
    url = f"/events/{EVENT}"
    token = _csrf(client, url)
    response = client.post(f"{url}/register", data={**SIGNUP, "form_token": token}, headers=headers)
    assert response.status_code == 302
    assert _signups() == 1


def test_a_post_without_or_with_a_wrong_token_is_refused(client: FlaskClient, programme: Any) -> None:
    url = f"/events/{EVENT}/register"
    assert client.post(url, data=SIGNUP).status_code == 400
    assert client.post(url, data={**SIGNUP, "form_token": "forged"}).status_code == 400
    assert _signups() == 0


def _probe_urls(app: Flask) -> list[tuple[str, str]]:
    """Every route with a NUL in each path argument, and every route with a NUL in the query."""
    probes: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {arg: "a%00b" for arg in rule.arguments}
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:[^:>]+:)?{arg}>", values[arg], path)
        if "<" in path:
            continue  # a typed argument that a NUL cannot reach
        clean = re.sub(r"<(?:[^:>]+:)?[^>]+>", "x", rule.rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST", "HEAD"}):
            if rule.arguments:
                probes.append((method, path))
            probes.append((method, f"{clean}?q=a%00b&email=nul-probe%00@example.org&lang=%00"))
    return probes


def test_a_nul_anywhere_is_a_clear_4xx_and_never_reaches_the_log(
    app: Flask, client: FlaskClient, programme: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    probes = _probe_urls(app)
    assert len(probes) > 20
    for method, url in probes:
        response = client.open(url, method=method)
        assert 400 <= response.status_code < 500, (method, url, response.status_code)
    # Forms: a NUL in the login email, in a sign-up field, in a new-link request.
    forms = {
        "/organiser/login": {"email": "nul-probe\x00@example.org", "password": "x\x00y"},
        f"/events/{EVENT}/register": {**SIGNUP, "email": "nul-probe\x00@example.org"},
        "/registrations/new-link": {"email": "nul-probe\x00@example.org"},
    }
    for url, data in forms.items():
        response = client.post(url, data=data, headers={"Accept-Language": "en"})
        assert response.status_code == 400, url
        assert "control characters" in response.text
    assert "nul-probe" not in caplog.text
    assert _signups() == 0


def test_extra_fields_in_a_sign_up_are_ignored(client: FlaskClient, password_hash: str) -> None:
    from tests.factories import make_event

    full = make_event("full-event", capacity=1)
    open_event = make_event("open-event", capacity=5)
    full.seats_taken = 1
    db.session.commit()
    url = "/events/open-event"
    extra = {
        "status": "confirmed",
        "event_id": str(full.id),
        "session_id": str(full.id),
        "id": "1",
        "public_id": "chosen",
        "is_organiser": "1",
        "is_admin": "1",
        "seats_taken": "0",
    }
    token = _csrf(client, url)
    response = client.post(f"{url}/register", data={**SIGNUP, **extra, "form_token": token})
    assert response.status_code == 302
    (registration,) = db.session.scalars(select(Registration)).all()
    assert registration.event_id == open_event.id
    assert registration.status == "pending"
    assert registration.public_id != "chosen"
    db.session.refresh(full)
    assert full.seats_taken == 1
    assert client.get("/organiser/").status_code == 302
