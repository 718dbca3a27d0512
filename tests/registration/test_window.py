"""Sign-up windows: an event takes sign-ups from the import (or opens_at) until closes_at (by
default its start). Outside, the pages say so, a POST gets a clear 409/410 and nothing is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Event, Livestream, OutboxMessage, Registration, SignupState, StreamStatus
from hub.registration import service
from hub.timeutil import utcnow
from tests.factories import make_event
from tests.registration.conftest import details, outbox

SIGNUP = {"name": "Ada", "email": "ada@example.org", "attendance": "in_person", "consent": "y"}


def text_of(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_window_opens_on_import_and_closes_at_the_start_by_default() -> None:
    starts = datetime(2026, 8, 15, 8, 0, tzinfo=UTC)
    event = Event(starts_at=starts, ends_at=starts + timedelta(hours=1))
    assert event.signup_state(starts - timedelta(days=300)) == SignupState.OPEN
    assert event.signup_state(starts - timedelta(seconds=1)) == SignupState.OPEN
    assert event.signup_state(starts) == SignupState.CLOSED
    assert event.signup_state(starts + timedelta(hours=1)) == SignupState.OVER
    event.registration_opens_at = starts - timedelta(days=10)
    event.registration_closes_at = starts - timedelta(days=1)
    assert event.signup_state(starts - timedelta(days=11)) == SignupState.NOT_OPEN
    assert event.signup_state(starts - timedelta(days=2)) == SignupState.OPEN
    assert event.signup_state(starts - timedelta(hours=2)) == SignupState.CLOSED


def test_a_past_event_refuses_the_sign_up_with_410_and_sends_nothing(client: FlaskClient) -> None:
    make_event(starts_at=utcnow() - timedelta(days=400))
    page = client.get("/events/test-event?lang=en")
    assert "This event is over." in page.text
    assert 'action="/events/test-event/register' not in page.text  # no form

    response = client.post("/events/test-event/register?lang=en", data=SIGNUP)
    assert response.status_code == 410
    assert "This event is over" in response.text
    assert "Nothing was sent" in response.text
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_an_event_over_shows_its_recording(client: FlaskClient) -> None:
    event = make_event(starts_at=utcnow() - timedelta(days=2))
    event.livestream = Livestream(video_id="abcdefghijk", status=StreamStatus.ENDED)
    db.session.commit()
    page = client.get("/events/test-event?lang=en").text
    assert "This event is over." in page
    assert "Watch the recording" in page
    assert "https://www.youtube.com/watch?v=abcdefghijk" in page


def test_after_the_close_and_before_the_end_sign_up_has_closed_409(client: FlaskClient) -> None:
    event = make_event(starts_at=utcnow() - timedelta(minutes=10), duration=timedelta(hours=2))
    assert event.signup_state(utcnow()) == SignupState.CLOSED
    page = client.get("/events/test-event?lang=en").text
    assert "Sign-up has closed." in page
    response = client.post("/events/test-event/register?lang=en", data=SIGNUP)
    assert response.status_code == 409
    assert "Sign-up for this event has closed." in response.text
    assert outbox() == []


def test_an_organiser_closing_early_closes_the_form(client: FlaskClient) -> None:
    event = make_event()
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Sign-up has closed." in client.get("/events/test-event?lang=en").text
    assert client.post("/events/test-event/register", data=SIGNUP).status_code == 409
    event.registration_closes_at = None
    event.registration_opens_at = utcnow() + timedelta(days=1)
    db.session.commit()
    assert "Sign-up opens" in client.get("/events/test-event?lang=en").text
    assert client.post("/events/test-event/register", data=SIGNUP).status_code == 409
    assert outbox() == []


def test_a_confirm_link_stops_working_once_sign_up_has_closed(client: FlaskClient, app: Any) -> None:
    event = make_event()
    assert client.post("/events/test-event/register", data=SIGNUP).status_code == 302
    (mail,) = outbox("confirm")
    assert mail.action_url is not None
    path = mail.action_url.removeprefix("http://hub.test")
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for method in (client.get, client.post):
        response = method(path + "?lang=en")
        assert response.status_code == 409
        assert "Sign-up for this event has closed." in response.text
        assert "no-store" in response.headers["Cache-Control"]
    (registration,) = db.session.scalars(select(Registration)).all()
    assert registration.status.value == "pending"
    assert len(outbox()) == 1
    # The service refuses too (another caller than the page).
    with pytest.raises(service.SignupClosed):
        service.confirm(db.session, registration, now=utcnow(), links=Links.from_app(app))


def test_the_service_refuses_a_sign_up_outside_the_window(app: Any) -> None:
    event = make_event(starts_at=datetime(2023, 8, 15, 8, 0, tzinfo=UTC))
    with pytest.raises(service.SignupClosed) as refused:
        service.sign_up(
            db.session, event, details("ada@example.org"), now=utcnow(), links=Links.from_app(app)
        )
    assert refused.value.status_code == 410
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_a_festival_whose_last_event_ended_shows_as_over(client: FlaskClient) -> None:
    make_event("first", starts_at=utcnow() - timedelta(days=3))
    make_event("last", starts_at=utcnow() - timedelta(days=2))
    assert "This festival is over." in client.get("/?lang=en").text
    make_event("later", starts_at=utcnow() + timedelta(days=2))
    assert "This festival is over." not in client.get("/?lang=en").text


def test_the_programme_file_sets_the_window_and_exports_it(
    runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    programme = {
        "festival": {"slug": "f", "name": "F"},
        "events": [
            {
                "slug": "e",
                "title": "E",
                "language": "en",
                "starts_at": "2030-08-15T10:00:00+02:00",
                "ends_at": "2030-08-15T11:00:00+02:00",
                "registration": {
                    "opens_at": "2030-08-01T09:00:00+02:00",
                    "closes_at": "2030-08-14T12:00:00+02:00",
                },
            }
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(programme))
    result = runner.invoke(args=["hub", "import", str(path)])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event).where(Event.slug == "e"))
    assert event is not None
    assert event.registration_opens_at == datetime(2030, 8, 1, 7, 0, tzinfo=UTC)
    assert event.signup_closes_at == datetime(2030, 8, 14, 10, 0, tzinfo=UTC)
    exported = client.get("/programme.json").get_json()["events"][0]["registration"]
    assert exported == {"opens_at": "2030-08-01T09:00:00+02:00", "closes_at": "2030-08-14T12:00:00+02:00"}

    programme["events"][0]["registration"] = {"opens_at": None, "closes_at": "2030-08-01T00:00:00+02:00"}
    programme["events"][0]["registration"]["opens_at"] = "2030-08-02T00:00:00+02:00"
    path.write_text(json.dumps(programme))
    result = runner.invoke(args=["hub", "import", str(path)])
    assert result.exit_code == 1
    assert "events[0].registration.closes_at: must be after opens_at" in result.output
