"""No mail ever gains a header or a recipient from user input (CVE-2024-6923 and friends).

This Python (3.11.7) predates the fix for CVE-2024-6923, where the email package could fold
an encoded word into a header with a newline. The hub keeps attendee input out of headers
altogether: To holds only the validated address, Subject only fixed text and the event title.
The checks read what the SMTP server received: the envelope and the parsed headers.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.mail.delivery import deliver_pending
from hub.mail.outbox import OutboxError, queue_message
from hub.models import Attendance, Registration
from hub.registration import service
from hub.timeutil import utcnow
from tests.factories import make_event
from tests.smtp import SMTPServer

NASTY = [
    "Eve\r\nBcc: x@evil.example",
    "=?UTF-8?Q?=0A?=Bcc: x@evil.example",
    "=?UTF-8?Q?Eve=0D=0ABcc=3A_x=40evil=2Eexample?=",
    "Eve\nTo: x@evil.example\n\nInjected body",
    'Eve" <x@evil.example>, "Eve',
]
HEADERS = {"Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type", "Auto-Submitted"}


def check_clean(message: EmailMessage, raw: bytes, address: str) -> None:
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"evil" not in head.lower()
    assert set(message.keys()) <= HEADERS, message.keys()
    assert message["To"] == address
    for header in ("Bcc", "Cc", "Reply-To"):
        assert message[header] is None
    for value in message.values():
        assert "evil" not in str(value).lower()
        assert "\n" not in str(value)


@pytest.mark.parametrize("nasty", NASTY)
def test_names_and_organisations_never_reach_a_header(smtp_server: SMTPServer, app: Any, nasty: str) -> None:
    """Straight through the service (the form would refuse line breaks before this)."""
    event = make_event(capacity=1, title="Test event")
    links = Links.from_app()
    now = utcnow()
    for i, attendance in enumerate((Attendance.IN_PERSON, Attendance.IN_PERSON, Attendance.ONLINE)):
        details = service.SignupDetails(
            name=nasty, email=f"p{i}@example.org", organisation=nasty, attendance=attendance, locale="en"
        )
        service.sign_up(db.session, event, details, now=now, links=links)
    db.session.commit()
    for registration in db.session.scalars(select(Registration).order_by(Registration.id)).all():
        service.confirm(db.session, registration, now=utcnow(), links=links)
    first = db.session.scalar(select(Registration).where(Registration.email == "p0@example.org"))
    assert first is not None
    service.cancel(db.session, first, now=utcnow(), links=links)  # p1 is promoted
    db.session.commit()
    report = deliver_pending()
    assert report.failed == 0
    assert report.expired == 2  # p0's confirm and confirmed mails: p0 cancelled before they went

    kinds = [r.message["Subject"].split(":")[0] for r in smtp_server.received]
    assert len(smtp_server.received) == 6, kinds
    for received in smtp_server.received:
        (address,) = received.rcpt_tos  # the envelope has exactly the one recipient
        assert address.endswith("@example.org")
        check_clean(received.message, received.data, address)
    # The name is in the body, as text.
    body = smtp_server.received[0].message.get_body(preferencelist=("plain",))
    assert body is not None
    assert nasty.replace("\r\n", "\n") in str(body.get_content()).replace("\r\n", "\n")


def test_an_event_title_with_line_breaks_stays_one_subject_line(smtp_server: SMTPServer, app: Any) -> None:
    event = make_event(title="Test event\r\nBcc: x@evil.example")
    details = service.SignupDetails(
        name="Ada", email="ada@example.org", organisation=None, attendance=None, locale="en"
    )
    service.sign_up(db.session, event, details, now=utcnow(), links=Links.from_app())
    db.session.commit()
    deliver_pending()
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["ada@example.org"]
    message = received.message
    assert message["Bcc"] is None
    assert message["Subject"] == "Please confirm your sign-up: Test event Bcc: x@evil.example"
    assert set(message.keys()) <= HEADERS


def test_the_form_path_with_an_encoded_word_name(client: FlaskClient, smtp_server: SMTPServer) -> None:
    make_event()
    name = "=?UTF-8?Q?=0A?=Bcc: x@evil.example"
    response = client.post(
        "/events/test-event/register",
        data={"name": name, "email": "ada@example.org", "consent": "y", "organisation": name},
    )
    assert response.status_code == 302
    response.close()  # the mail goes once the response is out
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["ada@example.org"]
    check_clean(received.message, received.data, "ada@example.org")


@pytest.mark.parametrize(
    "recipient",
    [
        "Eve <ada@example.org>",
        "ada@example.org, x@evil.example",
        "ada@example.org\r\nBcc: x@evil.example",
        "=?UTF-8?Q?=0A?=@example.org",
        "ada@example.org>",
        "",
    ],
)
def test_the_outbox_takes_only_a_bare_address(app: Any, recipient: str) -> None:
    with pytest.raises(OutboxError):
        queue_message(db.session, "test", recipient, "Subject", "text", None, [], "key")
