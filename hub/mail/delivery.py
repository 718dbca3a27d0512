"""Delivery: send what the outbox holds, with retry and exponential backoff.

This is the only module that imports Flask-Mail. With ``MAIL_SERVER`` set, mail goes over
SMTP; without it, each mail is written as an .eml file under ``MAIL_SINK_DIR`` and its main
link is logged, so a development setup works end to end without a mail server.

Delivery owns its transactions (like a CLI command): it claims a small batch of rows under a
lease that names the run (``locked_by``, ``locked_until``) and commits the claim before
talking to the server, then records each result as soon as it is known, and only while the
run still holds that row's lease. So a crash never loses a mail, a sent mail is never sent
again, and a run that outlived its lease cannot overwrite what the run that took over writes.
On PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED`` so that any number of workers
share the outbox; on SQLite a guarded UPDATE does the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from flask import Response, after_this_request, current_app
from flask_mail import Connection, Message
from sqlalchemy import CursorResult, func, or_, select, update

from hub.extensions import db, mail
from hub.models import OutboxMessage
from hub.timeutil import utcnow

log = logging.getLogger(__name__)

# A claimed row is due again after this, should a worker die. A run starts a send only in
# the first half of its lease, so the lease must be more than twice the longest single send.
LEASE = timedelta(minutes=10)
BATCH = 20  # rows claimed at a time: a batch is sent well within its lease
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # tried and failed in this run (will be retried, or given up: gave_up)
    gave_up: int = 0  # refused for good, or out of attempts
    waiting: int = 0  # still to be sent after this run
    deferred: int = 0  # not tried: the mail server was down (no try counted)
    lost: int = 0  # tried, but another run had taken the row over: that run records it

    def summary(self) -> str:
        text = f"sent {self.sent}, failed {self.failed}, waiting {self.waiting}"
        notes = [
            f"gave up on {self.gave_up}" if self.gave_up else "",
            f"mail server down, {self.deferred} not tried" if self.deferred else "",
            f"lost the lease on {self.lost}" if self.lost else "",
        ]
        notes = [note for note in notes if note]
        return text + (f" ({'; '.join(notes)})" if notes else "")


class TransportDown(Exception):
    """The mail server cannot be reached at all: stop this run, retry everything later."""


class Transport(Protocol):
    def send(self, row: OutboxMessage, message: Message) -> None: ...

    def close(self) -> None: ...


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 1, 2, 4 … minutes, at most 6 h."""
    delay: timedelta = RETRY_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, RETRY_CAP)


def _short_error(exc: BaseException) -> str:
    """A one-line reason without secrets (the password never appears)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {_decode(msg)}" for code, msg in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        detail = str(exc)
    text = " ".join(f"{exc.__class__.__name__}: {detail}".split())
    password = current_app.config.get("MAIL_PASSWORD")
    if password:
        text = text.replace(str(password), "***")
    return text[:300]


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _is_permanent(exc: BaseException) -> bool:
    """The server refused the address for good (5xx); retrying would not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return False


def _message_domain() -> str:
    sender = parseaddr(str(current_app.config["MAIL_DEFAULT_SENDER"]))[1]
    return sender.rpartition("@")[2] or urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def build_message(row: OutboxMessage) -> Message:
    """The Flask-Mail message of an outbox row: only the bare address in To."""
    message = Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.body_text,
        html=row.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # The same Message-ID on every try, so a receiver can tell a retry from a new mail.
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:16]
    message.msgId = f"<outbox.{row.id}.{digest}@{_message_domain()}>"
    for attachment in row.attachments or []:
        message.attach(
            filename=attachment["filename"],
            content_type=attachment.get("content_type", "application/octet-stream"),
            data=attachment["data"].encode("utf-8"),
        )
    return message


class SMTPTransport:
    """One SMTP connection for a run, opened on first use, with a timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.connection: Any = None

    def _connect(self) -> Any:
        config = current_app.config
        smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        local_name = urlsplit(config["BASE_URL"]).hostname or "localhost"
        try:
            host = smtp_class(
                config["MAIL_SERVER"], int(config["MAIL_PORT"]), local_name, timeout=self.timeout
            )
            if config["MAIL_USE_TLS"]:
                host.starttls()
            if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
                host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportDown(_short_error(exc)) from exc
        connection = Connection(mail)
        connection.host = host
        return connection

    def send(self, row: OutboxMessage, message: Message) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send(message)
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
            self.connection = None
            raise TransportDown(_short_error(exc)) from exc

    def close(self) -> None:
        if self.connection is not None and self.connection.host is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.host.quit()
        self.connection = None


class FileTransport:
    """Development: each mail becomes an .eml file; its main link goes to the log."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, row: OutboxMessage, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{utcnow():%Y%m%dT%H%M%S}-{row.id:06d}-{row.kind}.eml"
        path.write_bytes(message.as_bytes())
        log.info("mail %r to %s written to %s", row.kind, row.recipient, path)
        if row.action_url:
            log.info("the %s mail's link: %s", row.kind, row.action_url)

    def close(self) -> None:
        pass


def transport(timeout: float | None = None) -> Transport:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SMTPTransport(float(timeout if timeout is not None else config["MAIL_TIMEOUT"]))
    return FileTransport(Path(config["MAIL_SINK_DIR"]))


def _due(now: datetime, ignore_backoff: bool) -> list[Any]:
    conditions = [
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
    ]
    if not ignore_backoff:
        conditions.append(OutboxMessage.next_attempt_at <= now)
    return conditions


