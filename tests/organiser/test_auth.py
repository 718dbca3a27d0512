"""Organiser login: every page needs it, the error is neutral, `next` stays on the site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub.models import Account, Registration
from hub.organiser.auth import safe_next
from tests.organiser.conftest import PASSWORD, login

EVENT = "future-of-digital-health-in-norway"

PROTECTED_GET = [
    "/organiser/",
    "/organiser/?day=2023-08-15",
    f"/organiser/events/{EVENT}",
    f"/organiser/events/{EVENT}/registrations.csv",
    f"/organiser/events/{EVENT}/livestream",
    "/organiser/events/no-such-event",
]


@pytest.mark.parametrize("url", PROTECTED_GET)
def test_every_organiser_page_redirects_to_login(client: FlaskClient, programme: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login?next=")


def test_check_in_needs_login_and_changes_nothing(
    client: FlaskClient, programme: Any, make_registration: Callable[..., Registration], db: Any
) -> None:
    person = make_registration(EVENT, "Kari Nordmann")
    response = client.post(f"/organiser/events/{EVENT}/registrations/{person.public_id}/check-in")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login")
    db.session.expire_all()
    assert db.session.get(Registration, person.id).checked_in_at is None


def test_login_page_shows_the_form(client: FlaskClient) -> None:
    response = client.get("/organiser/login?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'type="password"' in page
    assert 'autocomplete="current-password"' in page


def test_login_then_dashboard_then_logout(client: FlaskClient, occ: Account) -> None:
    response = login(client, occ.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"
    page = client.get("/organiser/?lang=en").get_data(as_text=True)
    assert "Organiser area" in page
    assert "Log out" in page
    # Logging out is a POST: a GET neither logs out nor exists.
    assert client.get("/organiser/logout").status_code == 405
    assert client.get("/organiser/").status_code == 200
    response = client.post("/organiser/logout")
    assert response.headers["Location"] == "/organiser/login"
    assert client.get("/organiser/").status_code == 302


def test_email_is_matched_case_insensitively(client: FlaskClient, occ: Account) -> None:
    assert login(client, "  OCC@Example.org ").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("occ@example.org", "wrong password"), ("nobody@example.org", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_email_or_password_gets_one_neutral_message(
    client: FlaskClient, occ: Account, email: str, password: str
) -> None:
    response = client.post("/organiser/login?lang=en", data={"email": email, "password": password})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Wrong email or password." in page
    assert client.get("/organiser/").status_code == 302


def test_empty_login_form_says_what_is_missing(client: FlaskClient) -> None:
    page = client.post("/organiser/login?lang=en", data={}).get_data(as_text=True)
    assert "Enter your email address." in page
    assert "Enter your password." in page


def test_next_goes_to_the_page_asked_for(client: FlaskClient, occ: Account) -> None:
    response = client.get(f"/organiser/events/{EVENT}")
    next_url = response.headers["Location"]
    response = client.post(next_url, data={"email": occ.email, "password": PASSWORD})
    assert response.headers["Location"] == f"/organiser/events/{EVENT}"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "organiser/"],
)
def test_next_never_leaves_the_site(client: FlaskClient, occ: Account, target: str) -> None:
    response = login(client, occ.email, query_string={"next": target})
    assert response.headers["Location"] == "/organiser/"


def test_safe_next_keeps_local_paths_with_queries() -> None:
    assert safe_next("/organiser/events/x?status=confirmed") == "/organiser/events/x?status=confirmed"
    assert safe_next("") is None
    assert safe_next("http://127.0.0.1/organiser/") is None


def test_pages_are_not_cached(occ_client: FlaskClient) -> None:
    response = occ_client.get(f"/organiser/events/{EVENT}")
    assert "no-store" in response.headers["Cache-Control"]


def test_redirect_to_login_says_why(client: FlaskClient, programme: Any) -> None:
    client.get("/organiser/?lang=en")
    page = client.get("/organiser/login").get_data(as_text=True)
    assert "Please log in to see the organiser area." in page
