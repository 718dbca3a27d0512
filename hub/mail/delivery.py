"""Delivery: send what the outbox holds, with retry, backoff and expiry.

Delivery owns its transactions (like a CLI command): it claims a small batch of rows under a
lease (see :mod:`hub.mail.outbox`), sends each through the configured transport
(:mod:`hub.mail.transports`) and commits each outcome as soon as it is known.

* A mail whose moment has passed (``expires_at``), or whose sign-up was cancelled or erased,
  is marked expired and never sent.
* A 5xx answer at MAIL FROM, RCPT TO or DATA fails the row at once, keeping the answer; a 4xx
  answer, or a server that cannot be reached, retries with exponential backoff.
* Delivery is at least once: a duplicate (with the same Message-ID) happens only when the
  process dies between the server's reply and the commit of ``sent_at``. That window is one
  send, never a batch.

Right after a request, :func:`commit_and_deliver` hands the mail that request queued to a
background thread of the process (:class:`Courier`), which sends it with a short timeout and
behind a per-process circuit breaker: after one failed or slow inline send, inline delivery
pauses in that process and the worker sends the mail. The visitor never waits for the server.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, after_this_request, current_app, has_request_context
from sqlalchemy import func, select

from hub.extensions import DbSession, db
from hub.mail import outbox
from hub.mail.outbox import claim, claimed_row, finish, open_rows, take_queued_keys
from hub.mail.transports import Refused, Transport, TransportDown, build_message, short_error, transport
from hub.models import OutboxMessage, Registration, RegistrationStatus
from hub.timeutil import utcnow

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)

# Mails about one sign-up: dropped when the sign-up is gone (erased) or cancelled.
REGISTRATION_KINDS = frozenset(
    {"confirm", "confirmed", "waitlisted", "promoted", "cancelled", "reminder", "live", "recording"}
    # An organiser's notices and mail to attendees: not for a sign-up cancelled meanwhile.
    | {"event_changed", "event_cancelled", "attendee_mail"}
)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # tried and failed in this run (will be retried, or given up: gave_up)
    gave_up: int = 0  # refused for good, or out of attempts
    expired: int = 0  # not sent: too late, or the sign-up was cancelled or erased
    waiting: int = 0  # still to be sent after this run
    deferred: int = 0  # not tried: the mail server was down (no try counted)
    lost: int = 0  # tried, but another run had taken the row over: that run records it
    down: str | None = None  # why the mail server could not be reached, if it could not

    def summary(self) -> str:
        text = f"sent {self.sent}, failed {self.failed}, waiting {self.waiting}"
        notes = [
            f"gave up on {self.gave_up}" if self.gave_up else "",
            f"expired {self.expired}" if self.expired else "",
            f"mail server down, {self.deferred} not tried" if self.deferred else "",
            f"lost the lease on {self.lost}" if self.lost else "",
        ]
        notes = [note for note in notes if note]
        return text + (f" ({'; '.join(notes)})" if notes else "")


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 1, 2, 4 … minutes, at most 6 h."""
    delay: timedelta = RETRY_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, RETRY_CAP)


def stale_reason(row: OutboxMessage, now: datetime) -> str | None:
    """Why this mail must not go out any more, or None when it still should."""
    if row.expires_at is not None and row.expires_at <= now:
        return "expired: too late to send"
    if row.kind not in REGISTRATION_KINDS:
        return None
    if row.registration_id is None:
        return "expired: the sign-up was erased"
    registration = db.session.get(Registration, row.registration_id)
    if registration is None:
        return "expired: the sign-up was erased"
    if row.kind != "cancelled" and registration.status == RegistrationStatus.CANCELLED:
        return "expired: the sign-up was cancelled"
    if row.kind == "reminder" and registration.status != RegistrationStatus.CONFIRMED:
        return "expired: the sign-up no longer has a place"
    return None


