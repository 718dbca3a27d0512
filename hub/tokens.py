"""Signed, expiring tokens for the links in mails (itsdangerous).

A token names one sign-up: its registration id and a fingerprint of what the sign-up is (event,
address, when it started and its generation), with the time it was signed and a signature over
all of it made with the app's secret key and a salt per purpose. So a cancel token never
confirms, a token from another app never verifies, a token from an earlier sign-up of the same
address (cancelled, then signed up again: a new generation) does nothing to the new one, and a
token never fits another sign-up that later got the same id (SQLite may reuse the id of a
deleted row).

A new kind of link is one line in :class:`Purpose` and one in :data:`MAX_AGE_SETTING`; it is
made with :func:`make_token` and read back with :func:`registration_for_token`.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from hub.extensions import DbSession
from hub.models import Registration


class Purpose(enum.StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    ME = "me"  # "my sign-ups": every sign-up of the address this one belongs to
    WATCH = "watch"  # the personal watch link (/watch/<token>): works until the sign-up is cancelled
    CHECKIN = "checkin"  # the QR ticket: opens the attendee in the organiser area


# The configuration key holding each purpose's maximum age in seconds.
MAX_AGE_SETTING: dict[Purpose, str] = {
    Purpose.CONFIRM: "CONFIRM_TOKEN_MAX_AGE",
    Purpose.CANCEL: "CANCEL_TOKEN_MAX_AGE",
    Purpose.ME: "ME_TOKEN_MAX_AGE",
    Purpose.WATCH: "WATCH_TOKEN_MAX_AGE",
    Purpose.CHECKIN: "CHECKIN_TOKEN_MAX_AGE",
}


class TokenError(Exception):
    """The token is not one of ours, was altered, is for another purpose or another sign-up."""


class TokenExpired(TokenError):
    """The token was ours but is older than its maximum age."""


def _serializer(secret_key: str, purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"hub.registration.{purpose.value}")


def fingerprint(registration: Registration) -> str:
    """Short, stable and not secret: it only has to tell two sign-ups (or generations) apart."""
    started = int(registration.created_at.timestamp()) if registration.created_at else 0
    text = f"{registration.event_id}\n{registration.email}\n{started}\n{registration.generation or 0}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def make_token(secret_key: str, purpose: Purpose, registration: Registration) -> str:
    return _serializer(secret_key, purpose).dumps([registration.id, fingerprint(registration)])


def read_token(secret_key: str, purpose: Purpose, token: str, max_age: int) -> tuple[int, str]:
    """The registration id and fingerprint in a token; raises TokenExpired or TokenError."""
    try:
        value = _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired(purpose.value) from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise TokenError(purpose.value) from exc
    match value:
        case [int() as registration_id, str() as print_] if not isinstance(registration_id, bool):
            return registration_id, print_
    raise TokenError(purpose.value)


def registration_for_token(
    session: DbSession, purpose: Purpose, token: str, config: Mapping[str, Any]
) -> Registration:
    """The sign-up a link names, in its current generation; raises TokenExpired or TokenError.

    ``config`` is the app's configuration (SECRET_KEY and the purpose's maximum age).
    """
    max_age = int(config[MAX_AGE_SETTING[purpose]])
    registration_id, print_ = read_token(str(config["SECRET_KEY"]), purpose, token, max_age)
    if not 0 < registration_id < 2**63:
        raise TokenError(purpose.value)
    registration = session.get(Registration, registration_id, populate_existing=True)
    if registration is None or fingerprint(registration) != print_:
        raise TokenError(purpose.value)  # gone, started afresh, or its id now names another
    return registration
