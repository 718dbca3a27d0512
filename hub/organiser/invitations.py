"""Accounts by invitation, and password reset: links that set a password once.

An invitation or reset link is a signed, expiring token (itsdangerous) that names the account
and a fingerprint of its current password hash. Setting a password (always through
:func:`hub.organiser.accounts.set_password`, under the same rules as the CLI) changes the hash,
so a link works once; a newer link does not revive an older one's use, and a link for a
disabled account does nothing. No table is needed: the account row is the state.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from hub.extensions import DbSession
from hub.mail.compose import Links
from hub.mail.outbox import queue_message
from hub.models import Account, Organiser
from hub.organiser.accounts import find_account, hash_password, normalise_email, set_password
from hub.tokens import TokenError, TokenExpired

INVITE_MAX_AGE = timedelta(days=7)
RESET_MAX_AGE = timedelta(hours=1)


class LinkPurpose(enum.StrEnum):
    INVITE = "invite"
    RESET = "reset"


MAX_AGE = {LinkPurpose.INVITE: INVITE_MAX_AGE, LinkPurpose.RESET: RESET_MAX_AGE}


class AccountExists(ValueError):
    """An invitation for an address that already has an account."""


def _serializer(secret_key: str, purpose: LinkPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"hub.account.{purpose.value}")


def _password_print(account: Account) -> str:
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def make_link_token(secret_key: str, purpose: LinkPurpose, account: Account) -> str:
    return _serializer(secret_key, purpose).dumps([account.id, _password_print(account)])


def account_for_token(session: DbSession, secret_key: str, purpose: LinkPurpose, token: str) -> Account:
    """The account a still-unused link is for; raises TokenExpired or TokenError."""
    try:
        value = _serializer(secret_key, purpose).loads(token, max_age=int(MAX_AGE[purpose].total_seconds()))
    except SignatureExpired as exc:
        raise TokenExpired(purpose.value) from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise TokenError(purpose.value) from exc
    match value:
        case [int() as account_id, str() as print_] if not isinstance(account_id, bool):
            account = session.get(Account, account_id)
            if account is not None and account.active and _password_print(account) == print_:
                return account
    raise TokenError(purpose.value)


def _queue_link_mail(
    session: DbSession, purpose: LinkPurpose, account: Account, links: Links, now: datetime, dedupe_key: str
) -> bool:
    token = make_link_token(links.secret_key, purpose, account)
    endpoint = "organiser.accept_invitation" if purpose == LinkPurpose.INVITE else "organiser.reset_password"
    url = links.url(endpoint, token=token)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_template(
            f"email/account_{purpose.value}.txt",
            url=url,
            account=account,
            hours=int(MAX_AGE[purpose].total_seconds() // 3600),
            organisers=", ".join(o.name for o in account.organisers),
        )
        subject = (
            _("You are invited to the organiser area of Arendalsuka hub")
            if purpose == LinkPurpose.INVITE
            else _("Set a new password for Arendalsuka hub")
        )
    return queue_message(
        session,
        f"account_{purpose.value}",
        account.email,
        subject,
        text,
        None,
        (),
        dedupe_key,
        action_url=url,
        now=now,
    )


def invite(
    session: DbSession,
    email: str,
    organisers: Sequence[Organiser],
    *,
    admin: bool,
    links: Links,
    now: datetime,
) -> Account:
    """Make an account for ``email`` in ``organisers`` and mail it a link to choose a password.

    Until then the account has a random password nobody knows, so it cannot log in.
    """
    address = normalise_email(email)
    if find_account(session, address) is not None:
        raise AccountExists(address)
    account = Account(
        email=address,
        is_admin=admin,
        password_hash=hash_password(secrets.token_urlsafe(32)),
        created_at=now,
    )
    account.organisers = list(organisers)
    session.add(account)
    session.flush()
    _queue_link_mail(
        session, LinkPurpose.INVITE, account, links, now, f"account_invite:{account.id}:{now.isoformat()}"
    )
    return account


def resend_invitation(session: DbSession, account: Account, *, links: Links, now: datetime) -> bool:
    """A new invitation link for an account that never set its password (at most one an hour)."""
    key = f"account_invite:{account.id}:resend:{now.astimezone(UTC):%Y%m%d%H}"
    return _queue_link_mail(session, LinkPurpose.INVITE, account, links, now, key)


def request_reset(session: DbSession, email: str, *, links: Links, now: datetime) -> bool:
    """Mail a reset link when ``email`` is an active account; the caller answers the same either way.

    At most one reset mail per account an hour, so the form cannot flood an inbox.
    """
    account = find_account(session, email)
    if account is None or not account.active:
        return False
    key = f"account_reset:{account.id}:{now.astimezone(UTC):%Y%m%d%H}"
    return _queue_link_mail(session, LinkPurpose.RESET, account, links, now, key)


def use_link(session: DbSession, account: Account, password: str, *, now: datetime) -> None:
    """Set the password chosen through a link (PasswordRejected when it breaks a rule)."""
    set_password(session, account, password, now=now)


def organisers_by_id(session: DbSession, ids: Sequence[int]) -> list[Organiser]:
    return list(session.scalars(select(Organiser).where(Organiser.id.in_(ids)).order_by(Organiser.name)))
