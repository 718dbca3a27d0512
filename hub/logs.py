"""Logging that keeps personal data and secrets out of the log.

Every record passes :class:`Redactor`, on whatever handler it ends up: email addresses are
masked (``j***@example.org``), the tokens in the hub's own links (confirm, cancel, ``/me``,
check-in, watch) are cut, and so are ``password=`` and ``key=`` values. Tracebacks are
redacted the same way, so an exception that quotes a value cannot leak it either.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# A path segment after one of the hub's token routes, or a long url-safe token anywhere.
_LINK_TOKEN = re.compile(r"(/(?:confirm|cancel|me|watch|checkin|invite|reset)/)[^\s/?#\"']+")
_SECRET_VALUE = re.compile(r"((?:password|passwd|key|token|secret)=)[^\s&\"']+", re.IGNORECASE)
_LONG_TOKEN = re.compile(r"\b[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}\b")


def redact(text: str) -> str:
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _LINK_TOKEN.sub(r"\1…", text)
    text = _SECRET_VALUE.sub(r"\1…", text)
    return _LONG_TOKEN.sub("…", text)


class Redactor(logging.Filter):
    """Rewrites a record's message and traceback with :func:`redact` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_REDACTOR = Redactor()


def install_redactor() -> None:
    """Put the redactor on every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if _REDACTOR not in handler.filters:
            handler.addFilter(_REDACTOR)


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redactor()
    for handler in app.logger.handlers:
        if _REDACTOR not in handler.filters:
            handler.addFilter(_REDACTOR)
