"""Check-in at the door: plain functions that flush, never commit."""

from __future__ import annotations

from datetime import datetime

from hub.extensions import DbSession
from hub.models import Registration, RegistrationStatus


class CheckInError(ValueError):
    """Only a confirmed registration can be checked in."""

    def __init__(self, registration: Registration) -> None:
        self.registration = registration
        self.status = registration.status
        super().__init__(
            f"registration {registration.id} is {registration.status.value}; only confirmed ones check in"
        )


def check_in(session: DbSession, registration: Registration, now: datetime) -> bool:
    """Mark a confirmed registration as arrived; False when it already was (time kept)."""
    if registration.status != RegistrationStatus.CONFIRMED:
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
