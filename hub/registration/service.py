"""The registration rules: sign up, confirm, cancel, the waiting list. No HTTP here.

Plain functions with explicit arguments (``session``, ``now``, ``links``). They flush but never
commit: the view or command that calls them owns the transaction, and every mail they cause
is queued in the outbox in that same transaction.

Capacity holds under concurrency without locks that SQLite lacks:

* a seat is taken by one conditional UPDATE (``seats_taken + 1 WHERE seats_taken <
  capacity``) whose row count says whether it worked; PostgreSQL re-checks the condition
  after waiting for a concurrent writer, SQLite runs one writer at a time;
* a status changes by a guarded UPDATE (``WHERE status = <the status we saw>``), so a double
  click, two workers or a confirm racing a cancel change a registration once;
* a new registration is an ``INSERT … ON CONFLICT DO NOTHING`` on the unique (event, email)
  pair, so the same address twice never makes two rows.

A sign-up is taken only while its event's sign-up window is open (:meth:`Event.signup_state`),
and only a pending sign-up inside it can be confirmed. A repeat sign-up never changes the
details of the one that is there (a stranger could type anyone's address); the owner changes
them from the link in their mail. Mail that anyone can cause by typing an address (the
confirm mail, a repeat's status mail) is capped per address and hour (:func:`may_mail`).

Only confirmed in-person registrations hold a seat; online attendance is unlimited. Seats
are only ever given out in two ways: a confirmation takes a free seat, or
:func:`promote_waitlisted` hands free seats to the waiting list in :data:`WAITLIST_ORDER`.
A cancellation releases its seat and then promotes, and ``flask hub import`` promotes after
changing a capacity, each in the caller's one transaction: the seat is never free in between
(the first UPDATE of ``events.seats_taken`` holds that row's lock on PostgreSQL until commit,
and SQLite lets one writer at a time), so a newcomer cannot take it ahead of the line, and a
capacity lowered below the seats already taken is respected.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Select, Table, func, or_, select, update

from hub.extensions import DbSession
from hub.mail.compose import Links, MailKind, queue_registration_mail
from hub.mail.outbox import insert_unless_duplicate
from hub.models import (
    Attendance,
    Consent,
    Event,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SignupState,
)
from hub.tokens import Purpose, TokenError, TokenExpired, registration_for_token

PENDING = RegistrationStatus.PENDING
CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED

# A guarded update loses only to a concurrent change; after that the status is settled.
_RETRIES = 4

# What a sign-up's consent is for (recorded with the privacy text's version).
CONSENT_PURPOSE = "event-signup"

# Mails to one address in an hour after which no more mail that anyone can cause by typing
# the address (confirm mails, repeats) is queued; the app's MAIL_CAP_PER_HOUR overrides it.
MAIL_CAP_PER_HOUR = 5

# The one order of a waiting list, used by the service, the attendee's place in line and the
# organiser's list and export: who joined the list first, then the older row. A waitlisted row
# always has waitlisted_at (confirm sets both at once); one without (entered by hand) is in
# line from when it signed up, the same on SQLite and PostgreSQL.
WAITLIST_ORDER = (func.coalesce(Registration.waitlisted_at, Registration.created_at), Registration.id)


class RegistrationError(Exception):
    """A rule said no. ``message`` is for the attendee (translated when shown)."""

    status_code = 400

    def __init__(self, message: Any) -> None:
        super().__init__(message)  # lazy: translated when shown, in the reader's language
        self.message = message


class InvalidLink(RegistrationError):
    """The link is not one of ours, was altered, or its sign-up no longer exists."""

    def __init__(self) -> None:
        super().__init__(_l("This link is not valid. It may have been cut off or changed."))


class ExpiredLink(InvalidLink):
    status_code = 410

    def __init__(self) -> None:
        RegistrationError.__init__(self, _l("This link has expired."))


class AlreadyCancelled(RegistrationError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(_l("This sign-up was cancelled. You are welcome to sign up again."))


class ConcurrentChange(RegistrationError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(_l("Your sign-up changed while we handled it. Please try again."))


class SignupClosed(RegistrationError):
    """The event does not take sign-ups now (not open yet, closed, or over)."""

    status_code = 409

    def __init__(self, state: SignupState) -> None:
        messages = {
            SignupState.NOT_OPEN: _l("Sign-up for this event has not opened yet."),
            SignupState.CLOSED: _l("Sign-up for this event has closed."),
            SignupState.OVER: _l("This event is over, so it takes no more sign-ups."),
        }
        super().__init__(messages.get(state, messages[SignupState.CLOSED]))
        self.state = state
        if state == SignupState.OVER:
            self.status_code = 410


class EventCancelled(SignupClosed):
    """An organiser cancelled the event: no sign-ups and no confirmations."""

    def __init__(self) -> None:
        RegistrationError.__init__(self, _l("This event is cancelled: sign-up is closed."))
        self.state = SignupState.CLOSED
        self.status_code = 410


def check_window(event: Event, now: datetime) -> None:
    """Raise SignupClosed unless the event takes sign-ups at ``now`` (EventCancelled when an
    organiser cancelled it)."""
    if event.is_cancelled:
        raise EventCancelled()
    state = event.signup_state(now)
    if state != SignupState.OPEN:
        raise SignupClosed(state)


class SignupOutcome(enum.StrEnum):
    """What ``sign_up`` did. The attendee is told the same thing in every case."""

    CREATED = "created"  # a new pending registration; confirm mail queued
    CONFIRM_RESENT = "confirm_resent"  # still pending: details kept, confirm mail again
    STATUS_RESENT = "status_resent"  # confirmed or waitlisted: its status mail again
    RESTARTED = "restarted"  # was cancelled: pending again, confirm mail queued


@dataclass(frozen=True)
class SignupDetails:
    name: str
    email: str
    organisation: str | None
    attendance: Attendance | None  # None: what the event offers (in person when it offers both)
    locale: str
    privacy_version: str = "unknown"  # the version of the privacy text the form showed
    # In person: also mail "recording ready" (online attendees always get it).
    wants_recording: bool = False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def attendance_for(event: Event, asked: Attendance | None) -> Attendance:
    """The attendance mode a sign-up gets: one the event offers."""
    if event.offers_online and not event.offers_in_person:
        return Attendance.ONLINE
    if event.offers_online and asked == Attendance.ONLINE:
        return Attendance.ONLINE
    return Attendance.IN_PERSON


def status_mail(registration: Registration) -> MailKind | None:
    """The mail that tells a registration where it stands."""
    return {
        PENDING: MailKind.CONFIRM,
        CONFIRMED: MailKind.CONFIRMED,
        WAITLISTED: MailKind.WAITLISTED,
    }.get(registration.status)


# --- atomic steps -----------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _transition(
    session: DbSession,
    registration: Registration,
    from_statuses: Collection[RegistrationStatus],
    **values: Any,
) -> bool:
    """Change a registration only if its status is still one of ``from_statuses``.

    Returns whether it changed; either way ``registration`` is reloaded afterwards.
    """
    result = session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status.in_(list(from_statuses)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(registration)
    return _rowcount(result) == 1


def take_seat(session: DbSession, event: Event) -> bool:
    """Take one in-person seat if one is free, in a single conditional UPDATE."""
    result = session.execute(
        update(Event)
        .where(Event.id == event.id, or_(Event.capacity.is_(None), Event.seats_taken < Event.capacity))
        .values(seats_taken=Event.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(event, ["seats_taken"])
    return _rowcount(result) == 1


def release_seat(session: DbSession, event: Event) -> None:
    session.execute(
        update(Event)
        .where(Event.id == event.id, Event.seats_taken > 0)
        .values(seats_taken=Event.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(event, ["seats_taken"])


def _waiting(event_id: int) -> Select[tuple[Registration]]:
    return (
        select(Registration)
        .where(Registration.event_id == event_id, Registration.status == WAITLISTED)
        .order_by(*WAITLIST_ORDER)
    )


def waitlist(session: DbSession, event: Event) -> list[Registration]:
    """The waiting list of an event, first in line first."""
    return list(session.scalars(_waiting(event.id)))


def _promote_head(session: DbSession, event: Event, now: datetime, links: Links) -> Registration | None:
    """Give a seat already taken for it to the first in line; None when nobody is waiting."""
    for _ in range(_RETRIES * 4):
        head = session.scalar(_waiting(event.id).limit(1))
        if head is None:
            return None
        if _transition(session, head, {WAITLISTED}, status=CONFIRMED, promoted_at=now):
            queue_registration_mail(session, MailKind.PROMOTED, head, links, now)
            return head
    return None


# --- the rules ------------------------------------------------------------------------------


def find_registration(session: DbSession, event: Event, email: str) -> Registration | None:
    return session.scalar(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.email == normalise_email(email))
        .execution_options(populate_existing=True)
    )


def may_mail(session: DbSession, email: str, now: datetime, cap: int = MAIL_CAP_PER_HOUR) -> bool:
    """Whether the address got fewer than ``cap`` mails (of any kind) in the hour before ``now``."""
    sent = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == normalise_email(email),
            OutboxMessage.created_at > now - timedelta(hours=1),
        )
    )
    return (sent or 0) < cap


def record_consent(
    session: DbSession, registration: Registration, details: SignupDetails, now: datetime
) -> None:
    session.add(
        Consent(
            registration_id=registration.id,
            purpose=CONSENT_PURPOSE,
            text_version=details.privacy_version[:40],
            locale=details.locale,
            given_at=now,
        )
    )


def sign_up(
    session: DbSession,
    event: Event,
    details: SignupDetails,
    *,
    now: datetime,
    links: Links,
    mail_cap: int = MAIL_CAP_PER_HOUR,
) -> SignupOutcome:
    """Sign an address up for an event (pending until confirmed) and queue the right mail.

    Refused (SignupClosed) outside the event's sign-up window. The same address again makes
    no second registration and changes nothing of it (a stranger must not): a pending one gets
    the confirm link again, a confirmed or waitlisted one its status mail, at most one of a
    kind an hour; a cancelled one starts afresh as a new generation (old links stop working).
    A new sign-up or a restart records the consent given with it. No mail is queued once the
    address has had ``mail_cap`` mails in the last hour; the sign-up itself is kept.
    """
    check_window(event, now)
    email = normalise_email(details.email)
    attendance = attendance_for(event, details.attendance)
    fresh = {
        "name": details.name,
        "organisation": details.organisation or None,
        "attendance": attendance,
        "locale": details.locale,
        "wants_recording": details.wants_recording and attendance == Attendance.IN_PERSON,
    }
    inserted = insert_unless_duplicate(
        session,
        cast(Table, Registration.__table__),
        {
            "event_id": event.id,
            "email": email,
            "status": PENDING,
            "created_at": now,
            "generation": 0,
            **fresh,
        },
        ["event_id", "email"],
    )
    registration = find_registration(session, event, email)
    if registration is None:  # pragma: no cover - the row exists: we inserted it or it was there
        raise ConcurrentChange()
    mail_ok = may_mail(session, email, now, mail_cap)
    if inserted:
        record_consent(session, registration, details, now)
        if mail_ok:
            queue_registration_mail(session, MailKind.CONFIRM, registration, links, now)
        return SignupOutcome.CREATED
    for _ in range(_RETRIES):
        status = registration.status
        if status == PENDING:
            if mail_ok:
                queue_registration_mail(session, MailKind.CONFIRM, registration, links, now, resend=True)
            return SignupOutcome.CONFIRM_RESENT
        if status == CANCELLED:
            restart = {
                "status": PENDING,
                "created_at": now,
                "confirmed_at": None,
                "waitlisted_at": None,
                "promoted_at": None,
                "cancelled_at": None,
                "checked_in_at": None,
                "generation": Registration.generation + 1,
            }
            if _transition(session, registration, {CANCELLED}, **fresh, **restart):
                record_consent(session, registration, details, now)
                if mail_ok:
                    queue_registration_mail(session, MailKind.CONFIRM, registration, links, now)
                return SignupOutcome.RESTARTED
        else:
            kind = status_mail(registration)
            assert kind is not None
            if mail_ok:
                queue_registration_mail(session, kind, registration, links, now, resend=True)
            return SignupOutcome.STATUS_RESENT
    raise ConcurrentChange()


def confirm(session: DbSession, registration: Registration, *, now: datetime, links: Links) -> Registration:
    """Confirm the address: a seat if one is free (or online), else the waiting list.

    Confirming again changes nothing and sends nothing. A pending sign-up cannot be confirmed
    once its event's sign-up has closed (SignupClosed).
    """
    for _ in range(_RETRIES):
        status = registration.status
        if status in (CONFIRMED, WAITLISTED):
            return registration
        if status == CANCELLED:
            raise AlreadyCancelled()
        check_window(registration.event, now)
        # Claim the change first, so that of two confirmations only one goes on.
        if not _transition(session, registration, {PENDING}, status=CONFIRMED, confirmed_at=now):
            continue
        if registration.attendance == Attendance.IN_PERSON and not take_seat(session, registration.event):
            _transition(session, registration, {CONFIRMED}, status=WAITLISTED, waitlisted_at=now)
            queue_registration_mail(session, MailKind.WAITLISTED, registration, links, now)
        else:
            queue_registration_mail(session, MailKind.CONFIRMED, registration, links, now)
        return registration
    raise ConcurrentChange()


def cancel(
    session: DbSession, registration: Registration, *, now: datetime, links: Links, notify: bool = True
) -> Registration:
    """Cancel a registration; a freed seat goes to the waiting list, within the capacity.

    The seat is released and the list promoted in the caller's transaction, so the seat goes
    to the first in line, not to a newcomer confirming at the same moment; when the capacity
    was lowered below the seats taken, nobody moves up until there is room.
    Cancelling again changes nothing and sends nothing; ``notify=False`` (an erasure) sends
    the attendee no "cancelled" mail.
    """
    for _ in range(_RETRIES):
        previous = registration.status
        if previous == CANCELLED:
            return registration
        if not _transition(session, registration, {previous}, status=CANCELLED, cancelled_at=now):
            continue
        if previous == CONFIRMED and registration.attendance == Attendance.IN_PERSON:
            release_seat(session, registration.event)
            promote_waitlisted(session, registration.event, now=now, links=links)
        if notify:
            queue_registration_mail(session, MailKind.CANCELLED, registration, links, now)
        return registration
    raise ConcurrentChange()


def promote_waitlisted(
    session: DbSession, event: Event, *, now: datetime, links: Links
) -> list[Registration]:
    """Fill free seats from the waiting list in line order, queueing each one's PROMOTED mail.

    Called after a seat was released and after the capacity changed. Each seat is taken by
    the same conditional UPDATE as a confirmation, so the capacity holds; flushes only.
    """
    promoted: list[Registration] = []
    while session.scalar(_waiting(event.id).with_only_columns(Registration.id).limit(1)) is not None:
        if not take_seat(session, event):
            break
        head = _promote_head(session, event, now, links)
        if head is None:  # the last one waiting cancelled meanwhile
            release_seat(session, event)
            break
        promoted.append(head)
    return promoted


def promote_after_capacity_change(
    session: DbSession, slugs: Iterable[str], *, now: datetime, links: Links
) -> dict[str, int]:
    """Fill the free seats of events whose capacity changed; slug -> how many were promoted.

    For ``flask hub import``: run in its transaction, so a raised (or removed) limit goes to
    the waiting list before any newcomer can confirm. Events where nobody moved up are left out.
    """
    promoted: dict[str, int] = {}
    for slug in slugs:
        event = session.scalar(select(Event).where(Event.slug == slug))
        if event is not None and (moved := promote_waitlisted(session, event, now=now, links=links)):
            promoted[slug] = len(moved)
    return promoted


def waitlist_position(session: DbSession, registration: Registration) -> int | None:
    """1 for the first in line; None when the registration is not on the waiting list."""
    if registration.status != WAITLISTED:
        return None
    line = (
        select(Registration.id, func.row_number().over(order_by=WAITLIST_ORDER).label("position"))
        .where(Registration.event_id == registration.event_id, Registration.status == WAITLISTED)
        .subquery()
    )
    position = session.scalar(select(line.c.position).where(line.c.id == registration.id))
    return None if position is None else int(position)


def registration_for_link(
    session: DbSession, purpose: Purpose, token: str, config: dict[str, Any] | Any
) -> Registration:
    """The registration a signed link is for; raises ExpiredLink or InvalidLink."""
    try:
        return registration_for_token(session, purpose, token, config)
    except TokenExpired:
        raise ExpiredLink() from None
    except TokenError:
        raise InvalidLink() from None
