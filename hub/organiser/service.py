"""Check-in at the door and walk-ins: plain functions that flush, never commit.

Only confirmed in-person sign-ups are checked in: an online attendee has no seat to take.
"""

from __future__ import annotations

from datetime import datetime

from hub.extensions import DbSession
from hub.models import Attendance, Event, Registration, RegistrationStatus
from hub.registration.service import find_registration, normalise_email, take_seat


class CheckInError(ValueError):
    """Only a confirmed in-person registration can be checked in."""

    def __init__(self, registration: Registration) -> None:
        self.registration = registration
        self.status = registration.status
        super().__init__(
            f"registration {registration.id} is {registration.status.value}; only confirmed ones check in"
        )


def check_in(session: DbSession, registration: Registration, now: datetime) -> bool:
    """Mark a confirmed registration as arrived; False when it already was (time kept)."""
    if registration.status != RegistrationStatus.CONFIRMED or registration.attendance != Attendance.IN_PERSON:
        raise CheckInError(registration)
    if registration.checked_in_at is not None:
        return False
    registration.checked_in_at = now
    session.flush()
    return True


def undo_check_in(session: DbSession, registration: Registration) -> bool:
    """Clear a check-in (a mistake at the door); False when there was none."""
    if registration.checked_in_at is None:
        return False
    registration.checked_in_at = None
    session.flush()
    return True


class WalkInError(ValueError):
    """A walk-in that cannot be added; ``reason`` is "known" (already signed up) or "full"."""

    def __init__(self, reason: str, registration: Registration | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.registration = registration


def walk_in(
    session: DbSession,
    event: Event,
    *,
    name: str,
    email: str,
    organisation: str | None,
    locale: str,
    now: datetime,
) -> Registration:
    """Sign up someone who came to the door without a sign-up: confirmed, in person, checked in.

    The seat is taken by the same conditional UPDATE as any confirmation, so the capacity
    holds; an address that already has a sign-up for the event is found in the list instead.
    """
    known = find_registration(session, event, email)
    if known is not None:
        raise WalkInError("known", known)
    if not take_seat(session, event):
        raise WalkInError("full")
    registration = Registration(
        event=event,
        email=normalise_email(email),
        name=name,
        organisation=organisation or None,
        attendance=Attendance.IN_PERSON,
        locale=locale,
        status=RegistrationStatus.CONFIRMED,
        created_at=now,
        confirmed_at=now,
        checked_in_at=now,
    )
    session.add(registration)
    session.flush()
    return registration
