"""Transports: how a mail leaves the hub (SMTP, or .eml files in development).

This is the only module that imports Flask-Mail. With ``MAIL_SERVER`` set, mail goes over
SMTP; without it, each mail is written as an .eml file under ``MAIL_SINK_DIR`` and its main
link is logged, so a development setup works end to end without a mail server.

A transport raises :class:`TransportDown` when the server cannot be reached (nothing more
can be sent this run), :class:`Refused` when the server answered a mail with an error code
(5xx: for good; 4xx: try again later), and anything else for a mail that could not be built.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import smtplib
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection, Message

from hub.extensions import mail
from hub.models import OutboxMessage
from hub.timeutil import utcnow

log = logging.getLogger(__name__)


class TransportDown(Exception):
    """The mail server cannot be reached at all: stop this run, retry everything later."""


class Refused(Exception):
    """The server answered this mail with an error; ``permanent`` for a 5xx."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    def send(self, row: OutboxMessage, message: Message) -> None: ...

    def close(self) -> None: ...


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def short_error(exc: BaseException) -> str:
    """A one-line reason with the server's answer, without secrets (never the password)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {_decode(msg)}" for code, msg in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        detail = str(exc)
    stage = {
        smtplib.SMTPSenderRefused: "MAIL FROM",
        smtplib.SMTPRecipientsRefused: "RCPT TO",
        smtplib.SMTPDataError: "DATA",
    }.get(type(exc))
    text = " ".join(f"{stage or exc.__class__.__name__}: {detail}".split())
    password = current_app.config.get("MAIL_PASSWORD")
    if password:
        text = text.replace(str(password), "***")
    return text[:300]


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer at any stage (MAIL FROM, RCPT TO, DATA): retrying would not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
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
        # An image shown in the HTML (the QR ticket) is inline, with a Content-ID, and base64.
        content_id = attachment.get("content_id")
        data = attachment["data"]
        message.attach(
            filename=attachment["filename"],
            content_type=attachment.get("content_type", "application/octet-stream"),
            data=base64.b64decode(data) if attachment.get("encoding") == "base64" else data.encode("utf-8"),
            disposition="inline" if content_id else None,
            headers={"Content-ID": f"<{content_id}>"} if content_id else None,
        )
    return message


class SMTPTransport:
    """One SMTP connection for a run, opened on first use.

    ``timeout`` bounds the connect, the banner and every later answer of the server: a
    server that accepts the connection and never greets costs one ``timeout``.
    """

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
            raise TransportDown(short_error(exc)) from exc
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
            raise TransportDown(short_error(exc)) from exc
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            raise Refused(short_error(exc), is_permanent(exc)) from exc

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
    """The configured transport; ``timeout`` overrides ``MAIL_TIMEOUT`` for SMTP."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SMTPTransport(float(timeout if timeout is not None else config["MAIL_TIMEOUT"]))
    return FileTransport(Path(config["MAIL_SINK_DIR"]))
