"""Attendee sign-ups and their states."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import Base
from hub.models.types import UTCDateTime
from hub.timeutil import utcnow

if TYPE_CHECKING:
    from hub.models.programme import Event


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"  # signed up, address not yet confirmed
    CONFIRMED = "confirmed"  # has a place
    WAITLISTED = "waitlisted"  # confirmed address, event full: in line by waitlisted_at
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


def new_public_id() -> str:
    return secrets.token_urlsafe(16)


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_registrations_event_id_email"),
        Index("ix_registrations_event_id_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registration's name in organiser URLs: random, so ids cannot be walked.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # normalised: lower-cased
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    attendance: Mapped[Attendance] = mapped_column(_enum(Attendance), default=Attendance.IN_PERSON)
    locale: Mapped[str] = mapped_column(String(8), default="nb")
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus), default=RegistrationStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the address was confirmed (double opt-in), whether that gave a place or the waiting list.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a waitlisted registration got a freed seat.
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()

    @property
    def has_place_since(self) -> datetime | None:
        """When the registration got its place (confirmed directly, or promoted from the list)."""
        if self.status != RegistrationStatus.CONFIRMED:
            return None
        return self.promoted_at or self.confirmed_at
