"""Retention: `flask hub purge` erases personal data RETENTION_DAYS after an event ends, stale
cancelled and unconfirmed sign-ups, and old mail; it keeps the counts, and is safe to run twice
and from two processes at once. The clock is moved by passing `now`, never slept."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from hub import jobs
from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Consent, Event, OutboxMessage, Registration, RegistrationStatus
from hub.organiser.queries import Counts, counts_by_event
from hub.registration import service
from hub.registration.retention import purge
from hub.worker import run_round
from tests.factories import make_event
from tests.registration.conftest import details

START = datetime(2026, 8, 15, 8, 0, tzinfo=UTC)  # the event; it ends an hour later
BEFORE = START - timedelta(days=5)


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def festival_with_sign_ups(app: Flask) -> Event:
    """One event: 2 confirmed in person (1 checked in), 1 online, 1 waitlisted, 1 pending,
    1 cancelled; every mail sent."""
    event = make_event(capacity=2, starts_at=START)
    links = Links.from_app(app)

    def signed(email: str, minute: int, **kw: Any) -> Registration:
        service.sign_up(
            db.session, event, details(email, **kw), now=BEFORE + timedelta(minutes=minute), links=links
        )
        found = service.find_registration(db.session, event, email)
        assert found is not None
        return found

    for i, email in enumerate(["a@example.org", "b@example.org", "c@example.org", "d@example.org"]):
        kw = {"attendance": service.Attendance.ONLINE} if email == "c@example.org" else {}
        registration = signed(email, i, **kw)
        service.confirm(db.session, registration, now=BEFORE + timedelta(minutes=i), links=links)
    signed("e@example.org", 5)
    gone = signed("f@example.org", 6)
    service.cancel(db.session, gone, now=BEFORE + timedelta(minutes=7), links=links)
    first = service.find_registration(db.session, event, "a@example.org")
    assert first is not None
    first.checked_in_at = START
    db.session.execute(OutboxMessage.__table__.update().values(sent_at=BEFORE))  # type: ignore[attr-defined]
    db.session.commit()
    return event


def the_counts(event_id: int) -> Counts:
    return counts_by_event(db.session, [event_id])[event_id]


def test_nothing_goes_before_the_retention_and_everything_after(app: Flask) -> None:
    event = festival_with_sign_ups(app)
    counts = the_counts(event.id)
    assert (counts.confirmed_in_person, counts.confirmed_online, counts.waitlisted) == (2, 1, 1)
    assert (counts.pending, counts.cancelled, counts.checked_in) == (1, 1, 1)
    ends = START + timedelta(hours=1)

    # 20 days after the end: only the stale ones (cancelled and unconfirmed for over 7 days).
    report = purge(db.session, ends + timedelta(days=20), retention_days=30)
    db.session.commit()
    assert (report.past_events, report.stale, report.mails) == (0, 2, 0)
    assert count(Registration) == 4
    assert the_counts(event.id) == counts

    # Past the retention: every sign-up, its consent and its mail go; the counts stay.
    report = purge(db.session, ends + timedelta(days=30, seconds=1), retention_days=30)
    db.session.commit()
    assert report.past_events == 4
    assert report.events == ["test-event"]
    assert (count(Registration), count(Consent), count(OutboxMessage)) == (0, 0, 0)
    assert the_counts(event.id) == counts
    assert db.session.scalar(select(Event.seats_taken).where(Event.id == event.id)) == 2

    # Again: nothing more goes, the counts do not double.
    again = purge(db.session, ends + timedelta(days=400), retention_days=30)
    db.session.commit()
    assert again.nothing
    assert the_counts(event.id) == counts


def test_old_mail_bodies_go_after_the_retention_even_for_a_later_event(app: Flask) -> None:
    event = make_event(capacity=5, starts_at=START + timedelta(days=90))
    links = Links.from_app(app)
    service.sign_up(db.session, event, details("a@example.org"), now=BEFORE, links=links)
    registration = service.find_registration(db.session, event, "a@example.org")
    assert registration is not None
    service.confirm(db.session, registration, now=BEFORE, links=links)
    db.session.execute(OutboxMessage.__table__.update().values(sent_at=BEFORE))  # type: ignore[attr-defined]
    db.session.commit()
    report = purge(db.session, BEFORE + timedelta(days=31), retention_days=30)
    db.session.commit()
    assert report.mails == 2
    assert count(OutboxMessage) == 0
    assert count(Registration) == 1  # the sign-up itself stays until after its event


def test_cli_purge_dry_run_prints_and_erases_nothing_then_purge_erases(
    app: Flask, runner: FlaskCliRunner
) -> None:
    make_event(capacity=5, starts_at=datetime(2023, 8, 15, 8, 0, tzinfo=UTC))
    event = db.session.scalar(select(Event))
    assert event is not None
    db.session.add(
        Registration(event_id=event.id, email="a@example.org", name="A", status=RegistrationStatus.CONFIRMED)
    )
    db.session.commit()

    dry = runner.invoke(args=["hub", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing erased" in dry.output
    assert "over the retention period ago: 1 (test-event)" in dry.output
    assert count(Registration) == 1

    done = runner.invoke(args=["hub", "purge"])
    assert done.exit_code == 0, done.output
    assert "erased (retention 30 days)" in done.output
    assert count(Registration) == 0
    assert the_counts(event.id).confirmed == 1
    again = runner.invoke(args=["hub", "purge"])
    assert "over the retention period ago: 0" in again.output
    assert the_counts(event.id).confirmed == 1


def test_retention_days_is_configurable(app: Flask) -> None:
    event = festival_with_sign_ups(app)
    app.config["RETENTION_DAYS"] = 400
    jobs.purge(now=START + timedelta(days=399))
    assert count(Registration) == 4  # only the stale two went
    app.config["RETENTION_DAYS"] = 0
    jobs.purge(now=START + timedelta(hours=2))
    assert count(Registration) == 0
    assert the_counts(event.id).total == 6


def test_the_worker_round_runs_the_purge(app: Flask) -> None:
    make_event(starts_at=datetime(2023, 8, 15, 8, 0, tzinfo=UTC))
    event = db.session.scalar(select(Event))
    assert event is not None
    db.session.add(Registration(event_id=event.id, email="a@example.org", name="A"))
    db.session.commit()
    assert "purge" in [job.name for job in jobs.SCHEDULE]  # the worker runs it (PURGE_INTERVAL)
    report = run_round([job for job in jobs.SCHEDULE if job.name == "purge"])
    assert report.failed == []
    assert report.lines == ["purge: erased 1 sign-ups and 0 mails"]
    assert count(Registration) == 0


def test_two_purges_at_once_erase_each_sign_up_once_and_count_it_once(app: Flask) -> None:
    """Two workers (threads with their own sessions and connections) purge at the same moment."""
    events = [make_event(f"e{i}", capacity=None, starts_at=START) for i in range(3)]
    db.session.add_all(
        Registration(
            event_id=event.id,
            email=f"p{n}@example.org",
            name=f"P{n}",
            status=RegistrationStatus.CONFIRMED,
            attendance=service.Attendance.IN_PERSON,
        )
        for event in events
        for n in range(40)
    )
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def worker(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                outcomes[i] = purge(db.session, START + timedelta(days=60), retention_days=30)
                db.session.commit()
            except Exception as exc:
                outcomes[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert sorted(o.past_events for o in outcomes) == [0, 120]
    db.session.expire_all()
    assert count(Registration) == 0
    assert [the_counts(e.id).confirmed for e in events] == [40, 40, 40]
