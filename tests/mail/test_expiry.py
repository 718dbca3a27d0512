"""Time-bound mail is never sent late: a reminder expires at the start, a confirm mail with
its link, and a mail for a sign-up that was cancelled or erased is dropped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.mail.delivery import deliver_pending
from hub.mail.reminders import parse_offsets, queue_due_reminders
from hub.models import OutboxMessage
from hub.registration import service
from hub.timeutil import utcnow
from tests.factories import make_event
from tests.mail.test_reminders import add
from tests.smtp import SMTPServer

OFFSETS = parse_offsets("24h,1h")


def rows(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
    )


def test_a_reminder_not_sent_before_the_start_is_expired_not_sent(
    smtp_server: SMTPServer, runner: FlaskCliRunner, app: Any
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    add(event, "ada@example.org", start - timedelta(days=10))
    add(event, "bob@example.org", start - timedelta(days=10))
    queue_due_reminders(db.session, start - timedelta(minutes=50), OFFSETS, Links.from_app())
    db.session.commit()
    (ada, _bob) = rows("reminder")
    assert ada.expires_at == start

    smtp_server.stop()  # the mail server is down until after the start
    assert deliver_pending(start - timedelta(minutes=30)).failed == 1
    smtp_server.start()
    report = deliver_pending(start + timedelta(minutes=1), ignore_backoff=True)
    assert (report.sent, report.expired, report.waiting) == (0, 2, 0)
    assert report.summary() == "sent 0, failed 0, waiting 0 (expired 2)"
    assert smtp_server.received == []
    for row in rows("reminder"):
        assert row.sent_at is None
        assert row.failed_at is None
        assert row.expired_at == start + timedelta(minutes=1)
        assert row.last_error == "expired: too late to send"
    assert [r.attempts for r in rows("reminder")] == [1, 0]
    # Counted once, then never again.
    assert deliver_pending(start + timedelta(days=400), ignore_backoff=True).expired == 0


def test_after_a_long_outage_no_reminder_goes_out_for_a_past_event(
    smtp_server: SMTPServer, runner: FlaskCliRunner, app: Any
) -> None:
    """The reminders were queued in time; the worker comes back 400 days later."""
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    for i in range(5):
        add(event, f"p{i}@example.org", start - timedelta(days=10))
    queue_due_reminders(db.session, start - timedelta(hours=20), OFFSETS, Links.from_app())
    db.session.commit()
    report = deliver_pending(start + timedelta(days=400))
    assert (report.sent, report.expired) == (0, 5)
    assert smtp_server.received == []


def test_a_confirm_mail_expires_with_its_link(smtp_server: SMTPServer, app: Any) -> None:
    event = make_event()
    now = utcnow()
    details = service.SignupDetails(
        name="Ada", email="ada@example.org", organisation=None, attendance=None, locale="en"
    )
    service.sign_up(db.session, event, details, now=now, links=Links.from_app())
    db.session.commit()
    (row,) = rows("confirm")
    max_age = timedelta(seconds=app.config["CONFIRM_TOKEN_MAX_AGE"])
    assert row.expires_at == now + max_age
    assert deliver_pending(now + max_age + timedelta(seconds=1)).expired == 1
    assert smtp_server.received == []


def test_mail_for_a_cancelled_sign_up_is_dropped_but_the_cancellation_goes(
    smtp_server: SMTPServer, app: Any
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    ada = add(event, "ada@example.org", start - timedelta(days=10))
    now = start - timedelta(minutes=50)
    queue_due_reminders(db.session, now, OFFSETS, Links.from_app())
    service.cancel(db.session, ada, now=now, links=Links.from_app())
    db.session.commit()
    report = deliver_pending(now)
    assert (report.sent, report.expired) == (1, 1)
    assert [r.message["Subject"].split(":")[0] for r in smtp_server.received] == ["Sign-up cancelled"]
    (reminder,) = rows("reminder")
    assert reminder.last_error == "expired: the sign-up was cancelled"


def test_mail_for_an_erased_sign_up_is_dropped(smtp_server: SMTPServer, app: Any) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    ada = add(event, "ada@example.org", start - timedelta(days=10))
    now = start - timedelta(minutes=50)
    queue_due_reminders(db.session, now, OFFSETS, Links.from_app())
    db.session.delete(ada)
    db.session.commit()
    assert deliver_pending(now).expired == 1
    assert smtp_server.received == []
    (reminder,) = rows("reminder")
    assert reminder.last_error == "expired: the sign-up was erased"
