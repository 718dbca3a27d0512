"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests.

Each received mail keeps its SMTP envelope (MAIL FROM, RCPT TO) and is parsed back with the
email package, so a test sees exactly what a mail server would. ``refuse`` makes the server
answer RCPT TO for an address with a given reply (e.g. "451 4.3.0 try later"); ``answer``
makes it answer the next tries at a stage (MAIL, RCPT or DATA) with a reply, for any address;
``delay`` makes it take that many seconds over each mail's DATA before accepting it (a slow
server), and ``data_begun`` is set as soon as a mail's DATA has arrived.
:func:`silent_server` is a mail port that accepts connections and never answers.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_MAIL(self, smtp: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.server.next_answer("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.server.refuse.get(address) or self.server.next_answer("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        reply = self.server.next_answer("DATA")
        if reply:
            return reply
        self.server.data_begun.set()
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        with self.server.lock:
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        return "250 Message accepted for delivery"


class _LoopbackController(Controller):  # type: ignore[misc]
    """aiosmtpd's Controller, listening on a port the OS chose (port 0)."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPServer:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}
        self.answers: dict[str, list[str]] = {}
        self.delay = 0.0
        self.data_begun = threading.Event()
        self.lock = threading.Lock()
        self.port = 0
        self._controller: _LoopbackController | None = None

    def start(self) -> None:
        """Start listening (again on the same port after a stop)."""
        assert self._controller is None
        controller = _LoopbackController(_Handler(self), hostname=self.host, port=self.port)
        controller.start()
        self.port = controller.port
        self._controller = controller

    def answer(self, stage: str, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` tries at ``stage`` ("MAIL", "RCPT", "DATA") with ``reply``."""
        assert stage in ("MAIL", "RCPT", "DATA")
        with self.lock:
            self.answers.setdefault(stage, []).extend([reply] * times)

    def next_answer(self, stage: str) -> str | None:
        with self.lock:
            waiting = self.answers.get(stage)
            return waiting.pop(0) if waiting else None

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` mails arrived (delivery runs after the response)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            raise AssertionError(f"expected {count} mails within {timeout} s, got {len(self.received)}")

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


@contextmanager
def silent_server() -> Iterator[int]:
    """A mail port that accepts TCP connections (the kernel's backlog) and never says a word.

    Yields the port. No banner ever comes: a client waits until its own timeout.
    """
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(128)
        yield int(silent.getsockname()[1])