def _claim(
    now: datetime,
    me: str,
    lease: timedelta,
    limit: int,
    keys: Sequence[str] | None,
    ignore_backoff: bool,
    after_id: int,
) -> list[int]:
    """Lease up to ``limit`` due rows to the run ``me`` and commit the lease; their ids in order.

    ``ignore_backoff`` ignores ``next_attempt_at``, so such a run walks the outbox by id
    (``after_id``) lest it pick up again the rows it has just failed.
    """
    session = db.session
    stmt = select(OutboxMessage.id).where(*_due(now, ignore_backoff))
    if keys is not None:
        stmt = stmt.where(OutboxMessage.dedupe_key.in_(list(keys)))
    if ignore_backoff:
        stmt = stmt.where(OutboxMessage.id > after_id).order_by(OutboxMessage.id)
    else:
        stmt = stmt.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    stmt = stmt.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for row_id in session.scalars(stmt).all():
        result = cast(
            CursorResult[Any],
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, *_due(now, ignore_backoff))
                .values(locked_until=now + lease, locked_by=me)
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    session.commit()
    return claimed


def _finish(row_ids: Sequence[int], me: str, **values: Any) -> int:
    """Write ``values`` and end the lease, only on rows ``me`` still holds; commits.

    Returns how many rows were written: fewer than asked when another run has taken a row
    over after this run's lease ran out.
    """
    if not row_ids:
        return 0
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.locked_by == me)
            .values(locked_until=None, locked_by=None, **values)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    return result.rowcount


class _Run:
    """One delivery run: its lease token, its clock, its transport and what it did."""

    def __init__(self, now: datetime | None, sender: Transport, report: DeliveryReport) -> None:
        self.me = str(uuid.uuid4())
        self.fixed_now = now
        self.sender = sender
        self.report = report
        self.lease = LEASE
        self.down: str | None = None

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
        if not _finish([row.id], self.me, **outcome):
            self.lost(row.id, row.kind, f"not delivered ({error})")
            return
        self.report.failed += 1
        if give_up:
            self.report.gave_up += 1
            log.warning("gave up on mail %s (%s) after %d tries: %s", row.id, row.kind, attempts, error)
        else:
            log.warning("mail %s (%s) not delivered, try %d: %s", row.id, row.kind, attempts, error)

    def send(self, row: OutboxMessage) -> None:
        """Try one row (the run holds its lease) and record the outcome, owner-checked."""
        try:
            self.sender.send(row, build_message(row))
        except TransportDown as exc:
            self.down = str(exc)
            self.failed(row, self.down, False)
        except Exception as exc:  # one bad mail must not stop the others
            self.failed(row, _short_error(exc), _is_permanent(exc))
        else:
            if _finish([row.id], self.me, attempts=row.attempts + 1, sent_at=utcnow(), last_error=None):
                self.report.sent += 1
            else:
                self.lost(row.id, row.kind, "sent")

    def batch(self, claimed: list[int], claimed_at: datetime) -> list[int]:
        """Send a claimed batch in order; the ids of the rows it tried.

        A send starts only in the first half of the lease (the first one always), so another
        run can take a row over only if one send outlasts half the lease. The rest are
        released, due at once. Once the mail server is down, the rest are released untried,
        their next try pushed by the backoff of the row that failed; no try is counted.
        """
        tried: list[int] = []
        for index, row_id in enumerate(claimed):
            if tried and self.now() >= claimed_at + self.lease / 2:
                _finish(claimed[index:], self.me)
                break
            # Read afresh: the row as it is now, and whether this run still holds it.
            row = db.session.get(OutboxMessage, row_id, populate_existing=True)
            if row is None or row.locked_by != self.me:
                continue
            attempts = row.attempts
            self.send(row)
            tried.append(row_id)
            if self.down is not None:
                pushed = self.now() + backoff(attempts + 1)
                self.report.deferred += _finish(claimed[index + 1 :], self.me, next_attempt_at=pushed)
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
    written only while the run still holds the row's lease, so a row is never recorded twice.
    A failed try keeps the row with ``attempts`` + 1, ``last_error`` and ``next_attempt_at``
    moved by :func:`backoff`; ``ignore_backoff`` retries those at once (an operator who has
    just fixed the mail server). When the server cannot be reached the run stops; only the
    row it tried counts a try. A sent row is never sent again.
    """
    session = db.session
    report = DeliveryReport()
    run = _Run(now, transport(timeout), report)
    handled = 0
    after_id = 0
    try:
        while handled < limit and run.down is None:
            claimed_at = run.now()
            claimed = _claim(
                claimed_at, run.me, run.lease, min(BATCH, limit - handled), keys, ignore_backoff, after_id
            )
            if not claimed:
                break
            tried = run.batch(claimed, claimed_at)
            handled += len(tried)
            if tried:
                after_id = max(after_id, tried[-1])
    finally:
        run.sender.close()
    report.waiting = (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
            )
        )
        or 0
    )
    session.commit()
    return report


def deliver_after_response(keys: Sequence[str]) -> None:
    """Send these mails once the current response has gone to the client.

    The WSGI server closes the response after writing it; delivery runs then, in its own app
    context, with the short ``MAIL_INLINE_TIMEOUT``. The attendee never waits for the mail
    server, and a failure here is only logged: the outbox keeps the mail for the worker.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    wanted = list(keys)
    timeout = float(app.config["MAIL_INLINE_TIMEOUT"])

    def deliver() -> None:
        with app.app_context():
            try:
                deliver_pending(keys=wanted, limit=len(wanted), timeout=timeout)
            except Exception:
                log.exception("delivery right after the request failed; the outbox keeps the mail")
            finally:
                db.session.remove()

    @after_this_request
    def _on_close(response: Response) -> Response:
        response.call_on_close(deliver)
        return response
