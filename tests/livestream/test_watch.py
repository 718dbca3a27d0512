"""The personal watch link before, during and after a broadcast, after cancel and erasure;
and each attendee's calendar file (online: the watch link; in person: the venue)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import icalendar
from flask import Flask
from flask.testing import FlaskClient

from hub.extensions import db as _db
from hub.mail.compose import Links, MailKind, registration_mail
from hub.models import Attendance, Registration, RegistrationStatus
from hub.timeutil import utcnow
from hub.tokens import Purpose, read_token
from tests.factories import make_event
from tests.livestream.conftest import AFTER, BEFORE, LIVE_AT, SLUG, attendee, sync
from tests.livestream.fake_youtube import FakeYouTube


def watch_path(registration: Registration) -> str:
    url = Links.from_app().watch(registration)
    assert url.startswith("http://hub.test/watch/")
    return url.removeprefix("http://hub.test")


def follow(client: FlaskClient, path: str) -> Any:
    response = client.get(path)
    assert response.headers["Cache-Control"].startswith("no-store")
    return response


def test_watch_link_follows_the_broadcast_from_countdown_to_live_to_recording(
    app: Flask, client: FlaskClient, programme: Any, youtube: FakeYouTube
) -> None:
    registration = attendee(SLUG, "remote@example.org")
    path = watch_path(registration)

    # Before any sync: no video known, the event page.
    before = follow(client, path)
    assert before.status_code == 303
    assert before.headers["Location"] == f"/events/{SLUG}"

    # Linked, not started yet: still the event page, which counts down to the start.
    sync(app, BEFORE)
    response = follow(client, path)
    assert (response.status_code, response.headers["Location"]) == (303, f"/events/{SLUG}")

    # Live: the broadcast itself, with nothing personal in the address.
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    sync(app, LIVE_AT)
    live = follow(client, path)
    assert live.status_code == 303
    assert live.headers["Location"] == "https://www.youtube.com/watch?v=DigiHealth3"
    assert live.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"

    # Ended: the recording, at the same link.
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    sync(app, AFTER)
    ended = follow(client, path)
    assert ended.headers["Location"] == "https://www.youtube.com/watch?v=DigiHealth3"

    # The stream is replaced (the organiser pins the cut recording): the link follows it.
    from hub.livestream import pin_video

    pin_video(_db.session, registration.event, "https://youtu.be/KreftIntv01", AFTER)
    _db.session.commit()
    sync(app, AFTER)
    assert follow(client, path).headers["Location"] == "https://www.youtube.com/watch?v=KreftIntv01"


def test_before_the_broadcast_the_link_leads_to_the_event_page_with_a_countdown(
    app: Flask, client: FlaskClient
) -> None:
    event = make_event(starts_at=(utcnow() + timedelta(days=2, hours=3)).replace(microsecond=0))
    registration = Registration(
        event=event, email="remote@example.org", name="Remote", attendance=Attendance.ONLINE, locale="en"
    )
    registration.status = RegistrationStatus.CONFIRMED
    _db.session.add(registration)
    _db.session.commit()
    response = follow(client, watch_path(registration))
    assert (response.status_code, response.headers["Location"]) == (303, "/events/test-event")
    page = client.get("/events/test-event?lang=en").get_data(as_text=True)
    assert re.search(
        r'<p class="stream-countdown" id="countdown"><time datetime="[^"]+">Starts in 2 days</time>', page
    )
    norwegian = client.get("/events/test-event?lang=nb").get_data(as_text=True)
    assert "Starter om 2 dager" in norwegian


def test_watch_link_stops_working_after_cancel_and_after_erasure(
    app: Flask, client: FlaskClient, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    sync(app, LIVE_AT)
    registration = attendee(SLUG, "remote@example.org")
    path = watch_path(registration)
    assert follow(client, path).status_code == 303

    registration.status = RegistrationStatus.CANCELLED
    _db.session.commit()
    cancelled = follow(client, path)
    assert cancelled.status_code == 410
    assert "Location" not in cancelled.headers
    assert "avmeldt, så seerlenken virker ikke lenger" in cancelled.get_data(as_text=True)

    _db.session.delete(registration)
    _db.session.commit()
    erased = follow(client, path)
    assert erased.status_code == 400
    assert "Denne lenken virker ikke" in erased.get_data(as_text=True)


def test_a_watch_link_is_no_other_link(app: Flask, client: FlaskClient, programme: Any) -> None:
    registration = attendee(SLUG, "remote@example.org")
    cancel_url = Links.from_app().cancel(registration).removeprefix("http://hub.test")
    token = cancel_url.rsplit("/", 1)[1]
    assert client.get(f"/watch/{token}").status_code == 400  # a cancel token does not watch
    assert client.get("/watch/not-a-token").status_code == 400
    watch_token = watch_path(registration).rsplit("/", 1)[1]
    # ... and a watch token cancels nothing.
    assert client.get(f"/registrations/cancel/{watch_token}").status_code == 400


def _calendar(registration: Registration) -> icalendar.Event:
    mail = registration_mail(MailKind.CONFIRMED, registration, Links.from_app())
    # In person, the QR ticket rides along (issue 11); the calendar file is the text/calendar one.
    (attachment,) = [a for a in mail.attachments if a["content_type"].startswith("text/calendar")]
    assert attachment["content_type"] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachment["data"])
    (vevent,) = calendar.walk("VEVENT")
    return vevent


def test_each_attendee_gets_a_calendar_file_for_how_they_take_part(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    sync(app, BEFORE)
    online = attendee(SLUG, "remote@example.org")
    in_person = attendee(SLUG, "room@example.org", "in_person")

    remote_event = _calendar(online)
    watch = str(remote_event["LOCATION"])
    # The watch link of this very sign-up (signed when the mail was made).
    token = watch.removeprefix("http://hub.test/watch/")
    assert read_token("test-secret", Purpose.WATCH, token, 60)[0] == online.id
    assert str(remote_event["URL"]) == watch
    assert watch in str(remote_event["DESCRIPTION"])
    assert "youtube.com" not in str(remote_event["DESCRIPTION"])
    assert "Clarion" not in str(remote_event["LOCATION"])

    room_event = _calendar(in_person)
    venue = online.event.venue
    assert venue is not None
    assert venue.address
    assert str(room_event["LOCATION"]) == f"{venue.name}, {venue.address}"
    assert str(room_event["URL"]) == f"http://hub.test/events/{SLUG}"
    assert "/watch/" not in room_event.to_ical().decode()
    # Same event, same start, in both.
    assert remote_event.decoded("DTSTART") == room_event.decoded("DTSTART")
    assert online.attendance is Attendance.ONLINE
