"""YouTube broadcasts linked to events, the channel cache and the API quota ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import Base
from hub.models.types import UTCDateTime

if TYPE_CHECKING:
    from hub.models.programme import Event


class StreamStatus(enum.StrEnum):
    NONE = "none"
    UPCOMING = "upcoming"
    LIVE = "live"
    ENDED = "ended"


class Livestream(Base):
    """The broadcast of one event: found by a sync, or pinned by an organiser."""

    __tablename__ = "livestreams"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    video_id: Mapped[str | None] = mapped_column(String(16), index=True)
    status: Mapped[StreamStatus] = mapped_column(
        Enum(StreamStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=StreamStatus.NONE,
    )
    title: Mapped[str | None] = mapped_column(String(300))
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    concurrent_viewers: Mapped[int | None] = mapped_column(Integer)
    # Figures for organisers: the most concurrent viewers any sync saw while it was live, and
    # the video's view count (statistics.viewCount) when it was last fetched.
    peak_viewers: Mapped[int | None] = mapped_column(Integer)
    view_count: Mapped[int | None] = mapped_column(Integer)
    # YouTube has finished processing the video (status.uploadStatus "processed").
    processed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    match_reason: Mapped[str | None] = mapped_column(String(300))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="livestream")

    @property
    def watch_url(self) -> str | None:
        from hub.livestream.urls import watch_url  # the one place YouTube URLs are built

        return watch_url(self.video_id) if self.video_id else None

    @property
    def is_live(self) -> bool:
        return bool(self.video_id) and self.status is StreamStatus.LIVE

    @property
    def has_recording(self) -> bool:
        return bool(self.video_id) and self.status is StreamStatus.ENDED

    def recording_offset(self, moment: datetime | None) -> int | None:
        """Seconds into the recording at which ``moment`` happened (>= 0), when known.

        None when there is no recording, no actual start, or the moment is after the end.
        """
        if moment is None or not self.has_recording or self.actual_start is None:
            return None
        if self.actual_end is not None and moment >= self.actual_end:
            return None
        return max(int((moment - self.actual_start).total_seconds()), 0)

    def recording_url_at(self, moment: datetime | None) -> str | None:
        """The recording on youtube.com at ``moment`` (``&t=<seconds>s``), when known."""
        from hub.livestream.urls import watch_url

        offset = self.recording_offset(moment)
        if offset is None or not self.video_id:
            return None
        return watch_url(self.video_id, offset)


class YouTubeChannel(Base):
    """Cache of a resolved channel, so a sync need not look up the uploads playlist again."""

    __tablename__ = "youtube_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True)  # handle or id as configured
    channel_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    uploads_playlist_id: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a sync of this channel last ran, and the units it cost (the worker's cadence counts
    # from the one and plans the day's budget with the other).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sync_units: Mapped[int | None] = mapped_column(Integer)


class QuotaUsage(Base):
    """YouTube Data API units spent per (Pacific) quota day."""

    __tablename__ = "youtube_quota_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    units: Mapped[int] = mapped_column(Integer, default=0)
