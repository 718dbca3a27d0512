"""Login with the protections of production switched on: CSRF and the rate limit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub.models import Account
from tests.conftest import make_config
from tests.organiser.conftest import PASSWORD


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return make_config(
        tmp_path, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="10 per minute"
    )


def _token(client: FlaskClient) -> str:
    page = client.get("/organiser/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_login_without_the_csrf_token_is_refused(client: FlaskClient, occ: Account) -> None:
    response = client.post("/organiser/login", data={"email": occ.email, "password": PASSWORD})
    assert response.status_code != 302
    assert client.get("/organiser/").status_code == 302
    token = _token(client)
    response = client.post(
        "/organiser/login", data={"email": occ.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get("/organiser/").status_code == 200


def test_logout_needs_the_csrf_token(client: FlaskClient, occ: Account) -> None:
    token = _token(client)
    client.post("/organiser/login", data={"email": occ.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/organiser/logout").status_code == 400
    assert client.get("/organiser/").status_code == 200
    page = client.get("/organiser/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the logout button carries a CSRF token"
    assert client.post("/organiser/logout", data={"csrf_token": token.group(1)}).status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_login_is_rate_limited_per_client(client: FlaskClient, occ: Account) -> None:
    token = _token(client)
    for n in range(10):  # ten addresses, so only the client's limit can refuse
        response = client.post(
            "/organiser/login", data={"email": f"x{n}@example.org", "password": "guess", "csrf_token": token}
        )
        assert response.status_code == 200
    # The eleventh try in a minute is refused, even with the right password.
    response = client.post(
        "/organiser/login?lang=en", data={"email": occ.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302
    # Looking at the login page is not limited.
    assert client.get("/organiser/login").status_code == 200


def test_a_login_from_another_site_is_refused(client: FlaskClient, occ: Account) -> None:
    token = _token(client)
    response = client.post(
        "/organiser/login",
        data={"email": occ.email, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    assert client.get("/organiser/").status_code == 302