class _Run:
    """One delivery run: its lease token, its clock, its transport and what it did."""

    def __init__(self, now: datetime | None, sender: Transport, report: DeliveryReport) -> None:
        self.me = str(uuid.uuid4())
        self.fixed_now = now
        self.sender = sender
        self.report = report
        self.lease = outbox.LEASE

    def now(self) -> datetime:
        """The given moment (a test's, or an operator's), else the time it is now."""
        return self.fixed_now or utcnow()

    def lost(self, row_id: int, kind: str, what: str) -> None:
        self.report.lost += 1
        log.warning(
            "mail %s (%s): %s, but its lease had run out and another run has taken it over;"
            " that run records it",
            row_id,
            kind,
            what,
        )

    def failed(self, row: OutboxMessage, error: str, permanent: bool) -> None:
        attempts = row.attempts + 1
        now = self.now()
        give_up = permanent or attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"])
        outcome: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if give_up:
            outcome["failed_at"] = now
        else:
            outcome["next_attempt_at"] = now + backoff(attempts)
        if not finish([row.id], self.me, **outcome):
            self.lost(row.id, row.kind, f"not delivered ({error})")
            return
        self.report.failed += 1
        if give_up:
            self.report.gave_up += 1
            log.warning("gave up on mail %s (%s) after %d tries: %s", row.id, row.kind, attempts, error)
        else:
            log.warning("mail %s (%s) not delivered, try %d: %s", row.id, row.kind, attempts, error)

    def expire(self, row: OutboxMessage, reason: str) -> None:
        if finish([row.id], self.me, expired_at=self.now(), last_error=reason):
            self.report.expired += 1
            log.info("mail %s (%s) not sent: %s", row.id, row.kind, reason)

    def send(self, row: OutboxMessage) -> None:
        """Try one row (the run holds its lease) and commit the outcome, owner-checked.

        The commit follows the server's reply at once: a crash in between is the only way a
        mail goes out twice, and it can only be this one mail.
        """
        try:
            self.sender.send(row, build_message(row))
        except TransportDown as exc:
            self.report.down = str(exc)
            self.failed(row, str(exc), False)
        except Refused as exc:
            self.failed(row, exc.reason, exc.permanent)
        except Exception as exc:  # one bad mail must not stop the others
            self.failed(row, short_error(exc), False)
        else:
            if finish([row.id], self.me, attempts=row.attempts + 1, sent_at=utcnow(), last_error=None):
                self.report.sent += 1
            else:
                self.lost(row.id, row.kind, "sent")

    def batch(self, claimed: list[int], claimed_at: datetime) -> list[int]:
        """Send a claimed batch in order; the ids of the rows it handled.

        A send starts only in the first half of the lease (the first one always), so another
        run can take a row over only if one send outlasts half the lease. The rest are
        released, due at once. Once the mail server is down, the rest are released untried,
        their next try pushed by the backoff of the row that failed; no try is counted.
        """
        tried: list[int] = []
        for index, row_id in enumerate(claimed):
            if tried and self.now() >= claimed_at + self.lease / 2:
                finish(claimed[index:], self.me)
                break
            row = claimed_row(row_id, self.me)
            if row is None:
                continue
            tried.append(row_id)
            reason = stale_reason(row, self.now())
            if reason is not None:
                self.expire(row, reason)
                continue
            attempts = row.attempts
            self.send(row)
            if self.report.down is not None:
                pushed = self.now() + backoff(attempts + 1)
                self.report.deferred += finish(claimed[index + 1 :], self.me, next_attempt_at=pushed)
                break
        return tried


def deliver_pending(
    now: datetime | None = None,
    limit: int = 100,
    *,
    keys: Sequence[str] | None = None,
    timeout: float | None = None,
    ignore_backoff: bool = False,
) -> DeliveryReport:
    """Send up to ``limit`` due mails (only those with ``keys``, when given); commits.

    Rows are claimed ``BATCH`` at a time under a lease that names this run; each outcome is
    committed right after its send, and only while the run still holds the row's lease.
    A failed try keeps the row with ``attempts`` + 1, ``last_error`` and ``next_attempt_at``
    moved by :func:`backoff`; ``ignore_backoff`` retries those at once (an operator who has
    just fixed the mail server). When the server cannot be reached the run stops; only the
    row it tried counts a try. Expired mail is marked so and counted, never sent.
    """
    session = db.session
    report = DeliveryReport()
    run = _Run(now, transport(timeout), report)
    handled = 0
    after_id = 0
    try:
        while handled < limit and report.down is None:
            claimed_at = run.now()
            claimed = claim(
                claimed_at,
                run.me,
                run.lease,
                min(outbox.BATCH, limit - handled),
                keys,
                ignore_backoff,
                after_id,
            )
            if not claimed:
                break
            tried = run.batch(claimed, claimed_at)
            handled += len(tried)
            if tried:
                after_id = max(after_id, tried[-1])
    finally:
        run.sender.close()
    report.waiting = session.scalar(select(func.count(OutboxMessage.id)).where(*open_rows())) or 0
    session.commit()
    return report


# --- right after a request ----------------------------------------------------------------------


