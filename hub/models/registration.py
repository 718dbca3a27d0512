"""Attendee sign-ups and their states."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
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
    # An in-person attendee asked for the "recording ready" mail (online attendees always get it).
    wants_recording: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
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
    # Raised each time the sign-up starts afresh (signed up again after a cancel): links carry
    # it, so a link from an earlier sign-up of the same address does nothing to this one.
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    event: Mapped[Event] = relationship()
    consents: Mapped[list[Consent]] = relationship(
        back_populates="registration", order_by="Consent.given_at", passive_deletes=True
    )

    @property
    def has_place_since(self) -> datetime | None:
        """When the registration got its place (confirmed directly, or promoted from the list)."""
        if self.status != RegistrationStatus.CONFIRMED:
            return None
        return self.promoted_at or self.confirmed_at


class Consent(Base):
    """What a person agreed to when signing up: the purpose, the privacy text's version, the
    language it was shown in and the time. Goes with its sign-up (deleted with it)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(40))
    text_version: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="consents")


class SignupTally(Base):
    """Anonymous counts of an event's sign-ups whose personal data was erased (purge, erasure).

    The organiser's dashboard adds them to the counts of the rows that are left, so the numbers
    of an event stay the same after its sign-ups are gone.
    """

    __tablename__ = "signup_tallies"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    confirmed_in_person: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_online: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waitlisted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checked_in: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
