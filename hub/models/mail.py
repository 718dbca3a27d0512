"""The outbox: mail written in the same transaction as the change that causes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import Base
from hub.models.types import UTCDateTime
from hub.timeutil import utcnow


class OutboxMessage(Base):
    """One mail to one address, delivered at least once: ``sent_at`` is set when it has gone.

    A row ends in one of three ways: ``sent_at`` (the server took it), ``failed_at`` (refused
    for good, or out of tries; ``last_error`` keeps the server's answer) or ``expired_at``
    (its moment passed, ``expires_at``, or its sign-up was cancelled or erased: never sent).
    A row is due when none of those is set, ``next_attempt_at`` has passed and no lease holds
    it. A delivery run claims a due row by writing its own token to ``locked_by`` and a
    deadline to ``locked_until`` (a lease), and records the outcome only while ``locked_by``
    is still its token, so two workers never both mark one row.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: queueing the same key twice is a no-op (e.g. "reminder:<registration id>:24h").
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Only a validated address: never a display name (no user input in address headers).
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # [{"filename": str, "content_type": str, "data": str}, ...] (text attachments such as .ics)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The mail's main link (confirm, cancel); logged when mail goes to files in development.
    action_url: Mapped[str | None] = mapped_column(String(500))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A delivery run's claim: nobody else sends the row before this time (then it is due again).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The token of the run holding the lease (a uuid per run); None when nobody holds it.
    locked_by: Mapped[str | None] = mapped_column(String(36))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the server refused the mail for good (5xx), or after MAIL_MAX_ATTEMPTS tries.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After this moment the mail is pointless (a reminder once the event has started, a
    # confirm mail once its link has expired): it is marked expired instead of sent.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set instead of sending: expired, or its sign-up was cancelled or erased (last_error says).
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
