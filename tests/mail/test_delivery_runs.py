"""Delivery runs side by side and through an outage: leases that name their run, small batches,
and tries counted only for mail that was really tried."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.extensions import db
from hub.mail import outbox
from hub.mail.delivery import DeliveryReport, backoff, deliver_pending
from hub.mail.outbox import queue_message
from hub.models import OutboxMessage
from hub.timeutil import utcnow
from tests.smtp import SMTPServer


def _queue(count: int) -> list[str]:
    addresses = [f"p{i}@example.org" for i in range(count)]
    for address in addresses:
        queue_message(db.session, "test", address, "Test event: hello", "Hello", None, [], address)
    db.session.commit()
    return addresses


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _in_thread(app: Flask, reports: list[DeliveryReport], **kwargs: Any) -> threading.Thread:
    def work() -> None:
        with app.app_context():
            try:
                reports.append(deliver_pending(**kwargs))
            finally:
                db.session.remove()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_a_second_worker_after_the_first_ones_lease_never_sends_a_mail_twice(
    smtp_server: SMTPServer, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run longer than the lease (slow server, many mails): the second worker, started
    once the first run's lease would have run out, takes only mail nobody holds."""
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=1))
    smtp_server.delay = 0.05
    addresses = _queue(60)
    reports: list[DeliveryReport] = []
    first = _in_thread(app, reports, limit=500)
    time.sleep(1.3)
    second = _in_thread(app, reports, limit=500)
    first.join(timeout=60)
    second.join(timeout=60)

    assert Counter(r.rcpt_tos[0] for r in smtp_server.received) == Counter(addresses)
    assert all(r.sent for r in reports)  # both workers did send
    assert sum(r.sent for r in reports) == 60
    assert sum(r.lost for r in reports) == 0
    rows = _rows()
    assert all(row.sent_at is not None for row in rows)
    assert [row.attempts for row in rows] == [1] * 60
    assert {(row.locked_by, row.locked_until) for row in rows} == {(None, None)}


def test_a_run_that_lost_its_lease_does_not_record_the_mail_again_and_says_so(
    smtp_server: SMTPServer, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One send outlasts the whole lease: another run takes the row over and records it; the
    late run's result is not written over it, and its report tells the operator."""
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=0.5))
    smtp_server.delay = 2.0
    _queue(1)
    reports: list[DeliveryReport] = []
    slow = _in_thread(app, reports)
    assert smtp_server.data_begun.wait(timeout=10)
    smtp_server.delay = 0.0
    time.sleep(0.7)  # the slow run's lease has run out while its mail is still in DATA
    taken_over = deliver_pending()
    (row,) = _rows()
    sent_at = row.sent_at
    slow.join(timeout=30)

    assert (taken_over.sent, taken_over.lost) == (1, 0)
    (late,) = reports
    assert (late.sent, late.failed, late.lost) == (0, 0, 1)
    assert late.summary() == "sent 0, failed 0, waiting 0 (lost the lease on 1)"
    (row,) = _rows()
    assert row.attempts == 1  # recorded once, by the run that held the lease
    assert sent_at is not None
    assert row.sent_at == sent_at
    assert row.locked_by is None


def test_an_outage_counts_a_try_only_for_the_mail_that_was_tried(smtp_server: SMTPServer, app: Flask) -> None:
    _queue(5)
    smtp_server.stop()
    now = utcnow()
    report = deliver_pending(now)
    assert (report.sent, report.failed, report.deferred, report.waiting) == (0, 1, 4, 5)
    assert report.summary() == "sent 0, failed 1, waiting 5 (mail server down, 4 not tried)"
    rows = _rows()
    assert [row.attempts for row in rows] == [1, 0, 0, 0, 0]
    assert rows[0].last_error is not None
    assert "refused" in rows[0].last_error.lower()
    for row in rows:
        assert (row.locked_by, row.locked_until, row.failed_at) == (None, None, None)
        assert row.next_attempt_at == now + backoff(1)  # the untried ones wait as long
    assert [row.last_error for row in rows[1:]] == [None] * 4


def test_a_two_day_outage_gives_up_no_mail_that_was_never_tried(smtp_server: SMTPServer, app: Flask) -> None:
    """A worker runs every 10 minutes for two days while the server is down, then it is back."""
    addresses = _queue(5)
    smtp_server.stop()
    start = utcnow()
    tries = 0
    for run in range(2 * 24 * 6):
        report = deliver_pending(start + timedelta(minutes=10 * run))
        assert report.failed <= 1  # one try tells the server is down
        tries += report.failed
    rows = _rows()
    assert sum(row.attempts for row in rows) == tries
    tried = [row for row in rows if row.attempts]
    never_tried = [row for row in rows if not row.attempts]
    assert len(never_tried) >= 3
    for row in never_tried:
        assert (row.failed_at, row.last_error) == (None, None)
    # Only a mail tried MAIL_MAX_ATTEMPTS times may have been given up.
    assert all(row.attempts == 15 for row in tried if row.failed_at is not None)

    smtp_server.start()
    report = deliver_pending(start + timedelta(days=3))
    given_up = {row.recipient for row in rows if row.failed_at is not None}
    assert report.sent == 5 - len(given_up)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(set(addresses) - given_up)


def test_a_run_holds_one_small_batch_at_a_time_until_its_limit(smtp_server: SMTPServer, app: Flask) -> None:
    """Mail the run has not reached stays free for other workers, and the limit holds."""
    _queue(45)
    smtp_server.delay = 0.05
    reports: list[DeliveryReport] = []
    run = _in_thread(app, reports, limit=41)
    assert smtp_server.data_begun.wait(timeout=10)
    held = [row for row in _rows() if row.locked_by is not None]
    run.join(timeout=60)
    assert 0 < len(held) <= outbox.BATCH
    assert len({row.locked_by for row in held}) == 1
    assert reports[0].sent == 41
    assert deliver_pending(limit=500).sent == 4
    assert Counter(r.rcpt_tos[0] for r in smtp_server.received) == Counter(
        f"p{i}@example.org" for i in range(45)
    )


class _Died(BaseException):
    """The process dies (SIGKILL, power cut) at the worst moment."""


def test_a_process_that_dies_after_the_servers_reply_sends_that_one_mail_twice(
    smtp_server: SMTPServer, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once, and the duplicate window is one send: the mail accepted just before the
    crash goes again (same Message-ID) once the lease runs out; the batch's others go once."""
    addresses = _queue(5)
    real_finish = outbox.finish
    sends = 0

    def finish_or_die(row_ids: Any, me: str, **values: Any) -> int:
        nonlocal sends
        if "sent_at" in values:
            sends += 1
            if sends == 3:
                db.session.rollback()
                raise _Died()  # the server said 250; the commit never happens
        return real_finish(row_ids, me, **values)

    monkeypatch.setattr("hub.mail.delivery.finish", finish_or_die)
    now = utcnow()
    with pytest.raises(_Died):
        deliver_pending(now)
    db.session.rollback()
    assert [r.sent_at is not None for r in _rows()] == [True, True, False, False, False]

    monkeypatch.setattr("hub.mail.delivery.finish", real_finish)
    assert deliver_pending(now + timedelta(minutes=1)).sent == 0  # still leased to the dead run
    report = deliver_pending(now + outbox.LEASE + timedelta(seconds=1))
    assert report.sent == 3
    per_address = Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert per_address == {a: (2 if a == addresses[2] else 1) for a in addresses}
    ids = [r.message["Message-ID"] for r in smtp_server.to(addresses[2])]
    assert ids[0] == ids[1]  # the receiver can tell it is the same mail
