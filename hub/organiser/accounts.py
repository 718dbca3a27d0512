"""Organiser accounts: password rules and hashing, sessions on the server, login throttling.

Plain functions with explicit ``session`` and ``now`` arguments that flush but never commit;
the CLI (``flask hub create-organiser``) and the web views use the same rules.

* **Passwords** follow OWASP ASVS 5 (V6): at least 12 characters, up to 1,024, any Unicode
  (compared in NFC), refused when common (zxcvbn's list of 30,000 leaked passwords) or the
  account's own address. They are hashed with argon2id (OWASP's parameters); a hash made with
  other parameters, or by werkzeug, is replaced at the next login.
* **Sessions**: the browser's cookie holds a random key; the server keeps its hash with the
  times it was made and last used. Logout, a new password or a disabled account end it, and
  it ends by itself after ``ORGANISER_SESSION_IDLE`` without use or ``ORGANISER_SESSION_LIFETIME``
  after login.
* **Throttling**: failed logins are counted per address (hashed, so unknown addresses are
  throttled the same way and the answers cannot tell them apart) in the database that every
  worker and instance shares. From the ``LOGIN_LOCK_AFTER``-th failure on, the address is
  locked for ``LOGIN_LOCK_BASE``, doubling with each further failure up to a day; while locked
  every attempt is refused without checking the password, the right one included. An attempt
  is counted *before* the password is checked, by one conditional UPDATE, so concurrent
  guesses cannot overrun the limit.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Table, case, literal, null, or_, select, update
from werkzeug.security import check_password_hash

from hub.extensions import DbSession
from hub.mail.outbox import insert_unless_duplicate
from hub.models import Account, AccountSession, LoginThrottle
from hub.models.types import UTCDateTime

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_LOCK = timedelta(days=1)
# Failures older than this are forgotten when the address is not locked.
FAILURE_MEMORY = timedelta(days=1)
# A session's last use is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=1)

# argon2id with OWASP's recommended minimum (ASVS 5 App. C): m=19 MiB, t=2, p=1. Raising any of
# them later is safe: older hashes are replaced at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class PasswordRejected(ValueError):
    """The password breaks a rule; ``message`` is for the person choosing it (lazy string)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class LockPolicy:
    after: int  # the failure that locks the address (5: the 6th attempt is refused)
    base: timedelta  # the first lock; each further failure doubles it, up to MAX_LOCK


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _nfc(password: str) -> str:
    return unicodedata.normalize("NFC", password)


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common leaked passwords, lower-cased (loaded once, when needed)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_password_rules(password: str, email: str | None = None) -> None:
    """Raise PasswordRejected when ``password`` may not be used (for the account ``email``)."""
    password = _nfc(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(_l("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH))
    folded = password.strip().lower()
    if folded in common_passwords():
        raise PasswordRejected(_l("This password is one of the most common ones. Choose another."))
    if email and folded in {normalise_email(email), normalise_email(email).split("@")[0]}:
        raise PasswordRejected(_l("Do not use your email address as the password."))


def hash_password(password: str) -> str:
    return _hasher.hash(_nfc(password))


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _verify(stored: str, password: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, _nfc(password))
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored, password)  # a hash from before argon2id


def needs_rehash(stored: str) -> bool:
    return not stored.startswith("$argon2") or _hasher.check_needs_rehash(stored)


def verify_password(account: Account | None, password: str) -> bool:
    """Whether ``password`` is the account's; the same work when there is no account.

    A correct password whose hash is outdated is hashed again (flushed by the caller's commit).
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[: MAX_PASSWORD_LENGTH + 1]  # still wrong, and never a slow hash
    if account is None:
        _verify(_dummy_hash(), password)
        return False
    if not _verify(account.password_hash, password):
        return False
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return True


def set_password(session: DbSession, account: Account, password: str, *, now: datetime) -> None:
    """Give the account a new password under the rules; every session it had ends."""
    check_password_rules(password, account.email)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    if account.id is not None:
        end_all_sessions(session, account, now=now)
    session.flush()


def set_active(session: DbSession, account: Account, active: bool, *, now: datetime) -> None:
    """Enable or disable an account; disabling ends every session it has."""
    account.active = active
    if not active:
        end_all_sessions(session, account, now=now)
    session.flush()


def find_account(session: DbSession, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == normalise_email(email)))


# --- sessions ---------------------------------------------------------------------------------


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: DbSession, account: Account, *, now: datetime) -> str:
    """A new server-side session for ``account``; returns the key for the cookie."""
    key = secrets.token_urlsafe(32)
    session.add(AccountSession(key_hash=_key_hash(key), account=account, created_at=now, last_seen_at=now))
    account.last_login_at = now
    account.session_key = key
    session.flush()
    return key


def load_session(session: DbSession, key: str, *, now: datetime, policy: SessionPolicy) -> Account | None:
    """The account of a live session, or None (unknown, ended, idle too long, too old, disabled).

    Marks the session used (at most once a minute) or ended; the caller commits.
    """
    if not key or len(key) > 100:
        return None
    row = session.scalar(select(AccountSession).where(AccountSession.key_hash == _key_hash(key)))
    if row is None or row.ended_at is not None or not row.account.active:
        return None
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.lifetime:
        row.ended_at = now  # left unflushed: the caller commits when the session is dirty
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    row.account.session_key = key
    return row.account


def end_session(session: DbSession, key: str | None, *, now: datetime) -> None:
    if key:
        session.execute(
            update(AccountSession)
            .where(AccountSession.key_hash == _key_hash(key), AccountSession.ended_at.is_(None))
            .values(ended_at=now)
        )


def end_all_sessions(session: DbSession, account: Account, *, now: datetime) -> int:
    result = session.execute(
        update(AccountSession)
        .where(AccountSession.account_id == account.id, AccountSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return cast(CursorResult[Any], result).rowcount


# --- login throttling -------------------------------------------------------------------------


def _throttle_key(email: str) -> str:
    return hashlib.sha256(f"login\n{normalise_email(email)}".encode()).hexdigest()


def lock_duration(failures: int, policy: LockPolicy) -> timedelta | None:
    """How long ``failures`` failed logins in a row lock an address (None: not locked)."""
    if failures < policy.after:
        return None
    lock: timedelta = policy.base * 2 ** min(failures - policy.after, 20)
    return min(lock, MAX_LOCK)


def reserve_attempt(session: DbSession, email: str, *, now: datetime, policy: LockPolicy) -> bool:
    """Count a login attempt for ``email`` as failed in advance; False when it is locked.

    The caller commits at once (before checking the password) and calls :func:`login_succeeded`
    when the password was right. One UPDATE both counts and locks, so of any number of
    concurrent guesses only as many go on as the policy allows.
    """
    key = _throttle_key(email)
    table = cast(Table, LoginThrottle.__table__)
    insert_unless_duplicate(session, table, {"key_hash": key, "failures": 0}, ["key_hash"])
    unlocked = or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)
    session.execute(  # forget old failures of an address that is not locked
        update(LoginThrottle)
        .where(LoginThrottle.key_hash == key, unlocked, LoginThrottle.last_failure_at < now - FAILURE_MEMORY)
        .values(failures=0)
    )
    new_failures = LoginThrottle.failures + 1
    steps = []
    failures = policy.after
    while (duration := lock_duration(failures, policy)) is not None and duration < MAX_LOCK:
        steps.append((new_failures == failures, literal(now + duration, UTCDateTime)))
        failures += 1
    locked_until = case(
        (new_failures < policy.after, null()), *steps, else_=literal(now + MAX_LOCK, UTCDateTime)
    )
    result = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key_hash == key, unlocked)
        .values(failures=new_failures, last_failure_at=now, locked_until=locked_until)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def locked_until(session: DbSession, email: str) -> datetime | None:
    return session.scalar(
        select(LoginThrottle.locked_until).where(LoginThrottle.key_hash == _throttle_key(email))
    )


def login_succeeded(session: DbSession, email: str) -> None:
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key_hash == _throttle_key(email))
        .values(failures=0, locked_until=None, last_failure_at=None)
    )
