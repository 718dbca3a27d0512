"""Signed, expiring tokens for the links in mails (itsdangerous).

A token carries a registration id, a fingerprint of what the registration is (event and
address), the time it was signed and a signature over all of it made with the app's secret
key and a salt per purpose: a cancel token never confirms, a token from another app never
verifies, and a token never fits another sign-up that later got the same id (SQLite may
reuse the id of a deleted row).
"""

from __future__ import annotations

import enum
import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class Purpose(enum.StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"


class TokenError(Exception):
    """The token is not one of ours, was altered, or is for another purpose."""


class TokenExpired(TokenError):
    """The token was ours but is older than its maximum age."""


def _serializer(secret_key: str, purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"hub.registration.{purpose.value}")


def fingerprint(event_id: int, email: str) -> str:
    """Short, stable and not secret: it only has to tell two sign-ups apart."""
    return hashlib.sha256(f"{event_id}\n{email}".encode()).hexdigest()[:12]


def make_token(secret_key: str, purpose: Purpose, registration_id: int, print_: str) -> str:
    return _serializer(secret_key, purpose).dumps([registration_id, print_])


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
