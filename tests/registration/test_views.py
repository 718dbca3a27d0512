"""Sign-up, confirm and cancel through HTTP: thin views, neutral answers, GET changes nothing."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Event, Registration, RegistrationStatus
from tests.factories import make_event
from tests.registration.conftest import outbox

SIGNUP = {"name": "Ada Lovelace", "email": "ada@example.org", "attendance": "in_person", "consent": "y"}


def sign_up(client: FlaskClient, slug: str = "test-event", **fields: str) -> Any:
    response = client.post(f"/events/{slug}/register", data={**SIGNUP, **fields})
    response.close()  # as a WSGI server does once it has sent the response: the mail goes then
    return response


def link_path(url: str | None) -> str:
    assert url is not None
    return url.removeprefix("http://hub.test")


def registration(email: str = "ada@example.org") -> Registration:
    found = db.session.scalar(select(Registration).where(Registration.email == email))
    assert found is not None
    db.session.refresh(found)
    return found


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_event_page_shows_the_sign_up_form(client: FlaskClient) -> None:
    make_event(capacity=10)
    make_event("room-only", attendance=["in_person"])
    page = client.get("/events/test-event?lang=en").text
    assert 'action="/events/test-event/register#signup"' in page
    for field in ('name="name"', 'name="email"', 'name="organisation"', 'name="consent"'):
        assert field in page
    assert 'value="in_person"' in page
    assert 'value="online"' in page
    assert "We erase it 30 days after the event." in page
    assert 'href="/privacy"' in page
    # Only one mode offered: no choice to make.
    assert 'name="attendance"' not in client.get("/events/room-only").text


def test_sign_up_says_check_your_inbox_and_the_mail_goes_to_a_file(
    client: FlaskClient, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    make_event(capacity=10)
    with caplog.at_level(logging.INFO, logger="hub.mail.transports"):
        response = sign_up(client, organisation="Oslo Cancer Cluster")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/test-event/register/sent"
    page = client.get(response.headers["Location"] + "?lang=en").text
    assert "Check your inbox" in page
    assert "Test event" in page

    registered = registration()
    assert registered.status == RegistrationStatus.PENDING
    assert registered.organisation == "Oslo Cancer Cluster"
    assert registered.locale == "nb"  # the interface language at sign-up (the default)
    (mail,) = outbox("confirm")
    assert mail.sent_at is not None  # delivered right after the request
    files = list(Path(app.config["MAIL_SINK_DIR"]).glob("*-confirm.eml"))
    assert len(files) == 1
    assert mail.action_url is not None
    # The newcomer finds the link in the mail file; the log names the file but never the token
    # or the address.
    assert mail.action_url in files[0].read_text()
    assert files[0].name in caplog.text
    assert mail.action_url not in caplog.text
    assert "ada@example.org" not in caplog.text


def test_the_answer_is_the_same_whoever_signed_up_before(client: FlaskClient) -> None:
    event = make_event(capacity=1)

    def answer(email: str) -> tuple[int, str, str]:
        response = sign_up(client, email=email)
        return (
            response.status_code,
            response.headers["Location"],
            client.get(response.headers["Location"]).text,
        )

    fresh = answer("new@example.org")
    assert answer("new@example.org") == fresh  # pending
    confirm_path = link_path(outbox("confirm", to="new@example.org")[0].action_url)
    client.post(confirm_path)
    assert answer("new@example.org") == fresh  # confirmed
    assert answer("other@example.org") == fresh
    client.post(link_path(outbox("confirm", to="other@example.org")[0].action_url))
    assert registration("other@example.org").status == RegistrationStatus.WAITLISTED
    assert answer("other@example.org") == fresh  # waitlisted
    assert (
        db.session.scalar(select(func.count(Registration.id)).where(Registration.event_id == event.id)) == 2
    )
    # The repeat while pending, in the same hour, is the same mail as the first: one confirm.
    assert [m.kind for m in outbox(to="new@example.org")] == ["confirm", "confirmed", "confirmed"]


def test_get_on_the_confirm_link_changes_nothing_and_post_confirms(client: FlaskClient) -> None:
    make_event(capacity=10)
    sign_up(client)
    path = link_path(outbox("confirm")[0].action_url)
    page = client.get(path + "?lang=en")
    assert page.status_code == 200
    assert "Confirm your sign-up" in page.text
    assert f'action="{path}"' in page.text
    for _ in range(3):
        client.get(path)
    assert registration().status == RegistrationStatus.PENDING  # mail scanners follow links

    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == path
    assert registration().status == RegistrationStatus.CONFIRMED
    page = client.get(path + "?lang=en").text
    assert "You are signed up" in page
    assert "/registrations/cancel/" in page
    # Confirming twice is harmless.
    assert client.post(path).status_code == 302
    assert len(outbox("confirmed")) == 1


def test_a_full_event_puts_the_confirmation_on_the_waiting_list(client: FlaskClient) -> None:
    make_event(capacity=1)
    for email in ("a@example.org", "b@example.org"):
        sign_up(client, email=email)
        client.post(link_path(outbox("confirm", to=email)[0].action_url))
    assert registration("b@example.org").status == RegistrationStatus.WAITLISTED
    page = client.get(link_path(outbox("confirm", to="b@example.org")[0].action_url) + "?lang=en").text
    assert "You are on the waiting list" in page
    assert "number 1 in line" in page
    event_page = client.get("/events/test-event?lang=en").text
    assert "All seats in the room are taken" in event_page


def test_cancel_link_shows_a_button_and_post_cancels_and_promotes(client: FlaskClient) -> None:
    make_event(capacity=1)
    for email in ("a@example.org", "b@example.org"):
        sign_up(client, email=email)
        client.post(link_path(outbox("confirm", to=email)[0].action_url))
    cancel_path = link_path(outbox("confirmed", to="a@example.org")[0].action_url)
    assert cancel_path.startswith("/registrations/cancel/")
    page = client.get(cancel_path + "?lang=en")
    assert "Cancel my sign-up" in page.text
    assert registration("a@example.org").status == RegistrationStatus.CONFIRMED

    response = client.post(cancel_path)
    assert response.status_code == 302
    assert registration("a@example.org").status == RegistrationStatus.CANCELLED
    assert registration("b@example.org").status == RegistrationStatus.CONFIRMED
    assert [m.recipient for m in outbox("promoted")] == ["b@example.org"]
    assert "Sign-up cancelled" in client.get(cancel_path + "?lang=en").text
    assert db.session.scalar(select(Event.seats_taken)) == 1


def test_a_broken_or_expired_link_gets_a_friendly_page_with_a_way_to_a_new_link(
    client: FlaskClient, app: Any
) -> None:
    make_event(capacity=10)
    sign_up(client)
    path = link_path(outbox("confirm")[0].action_url)
    for bad in (
        path[:-3] + "xyz",
        "/registrations/confirm/nonsense",
        "/registrations/cancel/" + path.rsplit("/")[-1],
    ):
        for method in (client.get, client.post):
            response = method(bad + "?lang=en")
            assert response.status_code == 400, bad
            assert "This link does not work" in response.text
            assert 'action="/me"' in response.text
            assert "no-store" in response.headers["Cache-Control"]
    assert registration().status == RegistrationStatus.PENDING

    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1  # every link is too old now
    response = client.post(path + "?lang=en")
    assert response.status_code == 410
    assert "This link has expired." in response.text
    assert registration().status == RegistrationStatus.PENDING


def test_sign_up_for_an_unknown_event_is_not_found(client: FlaskClient) -> None:
    assert sign_up(client, slug="no-such-event").status_code == 404
    assert client.get("/events/no-such-event/register/sent").status_code == 404


def test_get_on_the_register_url_leads_to_the_form(client: FlaskClient) -> None:
    make_event()
    response = client.get("/events/test-event/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/test-event#signup"


def test_in_person_attendees_may_ask_for_the_recording_mail(client: FlaskClient) -> None:
    make_event()
    page = client.get("/events/test-event?lang=en").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="wants_recording"[^>]*>', page)
    assert checkbox is not None
    assert "checked" not in checkbox.group(0)  # off by default
    assert "also email me when the recording is ready" in page

    sign_up(client, email="room@example.org", wants_recording="y")
    sign_up(client, email="quiet@example.org")
    sign_up(client, email="remote@example.org", attendance="online", wants_recording="y")
    assert registration("room@example.org").wants_recording is True
    assert registration("quiet@example.org").wants_recording is False
    assert registration("remote@example.org").wants_recording is False  # online: they get it anyway


def test_no_recording_checkbox_where_nothing_is_streamed(client: FlaskClient) -> None:
    make_event(attendance=("in_person",))
    page = client.get("/events/test-event?lang=en").get_data(as_text=True)
    assert 'name="wants_recording"' not in page
    sign_up(client, wants_recording="y")
    assert registration().wants_recording is False
