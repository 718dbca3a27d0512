"""A real SMTP server that refuses: 5xx at any stage fails the mail at once and the organiser
sees why; 4xx (or no server) retries with growing gaps until it goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links, MailKind, queue_registration_mail
from hub.mail.delivery import deliver_pending
from hub.models import Account, Attendance, Event, OutboxMessage, Registration, RegistrationStatus
from hub.timeutil import utcnow
from tests.conftest import PASSWORD
from tests.factories import make_event
from tests.smtp import SMTPServer


def confirmed(email: str, name: str = "Ada Lovelace") -> Registration:
    event = db.session.scalar(select(Event).where(Event.slug == "test-event")) or make_event()
    registration = Registration(
        event_id=event.id,
        email=email,
        name=name,
        status=RegistrationStatus.CONFIRMED,
        attendance=Attendance.IN_PERSON,
        created_at=utcnow(),
        confirmed_at=utcnow(),
        locale="en",
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def queue_confirmed_mail(registration: Registration) -> OutboxMessage:
    queue_registration_mail(db.session, MailKind.CONFIRMED, registration, Links.from_app(), utcnow())
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.registration_id == registration.id))
    assert row is not None
    return row


def organiser_list(client: FlaskClient, password_hash: str) -> str:
    account = Account(email="admin@example.org", is_admin=True, password_hash=password_hash)
    db.session.add(account)
    db.session.commit()
    login = client.post("/organiser/login", data={"email": account.email, "password": PASSWORD})
    assert login.status_code == 302
    page = client.get("/organiser/events/test-event?lang=en")
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize(
    ("stage", "reply", "reason"),
    [
        ("MAIL", "550 5.7.1 Sender rejected", "MAIL FROM: 550 5.7.1 Sender rejected"),
        ("RCPT", "550 5.1.1 No such user here", "RCPT TO: 550 5.1.1 No such user here"),
        ("DATA", "554 5.6.0 Message refused", "DATA: 554 5.6.0 Message refused"),
    ],
)
def test_a_5xx_at_any_stage_fails_after_one_try_and_the_organiser_sees_why(
    smtp_server: SMTPServer,
    client: FlaskClient,
    password_hash: str,
    stage: str,
    reply: str,
    reason: str,
) -> None:
    ada = confirmed("ada@example.org")
    bob = confirmed("bob@example.org", name="Bob Builder")
    ada_mail = queue_confirmed_mail(ada)
    queue_confirmed_mail(bob)
    smtp_server.answer(stage, reply)  # the first mail tried (ada's) is refused

    now = utcnow()
    report = deliver_pending(now)
    assert (report.sent, report.failed, report.gave_up, report.waiting) == (1, 1, 1, 0)
    assert [r.rcpt_tos for r in smtp_server.received] == [["bob@example.org"]]
    db.session.expire_all()
    assert ada_mail.attempts == 1
    assert ada_mail.failed_at == now
    assert ada_mail.last_error == reason
    # Never retried, however much later and even when asked to retry now.
    assert deliver_pending(now + timedelta(days=3), ignore_backoff=True).sent == 0
    assert len(smtp_server.received) == 1

    page = organiser_list(client, password_hash)
    ada_row = page.split(f'id="r-{ada.public_id}"', 1)[1].split("</tr>", 1)[0]
    bob_row = page.split(f'id="r-{bob.public_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Our last mail did not arrive" in ada_row
    assert reason.split(": ", 1)[1] in ada_row
    assert "did not arrive" not in bob_row


def test_a_451_three_times_then_delivered_on_the_fourth_try_with_growing_gaps(
    smtp_server: SMTPServer, app: Flask
) -> None:
    row = queue_confirmed_mail(confirmed("ada@example.org"))
    smtp_server.answer("MAIL", "451 4.3.0 Try again later")
    smtp_server.answer("RCPT", "451 4.7.1 Greylisted")
    smtp_server.answer("DATA", "452 4.3.1 Out of space")
    now = utcnow()
    gaps = []
    for _try in range(3):
        report = deliver_pending(now)
        assert (report.sent, report.failed, report.gave_up) == (0, 1, 0)
        db.session.expire_all()
        assert row.failed_at is None
        gaps.append(row.next_attempt_at - now)
        assert deliver_pending(row.next_attempt_at - timedelta(seconds=1)).failed == 0  # not due yet
        now = row.next_attempt_at
    assert gaps == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert row.last_error == "DATA: 452 4.3.1 Out of space"
    assert smtp_server.received == []

    assert deliver_pending(now).sent == 1
    db.session.expire_all()
    assert row.attempts == 4
    assert row.sent_at is not None
    assert row.last_error is None
    assert [r.rcpt_tos for r in smtp_server.received] == [["ada@example.org"]]


def test_a_refused_mail_followed_by_one_that_arrives_is_not_shown_as_failed(
    smtp_server: SMTPServer, client: FlaskClient, password_hash: str
) -> None:
    """The list shows the sign-up's *last* mail: once a later one arrived, all is well."""
    ada = confirmed("ada@example.org")
    queue_confirmed_mail(ada)
    smtp_server.answer("RCPT", "550 5.2.2 Mailbox full")
    deliver_pending()
    later = utcnow() + timedelta(hours=2)
    queue_registration_mail(db.session, MailKind.CONFIRMED, ada, Links.from_app(), later, resend=True)
    db.session.commit()
    assert deliver_pending(later).sent == 1
    assert "did not arrive" not in organiser_list(client, password_hash)
