"""What organisers do to their events from the hub: the edit history and mail to attendees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import Base
from hub.models.types import UTCDateTime


class EventChange(Base):
    """One edit of an event in the organiser area: who, when and what (old and new values).

    The account's address is copied, so the history still says who after the account is gone.
    """

    __tablename__ = "event_changes"
    __table_args__ = (Index("ix_event_changes_event_id_changed_at", "event_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    account_email: Mapped[str] = mapped_column(String(254))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # [{"field": str, "old": str, "new": str}, ...], values as shown to people
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # How many attendees were mailed about it (0: not announced).
    notified: Mapped[int] = mapped_column(Integer, default=0)


class AttendeeMail(Base):
    """A mail an organiser wrote to some of an event's attendees (one outbox row per recipient)."""

    __tablename__ = "attendee_mails"
    __table_args__ = (Index("ix_attendee_mails_event_id_sent_at", "event_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    account_email: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The groups chosen: ["confirmed", "in_person", ...]
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
