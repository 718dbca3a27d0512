"""The published programme: festivals, venues, organisers, events and their agendas."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import Base
from hub.models.types import UTCDateTime
from hub.timeutil import utcnow

if TYPE_CHECKING:
    from hub.models.livestream import Livestream

event_organisers = Table(
    "event_organisers",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("organiser_id", ForeignKey("organisers.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    Index("ix_event_organisers_organiser_id", "organiser_id"),
)


class SignupState(enum.StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"  # closed before the end (by default at the start)
    OVER = "over"  # the event has ended


class Festival(Base):
    """One year's festival: a programme file is one festival, identified by its slug."""

    __tablename__ = "festivals"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    youtube_channel: Mapped[str | None] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(200))
    intro: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The festival's dates when the file gives them (local days, inclusive); the importer
    # refuses an event outside them. Unset: the days of its events.
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    events: Mapped[list[Event]] = relationship(back_populates="festival")


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    # What the place is, when its name does not say (e.g. a boat at the quay).
    description: Mapped[str | None] = mapped_column(String(300))

    events: Mapped[list[Event]] = relationship(back_populates="venue")


class Organiser(Base):
    """An organisation that arranges events (not a login account)."""

    __tablename__ = "organisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    events: Mapped[list[Event]] = relationship(
        secondary=event_organisers, back_populates="organisers", order_by="Event.starts_at"
    )


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_festival_id_starts_at", "festival_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Confirmed in-person seats, changed only by one atomic conditional UPDATE (registration).
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attendance: Mapped[list[str]] = mapped_column(JSON, default=list)
    read_more_url: Mapped[str | None] = mapped_column(String(500))
    livestream_url: Mapped[str | None] = mapped_column(String(500))
    # The source's own words for its links ({"read_more": "Les mer her", "livestream": ...}).
    link_texts: Mapped[dict[str, str] | None] = mapped_column(JSON)
    recap: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The sign-up window: open from this time (None: since the import) until the close
    # (None: the start). See signup_state().
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lower-cased title, description, organisers, speakers and venue, for free-text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Calendar revision (ICS SEQUENCE / LAST-MODIFIED): moved on by every change of what a
    # calendar shows, whoever writes it (see _revise below), so a moved event updates.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "scheduled" or "cancelled" (cancelled by an organiser: the page says so, sign-up stops).
    status: Mapped[str] = mapped_column(String(16), default="scheduled", server_default="scheduled")

    festival: Mapped[Festival] = relationship(back_populates="events")
    venue: Mapped[Venue | None] = relationship(back_populates="events", lazy="joined")
    organisers: Mapped[list[Organiser]] = relationship(
        secondary=event_organisers,
        back_populates="events",
        order_by=event_organisers.c.position,
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="event",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
    )
    livestream: Mapped[Livestream | None] = relationship(
        back_populates="event", cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def offers_in_person(self) -> bool:
        return "in_person" in (self.attendance or [])

    @property
    def offers_online(self) -> bool:
        return "online" in (self.attendance or [])

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity

    @property
    def signup_closes_at(self) -> datetime:
        return self.registration_closes_at or self.starts_at

    def signup_state(self, now: datetime) -> SignupState:
        """Whether the event takes sign-ups at ``now``: not yet, open, closed, or over (ended)."""
        if now >= self.ends_at:
            return SignupState.OVER
        if self.registration_opens_at is not None and now < self.registration_opens_at:
            return SignupState.NOT_OPEN
        if now >= self.signup_closes_at:
            return SignupState.CLOSED
        return SignupState.OPEN


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(300))
    # How the source introduces the speakers ("Participants"); None: the usual heading.
    speakers_label: Mapped[str | None] = mapped_column(String(300))
    # [{"name": str, "role": str | None, "kind"?: "organisation", "text"?: str}, ...]
    speakers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    event: Mapped[Event] = relationship(back_populates="agenda")


# What a calendar entry shows; a change to any of these is a new revision of the event.
CALENDAR_FIELDS = ("title", "language", "starts_at", "ends_at", "venue_id", "description", "status")


@event.listens_for(Event, "before_insert")
def _first_revision(_mapper: Any, _connection: Any, target: Event) -> None:
    target.updated_at = target.updated_at or utcnow()


@event.listens_for(Event, "before_update")
def _revise(_mapper: Any, _connection: Any, target: Event) -> None:
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in CALENDAR_FIELDS):
        target.sequence = (target.sequence or 0) + 1
        target.updated_at = utcnow()
