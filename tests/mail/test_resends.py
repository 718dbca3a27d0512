"""Nobody can make the hub mail someone over and over: repeating a sign-up queues at most one
mail of a kind per registration per hour, asking for the "my sign-ups" link one mail per 15
minutes, and mail anyone can cause is capped per address and hour; changes still mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Registration
from hub.registration import service
from hub.registration.service import SignupOutcome
from hub.timeutil import utcnow
from tests.factories import make_event
from tests.registration.conftest import details, outbox
from tests.smtp import SMTPServer

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_repeated_sign_ups_of_one_address_queue_one_resend_an_hour(app: Flask) -> None:
    links = Links.from_app(app)
    event = make_event(capacity=5)
    outcomes = []
    for minute in (0, 1, 2, 10, 59.9):
        outcomes.append(
            service.sign_up(db.session, event, details("ada@example.org"), now=at(minute), links=links)
        )
        db.session.commit()
    assert outcomes == [SignupOutcome.CREATED] + [SignupOutcome.CONFIRM_RESENT] * 4
    assert len(outbox("confirm", to="ada@example.org")) == 1  # the repeats are the first mail

    service.sign_up(db.session, event, details("ada@example.org"), now=at(61), links=links)
    db.session.commit()
    assert len(outbox("confirm", to="ada@example.org")) == 2  # a new hour: one more


def test_sign_ups_of_one_address_mail_it_at_most_the_cap_an_hour(app: Flask) -> None:
    """27 sign-ups of one address by a stranger: 5 mails in the hour, the rest wait for /me."""
    links = Links.from_app(app)
    events = [make_event(f"event-{i:02d}", capacity=5) for i in range(27)]
    for i, event in enumerate(events):
        service.sign_up(db.session, event, details("ada@example.org"), now=at(i), links=links)
        db.session.commit()
    assert len(outbox(to="ada@example.org")) == service.MAIL_CAP_PER_HOUR == 5
    assert db.session.scalar(select(func.count(Registration.id))) == 27  # the sign-ups are kept
    # The next hour brings mail again; the owner's own actions are never capped.
    registration = service.find_registration(db.session, events[0], "ada@example.org")
    assert registration is not None
    service.confirm(db.session, registration, now=at(30), links=links)
    db.session.commit()
    assert len(outbox("confirmed", to="ada@example.org")) == 1
    service.sign_up(db.session, events[26], details("ada@example.org"), now=at(90), links=links)
    db.session.commit()
    assert len(outbox("confirm", to="ada@example.org")) == 6


def test_changes_are_still_mailed_within_the_hour_of_a_resend(app: Flask) -> None:
    """A resend key never swallows the mail of a real change (confirm, cancel, sign up again)."""
    links = Links.from_app(app)
    event = make_event(capacity=5)
    service.sign_up(db.session, event, details("ada@example.org"), now=at(0), links=links)
    service.sign_up(db.session, event, details("ada@example.org"), now=at(1), links=links)  # resend
    registration = service.find_registration(db.session, event, "ada@example.org")
    assert registration is not None
    service.confirm(db.session, registration, now=at(2), links=links)
    service.sign_up(db.session, event, details("ada@example.org"), now=at(3), links=links)  # resend
    service.cancel(db.session, registration, now=at(4), links=links)
    service.sign_up(db.session, event, details("ada@example.org"), now=at(5), links=links)  # restart
    db.session.commit()
    assert [m.kind for m in outbox(to="ada@example.org")] == [
        "confirm",
        "confirmed",
        "confirmed",
        "cancelled",
        "confirm",
    ]


def _post(client: FlaskClient, path: str, data: dict[str, str]) -> str:
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())
    response.close()
    return text


def test_a_stranger_repeating_the_forms_gets_the_same_page_and_the_address_few_mails(
    client: FlaskClient, smtp_server: SMTPServer
) -> None:
    make_event(capacity=5)
    signup = {"name": "Mallory", "email": "ada@example.org", "attendance": "in_person", "consent": "y"}
    first_hour = utcnow().strftime("%Y%m%d%H")
    pages = [_post(client, "/events/test-event/register?lang=en", signup) for _ in range(6)]
    answers = [_post(client, "/me?lang=en", {"email": e}) for e in ["ada@example.org"] * 6]
    stranger = _post(client, "/me?lang=en", {"email": "nobody@example.org"})
    hours = len({first_hour, utcnow().strftime("%Y%m%d%H")})

    assert len(set(pages)) == 1
    assert set(answers) == {stranger}
    assert "If that address has sign-ups with us" in stranger
    assert len(outbox("confirm", to="ada@example.org")) == hours  # one an hour (two if it turned)
    assert len(outbox("me", to="ada@example.org")) == 1  # one per request window, not per sign-up
    assert outbox(to="nobody@example.org") == []
    assert len(smtp_server.wait_for(hours + 1)) == hours + 1