class Breaker:
    """Per process (per app): after a failed or slow inline send, no inline sends for a while."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until = 0.0

    def allows(self) -> bool:
        with self._lock:
            return time.monotonic() >= self._open_until

    def trip(self, seconds: float) -> None:
        with self._lock:
            self._open_until = time.monotonic() + seconds


def breaker(app: Flask) -> Breaker:
    found = app.extensions.get("hub.mail.breaker")
    if found is None:
        found = app.extensions.setdefault("hub.mail.breaker", Breaker())
    assert isinstance(found, Breaker)
    return found


def deliver_inline(app: Flask, keys: Sequence[str]) -> DeliveryReport | None:
    """Send these just-queued mails now, within ``MAIL_INLINE_TIMEOUT``; None when paused.

    A server that is down, or slower than the timeout for each mail, trips the breaker: this
    process leaves mail to the worker for ``MAIL_INLINE_PAUSE`` seconds. Never raises: the
    outbox keeps the mail.
    """
    guard = breaker(app)
    if not guard.allows():
        return None
    timeout = float(app.config["MAIL_INLINE_TIMEOUT"])
    started = time.monotonic()
    report: DeliveryReport | None = None
    with app.app_context():
        try:
            report = deliver_pending(keys=list(keys), limit=len(keys), timeout=timeout)
        except Exception:
            log.exception("delivery right after the request failed; the outbox keeps the mail")
        finally:
            db.session.remove()
    elapsed = time.monotonic() - started
    if report is None or report.down is not None or elapsed > timeout * max(len(keys), 1):
        pause = float(app.config["MAIL_INLINE_PAUSE"])
        guard.trip(pause)
        why = report.down if report is not None and report.down else f"took {elapsed:.2f} s"
        log.warning("inline mail delivery paused for %.0f s in this process (%s)", pause, why)
    return report


class Courier:
    """A background thread of this process (one per app) that sends what requests queued.

    The request's worker hands the dedupe keys over and is free at once: a silent or slow
    mail server costs the thread, never a visitor. Keys that arrive while it sends go in its
    next run. What does not fit (``MAX_WAITING``) or is not sent stays in the outbox for the
    worker. The thread is started on first use, and again in a forked child. At exit the
    process gives it a moment to finish (a mail it holds would otherwise wait out its lease).
    """

    MAX_WAITING = 200  # hand-overs waiting for the thread; beyond that the worker sends them

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.waiting: queue.Queue[list[str]] = queue.Queue(self.MAX_WAITING)
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def submit(self, keys: Sequence[str]) -> bool:
        """Hand keys to the thread; False when it has too much waiting already."""
        with self.lock:
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()
                self.waiting = queue.Queue(self.MAX_WAITING)
                self.thread = threading.Thread(target=self._loop, name="hub-mail-courier", daemon=True)
                self.thread.start()
                grace = 2 * float(self.app.config["MAIL_INLINE_TIMEOUT"]) + 1
                atexit.register(self.wait_idle, grace)
        try:
            self.waiting.put_nowait(list(keys))
        except queue.Full:
            return False
        return True

    def _loop(self) -> None:
        while True:
            keys = self.waiting.get()
            taken = 1
            with contextlib.suppress(queue.Empty):
                while len(keys) < outbox.BATCH:
                    keys += self.waiting.get_nowait()
                    taken += 1
            try:
                deliver_inline(self.app, keys)
            finally:
                for _ in range(taken):
                    self.waiting.task_done()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until everything handed over has been tried (for tests and a clean shutdown)."""
        deadline = time.monotonic() + timeout
        while self.waiting.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.waiting.unfinished_tasks


def courier(app: Flask) -> Courier:
    found = app.extensions.get("hub.mail.courier")
    if found is None:
        found = app.extensions.setdefault("hub.mail.courier", Courier(app))
    assert isinstance(found, Courier)
    return found


def deliver_after_response(keys: Sequence[str]) -> None:
    """Send these just-committed mails off the visitor's time (see :func:`deliver_inline`).

    ``MAIL_INLINE_THREAD`` (the default): the process's :class:`Courier` thread sends them,
    and the request's worker goes on at once. Otherwise the worker sends them itself once the
    response has been closed, which costs it up to ``MAIL_INLINE_TIMEOUT`` when the server is
    silent. Either way nothing is tried while the breaker is open: the worker sends the mail.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    wanted = list(keys)
    if not breaker(app).allows():
        return
    if app.config.get("MAIL_INLINE_THREAD", True):
        if not courier(app).submit(wanted):
            log.warning("inline mail delivery is behind; the worker sends these %d mails", len(wanted))
        return

    @after_this_request
    def _on_close(response: Response) -> Response:
        response.call_on_close(lambda: deliver_inline(app, wanted))
        return response


def commit_and_deliver(session: DbSession, *, inline: bool = True) -> list[str]:
    """Commit the caller's transaction, then send the mail it queued; their dedupe keys.

    In a request (``inline`` and ``MAIL_INLINE_DELIVERY``) the mail goes once the response is
    out; elsewhere, or when inline delivery is paused, it waits in the outbox for
    ``flask hub deliver-mail`` or the worker.
    """
    keys = take_queued_keys(session)
    session.commit()
    if keys and inline and has_request_context() and current_app.config.get("MAIL_INLINE_DELIVERY", True):
        deliver_after_response(keys)
    return keys


def rollback(session: DbSession) -> None:
    """Roll back the caller's transaction and forget the mail it had queued."""
    session.rollback()
    take_queued_keys(session)
