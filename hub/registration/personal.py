""" "My sign-ups": the one link to everything the hub holds about an address. No HTTP here.

A person asks for the link with their address (:func:`request_me_link`); the mail goes to the
address only, so whoever opens the link reads that inbox. The link names one sign-up of the
address (a token of purpose ME, like every other link), and from it the page shows every
sign-up of that address (:func:`sign_ups_of`), exports what is held (:func:`export_address`),
lets the owner correct their details (:func:`update_details`) and erase it all
(:func:`erase_address`). Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.mail.compose import Links, render_pair
from hub.mail.outbox import queue_message
from hub.models import Consent, Event, OutboxMessage, Registration, RegistrationStatus, SignupState
from hub.registration import service
from hub.registration.retention import erase_registrations

ME_MAIL = "me"  # the outbox kind of the "my sign-ups" mail


def sign_ups_of(session: DbSession, email: str) -> list[Registration]:
    """Every sign-up of an address, soonest event first, with its event."""
    return list(
        session.scalars(
            select(Registration)
            .join(Registration.event)
            .where(Registration.email == service.normalise_email(email))
            .options(selectinload(Registration.event).selectinload(Event.livestream))
            .order_by(Event.starts_at, Registration.id)
        )
    )


def _anchor(session: DbSession, email: str) -> Registration | None:
    """The sign-up a new "my sign-ups" link names: the latest one (it lives longest)."""
    return session.scalar(
        select(Registration)
        .where(Registration.email == service.normalise_email(email))
        .order_by(Registration.created_at.desc(), Registration.id.desc())
        .limit(1)
    )


def request_me_link(
    session: DbSession, email: str, *, now: datetime, links: Links, interval: timedelta
) -> bool:
    """Queue one mail with the "my sign-ups" link, if the address has sign-ups.

    At most one such mail per address per ``interval``, however often it is asked for (and
    never one mail per sign-up). Returns whether a mail was queued; the caller answers the
    same either way, so nobody learns whether an address has signed up.
    """
    anchor = _anchor(session, email)
    if anchor is None:
        return False
    recent = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == anchor.email,
            OutboxMessage.kind == ME_MAIL,
            OutboxMessage.created_at > now - interval,
        )
    )
    if recent:
        return False
    seconds = max(int(interval.total_seconds()), 1)
    bucket = int(now.astimezone(UTC).timestamp()) // seconds
    url = links.me(anchor)
    locale = anchor.locale or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    with force_locale(locale):
        text, html = render_pair(ME_MAIL, me_url=url, language=locale, cancel_url=None)
        subject = _("Your sign-ups at Arendalsuka hub")
    return queue_message(
        session,
        ME_MAIL,
        anchor.email,
        subject,
        text,
        html,
        (),
        # Concurrent requests make one mail; the key holds no address (erasure leaves no trace).
        f"{ME_MAIL}:{anchor.id}:{bucket}",
        action_url=url,
        registration_id=anchor.id,
        now=now,
    )


def update_details(
    session: DbSession, registration: Registration, *, name: str, organisation: str | None
) -> None:
    """The owner corrects the name or organisation of one of their active sign-ups."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise service.AlreadyCancelled()
    registration.name = name
    registration.organisation = organisation or None
    session.flush()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_address(session: DbSession, email: str, now: datetime) -> dict[str, Any]:
    """Everything the hub holds about an address, for the person (an access request).

    Mails are listed by subject and times only: their bodies hold links (tokens).
    """
    email = service.normalise_email(email)
    registrations = sign_ups_of(session, email)
    ids = [r.id for r in registrations]
    consents = (
        session.scalars(
            select(Consent).where(Consent.registration_id.in_(ids)).order_by(Consent.given_at)
        ).all()
        if ids
        else []
    )
    by_id = {r.id: r for r in registrations}
    mails = session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.created_at)
    ).all()
    return {
        "email": email,
        "exported_at": now.isoformat(),
        "registrations": [
            {
                "event": {"slug": r.event.slug, "title": r.event.title, "starts_at": _iso(r.event.starts_at)},
                "name": r.name,
                "organisation": r.organisation,
                "attendance": r.attendance.value,
                "language": r.locale,
                "status": r.status.value,
                "waitlist_position": service.waitlist_position(session, r),
                "signed_up_at": _iso(r.created_at),
                "confirmed_at": _iso(r.confirmed_at),
                "waitlisted_at": _iso(r.waitlisted_at),
                "promoted_at": _iso(r.promoted_at),
                "cancelled_at": _iso(r.cancelled_at),
                "checked_in_at": _iso(r.checked_in_at),
            }
            for r in registrations
        ],
        "consents": [
            {
                "event": by_id[c.registration_id].event.slug,
                "purpose": c.purpose,
                "privacy_text_version": c.text_version,
                "language": c.locale,
                "given_at": _iso(c.given_at),
            }
            for c in consents
        ],
        "check_ins": [
            {"event": r.event.slug, "checked_in_at": _iso(r.checked_in_at)}
            for r in registrations
            if r.checked_in_at is not None
        ],
        "mails": [
            {
                "kind": m.kind,
                "subject": m.subject,
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "failed_at": _iso(m.failed_at),
            }
            for m in mails
        ],
    }


@dataclass(frozen=True)
class Erasure:
    sign_ups: int
    mails: int


def erase_address(session: DbSession, email: str, *, now: datetime, links: Links) -> Erasure:
    """Erase an address everywhere: its sign-ups, waiting-list places, consents and mails.

    A sign-up of an event that has not ended is cancelled first, without a mail to the
    address, so its seat goes to the waiting list (those promoted get their mail). What is
    erased stays only as anonymous counts for the organisers.
    """
    email = service.normalise_email(email)
    for registration in sign_ups_of(session, email):
        active = registration.status != RegistrationStatus.CANCELLED
        if active and registration.event.signup_state(now) != SignupState.OVER:
            service.cancel(session, registration, now=now, links=links, notify=False)
    counts = erase_registrations(session, Registration.email == email)
    result: Any = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.recipient == email)
        .execution_options(synchronize_session=False)
    )
    mails = int(result.rowcount)
    session.flush()
    return Erasure(sign_ups=sum(sum(c.values()) - c["checked_in"] for c in counts.values()), mails=mails)
