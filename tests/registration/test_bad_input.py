"""Bad input on the sign-up form: a clear message next to the field, never a 500, text escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Registration
from tests.factories import make_event
from tests.registration.conftest import outbox

URL = "/events/test-event/register?lang=en"
GOOD = {"name": "Ada Lovelace", "email": "ada@example.org", "attendance": "in_person", "consent": "y"}


@pytest.fixture
def event(app: Any) -> Any:
    return make_event(capacity=10)


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return " ".join(match.group(1).split()) if match else ""


def input_value(html: str, field: str) -> str | None:
    match = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', html)
    assert match, field
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def registrations() -> int:
    return int(db.session.scalar(select(func.count(Registration.id))) or 0)


def test_missing_fields_are_named_next_to_the_field_and_typed_values_stay(
    client: FlaskClient, event: Any
) -> None:
    response = client.post(URL, data={"organisation": "Oslo Cancer Cluster"})
    assert response.status_code == 400
    html = response.text
    assert "Please correct the marked fields" in html
    assert field_error(html, "name") == "Please enter your name."
    assert field_error(html, "email") == "Please enter your email address."
    assert field_error(html, "consent") == "Please agree, so that we can store your sign-up."
    assert field_error(html, "organisation") == ""
    assert input_value(html, "organisation") == "Oslo Cancer Cluster"
    assert 'aria-invalid="true"' in html
    assert registrations() == 0
    assert outbox() == []


def test_errors_come_in_the_users_language(client: FlaskClient, event: Any) -> None:
    # WTForms' own messages are translated already; ours follow once the catalogue has them.
    data = {**GOOD, "attendance": "teleport"}
    norwegian = client.post("/events/test-event/register?lang=nb", data=data).text
    assert '<html lang="nb">' in norwegian
    assert field_error(norwegian, "attendance") == "Ikke et gyldig valg"
    english = client.post("/events/test-event/register?lang=en", data=data).text
    assert field_error(english, "attendance") == "Not a valid choice."


def test_a_ten_thousand_character_name_gets_a_clear_message(client: FlaskClient, event: Any) -> None:
    response = client.post(URL, data={**GOOD, "name": "A" * 10_000})
    assert response.status_code == 400
    assert field_error(response.text, "name") == "Please keep your name to 200 characters."
    assert 'maxlength="200"' in response.text
    long_org = client.post(URL, data={**GOOD, "organisation": "O" * 201})
    assert field_error(long_org.text, "organisation") == "Please keep the organisation to 200 characters."
    assert registrations() == 0


def test_a_body_larger_than_allowed_is_refused_plainly(client: FlaskClient, event: Any) -> None:
    response = client.post(URL, data={**GOOD, "name": "A" * 2_000_000})
    assert response.status_code == 413
    assert registrations() == 0


@pytest.mark.parametrize(
    "address",
    [
        "ada",
        "ada@",
        "@example.org",
        "ada example@example.org",
        "ada@example",
        "a@b@c.org",
        "=?UTF-8?Q?=0A?=@example.org",
    ],
)
def test_a_bad_address_is_named(client: FlaskClient, event: Any, address: str) -> None:
    response = client.post(URL, data={**GOOD, "email": address})
    assert response.status_code == 400
    assert field_error(response.text, "email") == "Please enter a valid email address, like name@example.org."
    assert registrations() == 0


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nBcc: x@evil.example",
        "Eve\nBcc: x@evil.example",
        "Eve\rx",
        "Eve\x1b[31m",
        "Eve\u2028Bcc",
    ],
)
def test_control_characters_and_line_breaks_are_refused(client: FlaskClient, event: Any, name: str) -> None:
    for field in ("name", "organisation"):
        response = client.post(URL, data={**GOOD, field: name})
        assert response.status_code == 400
        assert (
            field_error(response.text, field)
            == "Please use letters, digits and punctuation only, on one line."
        )
    assert registrations() == 0


def test_an_encoded_word_is_just_text(client: FlaskClient, event: Any) -> None:
    name = "=?UTF-8?Q?=0A?=Bcc: x@evil.example"
    assert client.post(URL, data={**GOOD, "name": name}).status_code == 302
    stored = db.session.scalar(select(Registration.name))
    assert stored == name
    (mail,) = outbox("confirm")
    assert mail.recipient == "ada@example.org"
    assert "evil" not in mail.subject


def test_an_attendance_mode_that_is_not_offered_is_refused(client: FlaskClient, event: Any) -> None:
    response = client.post(URL, data={**GOOD, "attendance": "teleport"})
    assert response.status_code == 400
    assert registrations() == 0


def test_html_and_script_in_every_field_is_shown_escaped(client: FlaskClient, event: Any) -> None:
    script = '<script>alert("x")</script>'
    response = client.post(URL, data={**GOOD, "name": script, "organisation": "<img src=x onerror=alert(1)>"})
    assert response.status_code == 302
    stored = db.session.scalar(select(Registration))
    assert stored is not None
    assert stored.name == script  # stored as typed, escaped wherever it is shown
    (mail,) = outbox("confirm")
    assert mail.body_html is not None
    assert script not in mail.body_html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in mail.body_html
    assert mail.action_url is not None
    page = client.get(mail.action_url.removeprefix("http://hub.test") + "?lang=en").text
    assert script not in page
    assert "&lt;script&gt;" in page

    # Refused input comes back escaped inside the field, not as markup.
    response = client.post(
        URL, data={"name": script, "email": f"{script}@example.org", "organisation": script}
    )
    assert response.status_code == 400
    assert script not in response.text
    assert input_value(response.text, "name") == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert field_error(response.text, "email").startswith("Please enter a valid email address")


def test_a_forged_form_token_gets_a_clear_message_and_keeps_the_typed_values(
    client: FlaskClient, event: Any, app: Any
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/events/test-event?lang=en").text
    assert 'name="form_token"' in page
    for token in ("forged", None):
        data = {**GOOD, "organisation": "Oslo Cancer Cluster"}
        if token:
            data["form_token"] = token
        response = client.post(URL, data=data)
        assert response.status_code == 400
        assert "The form had expired, or did not come from this site." in response.text
        assert input_value(response.text, "name") == "Ada Lovelace"
        assert input_value(response.text, "organisation") == "Oslo Cancer Cluster"
        assert 'name="form_token"' in response.text  # a fresh token to send it again
    assert registrations() == 0

    # With the token from the page, the same form goes through.
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    assert client.post(URL, data={**GOOD, "form_token": token.group(1)}).status_code == 302
    assert registrations() == 1

    # The one-button pages refuse a forged token just as clearly.
    (mail,) = outbox("confirm")
    assert mail.action_url is not None
    confirm_path = mail.action_url.removeprefix("http://hub.test")
    response = client.post(confirm_path + "?lang=en", data={"form_token": "forged"})
    assert response.status_code == 400
    assert "The form had expired, or did not come from this site." in response.text
    assert db.session.scalar(select(Registration.status)) == "pending"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ],
)
def test_a_sign_up_posted_from_another_site_is_refused_even_with_a_valid_token(
    client: FlaskClient, event: Any, app: Any, headers: dict[str, str]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/events/test-event?lang=en").text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = client.post(URL, data={**GOOD, "form_token": token.group(1)}, headers=headers)
    assert response.status_code == 400
    assert "This form was sent from another website, so it was refused." in response.text
    assert registrations() == 0
    same_site = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    assert client.post(URL, data={**GOOD, "form_token": token.group(1)}, headers=same_site).status_code == 302
    assert registrations() == 1
