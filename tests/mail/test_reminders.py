"""Reminders: due when the window opens, queued exactly once, sensible for late sign-ups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.mail.delivery import deliver_pending
from hub.mail.reminders import parse_offsets, queue_due_reminders
from hub.models import Attendance, Event, OutboxMessage, Registration, RegistrationStatus
from hub.timeutil import utcnow
from tests.factories import make_event
from tests.smtp import SMTPServer

OFFSETS = parse_offsets("24h,1h")


def add(
    event: Event,
    email: str,
    placed_at: Any,
    status: RegistrationStatus = RegistrationStatus.CONFIRMED,
    **kw: Any,
) -> Registration:
    registration = Registration(
        event_id=event.id,
        email=email,
        name=email.split("@")[0],
        status=status,
        created_at=placed_at,
        confirmed_at=placed_at,
        locale="en",
        **kw,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def reminder_keys() -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.kind == "reminder")
            .order_by(OutboxMessage.id)
        )
    )


def run(now: Any) -> int:
    queued = queue_due_reminders(db.session, now, OFFSETS, Links.from_app())
    db.session.commit()
    return queued


def test_offsets_are_parsed_from_the_setting() -> None:
    assert [(o.label, o.delta) for o in parse_offsets(" 1h, 24H ,90m,1h")] == [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("1h", timedelta(hours=1)),
    ]
    for bad in ("", "soon", "24h,x", "0h", ","):
        with pytest.raises(ValueError, match=r"."):
            parse_offsets(bad)


def test_each_reminder_is_queued_once_however_often_it_runs(app: Any) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    early = add(event, "early@example.org", start - timedelta(days=10))
    remote = add(event, "remote@example.org", start - timedelta(days=10), attendance=Attendance.ONLINE)

    assert run(start - timedelta(hours=25)) == 0  # no window open yet
    assert run(start - timedelta(hours=24)) == 2
    for minutes in range(0, 60 * 22, 7):  # a worker every few minutes for most of a day
        assert run(start - timedelta(hours=24) + timedelta(minutes=minutes)) == 0
    assert run(start - timedelta(minutes=60)) == 2
    assert run(start - timedelta(minutes=1)) == 0
    assert run(start) == 0  # started: nothing more
    assert reminder_keys() == [
        f"reminder:{early.id}:24h",
        f"reminder:{remote.id}:24h",
        f"reminder:{early.id}:1h",
        f"reminder:{remote.id}:1h",
    ]


def test_only_confirmed_sign_ups_of_upcoming_events_are_reminded(app: Any) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    past = make_event("past", starts_at=start - timedelta(days=30))
    long_ago = start - timedelta(days=40)
    for status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED):
        add(event, f"{status.value}@example.org", long_ago, status=status)
    add(past, "past@example.org", long_ago)
    assert run(start - timedelta(minutes=30)) == 0


def test_late_sign_ups_skip_reminders_whose_window_had_opened(app: Any) -> None:
    """Chosen rule: a reminder whose window opened before the attendee got a place is skipped."""
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    three_hours = add(event, "three@example.org", start - timedelta(hours=3))
    add(event, "half@example.org", start - timedelta(minutes=30))
    promoted = add(
        event,
        "promoted@example.org",
        start - timedelta(days=5),
        waitlisted_at=start - timedelta(days=5),
        promoted_at=start - timedelta(minutes=20),
    )
    assert run(start - timedelta(hours=2)) == 0  # the 24h window opened before they had a place
    assert run(start - timedelta(minutes=10)) == 1
    assert reminder_keys() == [f"reminder:{three_hours.id}:1h"]
    assert promoted.has_place_since == start - timedelta(minutes=20)


def test_a_worker_that_was_down_sends_one_reminder_not_two(app: Any) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    registration = add(event, "ada@example.org", start - timedelta(days=10))
    assert run(start - timedelta(minutes=15)) == 1
    assert reminder_keys() == [f"reminder:{registration.id}:1h"]


def test_the_reminder_mail(app: Any, smtp_server: SMTPServer) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start, title="Test event")
    add(event, "ada@example.org", start - timedelta(days=10))
    add(event, "remote@example.org", start - timedelta(days=10), attendance=Attendance.ONLINE)
    now = start - timedelta(hours=20)
    assert run(now) == 2
    assert deliver_pending(now).sent == 2
    room, remote = (r.message for r in smtp_server.received)
    assert room["Subject"].startswith("Reminder: Test event starts ")
    room_text = room.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    remote_text = remote.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "you have a seat" in room_text
    assert "Test hall" in room_text
    assert "Watch here when it starts: http://hub.test/watch/" in remote_text
    assert "youtube.com" not in remote_text
    assert "/registrations/cancel/" in room_text
    assert any(p.get_content_type() == "text/calendar" for p in room.iter_attachments())


def test_send_reminders_command_prints_how_many(app: Any, runner: FlaskCliRunner) -> None:
    start = (utcnow() + timedelta(hours=5)).replace(microsecond=0)
    event = make_event(starts_at=start)
    add(event, "ada@example.org", start - timedelta(days=10))
    add(event, "bob@example.org", start - timedelta(days=10))
    result = runner.invoke(args=["hub", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "queued 2 reminders"
    assert runner.invoke(args=["hub", "send-reminders"]).output.strip() == "queued 0 reminders"

    app.config["REMINDER_OFFSETS"] = "24h,soon"
    result = runner.invoke(args=["hub", "send-reminders"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: REMINDER_OFFSETS is not valid: not a duration: 'soon' (use e.g. 24h, 90m, 2d)"
    ]


def test_a_cancelled_event_gets_no_reminders(app: Any) -> None:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    event = make_event(starts_at=start)
    add(event, "ada@example.org", start - timedelta(days=40))
    event.status = "cancelled"
    db.session.commit()
    assert run(start - timedelta(minutes=30)) == 0
    assert reminder_keys() == []
