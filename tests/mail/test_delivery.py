"""Mail delivery against a real SMTP server on loopback: every mail once, parsed back."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.mail.delivery import backoff, deliver_pending
from hub.mail.outbox import queue_message
from hub.mail.reminders import parse_offsets, queue_due_reminders
from hub.models import OutboxMessage
from hub.timeutil import local, utcnow
from tests.factories import make_event
from tests.smtp import Received, SMTPServer

SIGNUP = {"name": "Ada Lovelace", "attendance": "in_person", "consent": "y"}


def sign_up(client: FlaskClient, email: str, lang: str = "en", **fields: str) -> None:
    response = client.post(
        f"/events/test-event/register?lang={lang}", data={**SIGNUP, "email": email, **fields}
    )
    assert response.status_code == 302, response.text
    response.close()  # as a WSGI server does once it has sent the response: the mail goes then


def post(client: FlaskClient, path: str) -> int:
    response = client.post(path)
    response.close()
    return response.status_code


def link(server: SMTPServer, email: str, kind: str) -> str:
    """The first link of that kind in the last mail the server received for the address."""
    body = text_part(server.to(email)[-1].message)
    match = re.search(rf"http://hub\.test(/registrations/{kind}/[\w.\-]+)", body)
    assert match, body
    return match.group(1)


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def calendars(message: EmailMessage) -> list[icalendar.Calendar]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        if part.get_content_type() == "text/calendar":
            found.append(icalendar.Calendar.from_ical(part.get_content()))
    return found


def check_envelope(received: Received, address: str) -> EmailMessage:
    message = received.message
    assert received.rcpt_tos == [address]
    assert received.mail_from == "noreply@hub.test"
    assert message["To"] == address
    assert message["From"] == "Arendalsuka hub <noreply@hub.test>"
    assert message["Message-ID"]
    assert message["Date"]
    for header in ("Cc", "Bcc", "Reply-To"):
        assert message[header] is None
    assert "Test event" in message["Subject"]
    assert message.is_multipart()
    assert "http://hub.test/" in text_part(message)
    assert 'href="http://hub.test/' in html_part(message)
    return message


def test_every_mail_arrives_once_with_both_parts_and_the_calendar(
    client: FlaskClient, runner: FlaskCliRunner, smtp_server: SMTPServer, app: Flask
) -> None:
    event = make_event(capacity=1, title="Test event")
    starts_at = event.starts_at
    sign_up(client, "ada@example.org")
    sign_up(client, "bob@example.org", attendance="online")
    sign_up(client, "cy@example.org")
    for email in ("ada@example.org", "bob@example.org", "cy@example.org"):
        assert post(client, link(smtp_server, email, "confirm")) == 302
    assert post(client, link(smtp_server, "ada@example.org", "cancel")) == 302  # cy is promoted

    reminder_time = starts_at - timedelta(hours=23)
    assert queue_due_reminders(db.session, reminder_time, parse_offsets("24h,1h"), Links.from_app()) == 2
    db.session.commit()
    assert deliver_pending(reminder_time).sent == 2
    result = runner.invoke(args=["hub", "deliver-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 0, failed 0, waiting 0"

    subjects = {
        address: [r.message["Subject"].split(":")[0] for r in smtp_server.to(address)]
        for address in ("ada@example.org", "bob@example.org", "cy@example.org")
    }
    assert subjects == {
        "ada@example.org": ["Please confirm your sign-up", "You are signed up", "Sign-up cancelled"],
        "bob@example.org": ["Please confirm your sign-up", "You are signed up", "Reminder"],
        "cy@example.org": [
            "Please confirm your sign-up",
            "You are on the waiting list",
            "A place opened up, and it is yours",
            "Reminder",
        ],
    }
    assert len(smtp_server.received) == 10
    for received in smtp_server.received:
        check_envelope(received, received.rcpt_tos[0])
    assert len({r.message["Message-ID"] for r in smtp_server.received}) == 10

    # In person: the venue, the cancel link and the event as a valid calendar file.
    confirmed = smtp_server.to("ada@example.org")[1].message
    text = text_part(confirmed)
    assert "Where: Test hall, Teaterplassen 2, 4836 Arendal" in text
    assert "http://hub.test/registrations/cancel/" in text
    (calendar,) = calendars(confirmed)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Test event"
    assert vevent.decoded("DTSTART") == starts_at
    assert "Test hall" in str(vevent["LOCATION"])
    assert str(vevent["URL"]) == "http://hub.test/events/test-event"

    # Online: the personal watch link instead of the room (never the raw YouTube address,
    # which goes stale when the stream is replaced), in the text and in the calendar file.
    online_mail = smtp_server.to("bob@example.org")[1].message
    online = text_part(online_mail)
    assert "Where: Online: http://hub.test/watch/" in online
    assert "youtube.com" not in online
    assert "Test hall" not in online
    (online_event,) = calendars(online_mail)[0].walk("VEVENT")
    assert str(online_event["LOCATION"]).startswith("http://hub.test/watch/")
    assert str(online_event["URL"]) == str(online_event["LOCATION"])
    assert calendars(smtp_server.to("cy@example.org")[2].message)  # promoted: calendar too
    assert calendars(smtp_server.to("cy@example.org")[1].message) == []  # waitlisted: none

    # Names are escaped in HTML, and never in a header.
    assert "Hello Ada Lovelace," in text
    assert "Ada" not in str(confirmed["To"])


def test_mail_is_in_the_language_of_the_sign_up(client: FlaskClient, smtp_server: SMTPServer) -> None:
    event = make_event()
    sign_up(client, "nb@example.org", lang="nb")
    sign_up(client, "en@example.org", lang="en")
    weekday_en = local(event.starts_at).strftime("%A")
    norwegian = text_part(smtp_server.to("nb@example.org")[0].message)
    english = text_part(smtp_server.to("en@example.org")[0].message)
    assert weekday_en in english
    assert weekday_en not in norwegian
    assert _NB_WEEKDAYS[weekday_en] in norwegian


_NB_WEEKDAYS = {
    "Monday": "mandag",
    "Tuesday": "tirsdag",
    "Wednesday": "onsdag",
    "Thursday": "torsdag",
    "Friday": "fredag",
    "Saturday": "lørdag",
    "Sunday": "søndag",
}


def test_with_the_server_down_sign_ups_succeed_and_mail_follows_once_it_is_back(
    client: FlaskClient, runner: FlaskCliRunner, smtp_server: SMTPServer
) -> None:
    make_event(capacity=10)
    smtp_server.stop()
    before = utcnow()
    sign_up(client, "ada@example.org")
    sign_up(client, "bob@example.org")
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.recipient for r in rows] == ["ada@example.org", "bob@example.org"]
    ada, bob = rows
    assert ada.sent_at is None
    assert ada.attempts == 1
    assert ada.last_error is not None
    assert "refused" in ada.last_error.lower()
    assert before + timedelta(seconds=59) <= ada.next_attempt_at <= utcnow() + timedelta(seconds=61)
    # The first failure paused inline delivery in this process: bob's mail waits, untried.
    assert (bob.sent_at, bob.attempts, bob.last_error) == (None, 0, None)

    result = runner.invoke(args=["hub", "deliver-mail", "--retry-now"])
    assert result.exit_code == 0
    # The first try finds the server down: the run stops, bob's mail is not tried, no try counted.
    assert result.output.strip() == "sent 0, failed 1, waiting 2 (mail server down, 1 not tried)"
    db.session.expire_all()
    assert [r.attempts for r in rows] == [2, 0]
    result = runner.invoke(args=["hub", "deliver-mail"])
    assert result.output.strip() == "sent 0, failed 0, waiting 2"  # not due before the backoff

    smtp_server.start()
    result = runner.invoke(args=["hub", "deliver-mail", "--retry-now"])
    assert result.output.strip() == "sent 2, failed 0, waiting 0"
    result = runner.invoke(args=["hub", "deliver-mail", "--retry-now"])
    assert result.output.strip() == "sent 0, failed 0, waiting 0"
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["ada@example.org", "bob@example.org"]
    check_envelope(smtp_server.to("ada@example.org")[0], "ada@example.org")


def _queue(address: str, key: str) -> None:
    queue_message(db.session, "test", address, "Test event: hello", "Hello", "<p>Hello</p>", [], key)


def test_a_temporary_refusal_backs_off_and_a_permanent_one_gives_up(
    smtp_server: SMTPServer, app: Flask
) -> None:
    smtp_server.refuse = {
        "later@example.org": "451 4.3.0 Try again later",
        "gone@example.org": "550 5.1.1 No such user",
    }
    _queue("later@example.org", "k-later")
    _queue("gone@example.org", "k-gone")
    db.session.commit()
    later = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "k-later"))
    gone = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "k-gone"))
    assert later is not None
    assert gone is not None

    now = utcnow()
    report = deliver_pending(now)
    assert (report.sent, report.failed, report.gave_up, report.waiting) == (0, 2, 1, 1)
    assert gone.failed_at is not None
    assert gone.last_error is not None
    assert "550" in gone.last_error
    assert later.last_error is not None
    assert "451" in later.last_error
    delays = []
    for _ in range(4):
        delays.append(later.next_attempt_at - now)
        assert deliver_pending(now + delays[-1] - timedelta(seconds=1)).failed == 0  # not due yet
        now = now + delays[-1]
        assert deliver_pending(now).failed == 1
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert later.attempts == 5
    assert backoff(30) == timedelta(hours=6)

    smtp_server.refuse = {}
    report = deliver_pending(now + timedelta(days=1), ignore_backoff=True)
    assert (report.sent, report.waiting) == (1, 0)
    assert deliver_pending(now + timedelta(days=2), ignore_backoff=True).sent == 0
    assert [r.rcpt_tos for r in smtp_server.received] == [["later@example.org"]]
    assert gone.attempts == 1  # never tried again


def test_a_mail_is_given_up_after_the_maximum_attempts(smtp_server: SMTPServer, app: Flask) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.refuse = {"later@example.org": "421 4.7.0 Not now"}
    _queue("later@example.org", "k")
    db.session.commit()
    now = utcnow()
    for day in range(5):
        deliver_pending(now + timedelta(days=day))
    row = db.session.scalar(select(OutboxMessage))
    assert row is not None
    assert row.attempts == 3
    assert row.failed_at is not None
    assert row.sent_at is None


def test_queueing_the_same_key_twice_sends_once(smtp_server: SMTPServer, app: Flask) -> None:
    for _ in range(3):
        _queue("ada@example.org", "once")
        db.session.commit()
    assert deliver_pending().sent == 1
    assert deliver_pending().sent == 0
    assert len(smtp_server.received) == 1


def test_workers_delivering_at_the_same_time_send_each_mail_once(smtp_server: SMTPServer, app: Flask) -> None:
    for i in range(40):
        _queue(f"p{i}@example.org", f"k{i}")
    db.session.commit()
    reports: list[Any] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        with app.app_context():
            barrier.wait()
            reports.append(deliver_pending(limit=40))
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(r.sent for r in reports) == 40
    assert Counter(r.rcpt_tos[0] for r in smtp_server.received) == {f"p{i}@example.org": 1 for i in range(40)}
    db.session.expire_all()
    assert all(row.sent_at is not None for row in db.session.scalars(select(OutboxMessage)))


def test_a_hanging_mail_server_does_not_hold_up_the_sign_up(client: FlaskClient, app: Flask) -> None:
    """The server accepts the connection and never greets: the attendee still gets the page."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config.update(MAIL_PORT=silent.getsockname()[1], MAIL_INLINE_TIMEOUT=1)
        make_event()
        started = time.monotonic()
        response = client.post("/events/test-event/register", data={**SIGNUP, "email": "ada@example.org"})
        answered_after = time.monotonic() - started
        assert response.status_code == 302
        assert answered_after < 1
        response.close()  # now the delivery runs, and gives up after MAIL_INLINE_TIMEOUT
    row = db.session.scalar(select(OutboxMessage))
    assert row is not None
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error is not None
    assert "timed out" in row.last_error
