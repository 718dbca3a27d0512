"""Find the channel's broadcasts and link them to events; record the quota it cost.

One sync costs 3 units for a channel with up to 50 uploads (2 when the channel is cached):
``channels.list`` once per configured channel (the uploads playlist id is cached in
:class:`YouTubeChannel`), one page of ``playlistItems.list`` on the uploads playlist, and one
``videos.list`` for up to 50 ids, which also refreshes the videos already linked to events
(tracked by id, so they need not be among the newest uploads). A finished broadcast is final:
once recorded as ended and out of the newest uploads, it is not fetched again.

Units are recorded per Pacific-time day (when YouTube's quota resets) in
:class:`QuotaUsage`, and a sync that would go past the daily budget does not start. Every
YouTube call happens before anything is written, so a failed sync leaves the links as they
were (only the units spent and a resolved channel are kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.livestream.client import (
    Channel,
    ChannelNotFound,
    Video,
    YouTubeClient,
    YouTubeError,
)
from hub.livestream.matching import EventInfo, MatchResult, match_broadcasts
from hub.livestream.pins import PINNED_REASON, clear_link
from hub.livestream.urls import parse_channel_reference
from hub.models import Event, Festival, Livestream, QuotaUsage, StreamStatus, YouTubeChannel

PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube's quota day ends at midnight Pacific time
UPLOADS_PAGE_SIZE = 50


class BudgetExhausted(YouTubeError):
    """The sync would spend more than the configured daily budget; nothing was called."""


class ChannelNotConfigured(YouTubeError):
    pass


class ConfigurationError(YouTubeError):
    pass


def quota_day(now: datetime) -> date:
    """The YouTube quota day (Pacific time) that ``now`` falls in."""
    return now.astimezone(PACIFIC).date()


def units_spent_on(session: DbSession, day: date) -> int:
    return int(session.scalar(select(QuotaUsage.units).where(QuotaUsage.day == day)) or 0)


def record_units(session: DbSession, day: date, units: int) -> None:
    """Add ``units`` to the day's total (an atomic UPDATE; the row is created on first use)."""
    if units <= 0:
        return
    result: Any = session.execute(
        update(QuotaUsage).where(QuotaUsage.day == day).values(units=QuotaUsage.units + units)
    )
    if result.rowcount:
        return
    try:
        with session.begin_nested():
            session.add(QuotaUsage(day=day, units=units))
    except IntegrityError:  # another process created the day's row meanwhile
        session.execute(
            update(QuotaUsage).where(QuotaUsage.day == day).values(units=QuotaUsage.units + units)
        )


@dataclass(frozen=True)
class LinkedEvent:
    slug: str
    video_id: str
    video_title: str
    status: StreamStatus
    reason: str
    change: str  # "linked" | "relinked" | "kept" | "pinned"


@dataclass
class SyncReport:
    channel: Channel
    channel_cached: bool
    uploads_listed: int = 0
    broadcasts: list[Video] = field(default_factory=list)
    plain_uploads: int = 0
    linked: list[LinkedEvent] = field(default_factory=list)
    unlinked: list[tuple[Video, str]] = field(default_factory=list)
    dropped: list[tuple[str, str, str]] = field(default_factory=list)  # slug, video id, why
    missing_pinned: list[tuple[str, str]] = field(default_factory=list)  # slug, video id
    events_without_broadcast: list[str] = field(default_factory=list)
    units_spent: int = 0
    units_today: int = 0
    budget: int = 0

    def lines(self) -> list[str]:
        """What the sync found, linked (and why), left unlinked, and the units it spent."""
        channel = self.channel
        cached = ", from cache" if self.channel_cached else ""
        out = [
            f"Channel: {channel.title} ({channel.channel_id}{cached}); "
            f"uploads playlist {channel.uploads_playlist_id}",
            f"Found {len(self.broadcasts)} broadcasts among the {self.uploads_listed} newest uploads"
            f" (other videos ignored: {self.plain_uploads}).",
        ]
        for b in self.broadcasts:
            out.append(f"  {b.video_id} [{b.status.value}] {b.title}")
        for item in self.linked:
            out.append(
                f"{item.change.capitalize()}: {item.slug} -> {item.video_id} [{item.status.value}] "
                f"{item.video_title!r}: {item.reason}"
            )
        for video, why in self.unlinked:
            out.append(f"Left unlinked: {video.video_id} {video.title!r}: {why}")
        for slug, video_id, why in self.dropped:
            out.append(f"Unlinked: {slug} from {video_id}: {why}")
        for slug, video_id in self.missing_pinned:
            out.append(
                f"Pinned video {video_id} of {slug} was not returned (private or deleted?); kept as it was"
            )
        if self.events_without_broadcast:
            shown = self.events_without_broadcast[:20]
            more = len(self.events_without_broadcast) - len(shown)
            out.append(
                f"Events without a broadcast ({len(self.events_without_broadcast)}): "
                + ", ".join(shown)
                + (f", and {more} more" if more > 0 else "")
            )
        out.append(
            f"Quota: {self.units_spent} units this sync; {self.units_today} of {self.budget} "
            "spent today (Pacific time)."
        )
        return out


def channel_reference_for(session: DbSession, configured: str | None) -> str:
    """The configured channel, else the festival's channel from the programme file."""
    reference = (configured or "").strip()
    if not reference:
        festival = session.scalars(select(Festival).where(Festival.youtube_channel.is_not(None))).first()
        reference = (festival.youtube_channel or "").strip() if festival else ""
    if not reference:
        raise ChannelNotConfigured(
            "no YouTube channel configured: set HUB_YOUTUBE_CHANNEL (e.g. @OsloCancerCluster) "
            "or festival.youtube_channel in the programme file"
        )
    if parse_channel_reference(reference) is None:
        raise ChannelNotConfigured(
            f"HUB_YOUTUBE_CHANNEL {reference!r} is neither a handle (@name) nor a channel id (UC…)"
        )
    return reference


class _Budget:
    def __init__(self, session: DbSession, client: YouTubeClient, now: datetime, budget: int):
        self.day = quota_day(now)
        self.before = units_spent_on(session, self.day)
        self.client = client
        self.start_units = client.units_spent
        self.budget = budget

    @property
    def spent(self) -> int:
        return self.client.units_spent - self.start_units

    def ensure(self, units: int, what: str) -> None:
        used = self.before + self.spent
        if used + units > self.budget:
            raise BudgetExhausted(
                f"daily YouTube budget reached: {used} of {self.budget} units spent today "
                f"(Pacific time) and {what} needs {units} more; raise HUB_YOUTUBE_DAILY_BUDGET "
                "or wait until midnight Pacific time"
            )


def _resolve(
    session: DbSession, client: YouTubeClient, reference: str, now: datetime, budget: _Budget, refresh: bool
) -> tuple[YouTubeChannel, bool]:
    cached = session.scalar(select(YouTubeChannel).where(YouTubeChannel.reference == reference))
    if cached is not None and not refresh:
        return cached, True
    budget.ensure(1, "resolving the channel")
    channel = client.resolve_channel(reference)
    if cached is None:
        cached = YouTubeChannel(reference=reference)
        session.add(cached)
    cached.channel_id = channel.channel_id
    cached.title = channel.title
    cached.uploads_playlist_id = channel.uploads_playlist_id
    cached.resolved_at = now
    session.flush()
    return cached, False


def _apply(stream: Livestream, video: Video, now: datetime) -> None:
    stream.title = video.title[:300]
    stream.status = video.status
    stream.scheduled_start = video.scheduled_start
    stream.actual_start = video.actual_start
    stream.actual_end = video.actual_end
    stream.concurrent_viewers = video.concurrent_viewers if video.status is StreamStatus.LIVE else None
    stream.synced_at = now


def sync_youtube(
    session: DbSession,
    client: YouTubeClient,
    now: datetime,
    budget: int,
    channel: str | None = None,
) -> SyncReport:
    """Fetch the channel's recent broadcasts, link them to events, refresh linked videos.

    Raises YouTubeError subclasses (BudgetExhausted before any call when the budget would be
    passed). Flushes; the caller commits, also after a failure, to keep the units recorded.
    """
    reference = channel_reference_for(session, channel)
    ledger = _Budget(session, client, now, budget)
    events = list(session.scalars(select(Event).options(selectinload(Event.livestream))))
    streams = [e.livestream for e in events if e.livestream is not None and e.livestream.video_id]
    cached = session.scalar(select(YouTubeChannel).where(YouTubeChannel.reference == reference))
    ledger.ensure((0 if cached else 1) + 2, "a sync")
    try:
        row, from_cache = _resolve(session, client, reference, now, ledger, refresh=False)
        try:
            page = client.list_uploads(row.uploads_playlist_id, UPLOADS_PAGE_SIZE)
        except ChannelNotFound:
            if not from_cache:
                raise
            # The cached playlist is gone (the handle moved?): look the channel up once more.
            row, from_cache = _resolve(session, client, reference, now, ledger, refresh=True)
            page = client.list_uploads(row.uploads_playlist_id, UPLOADS_PAGE_SIZE)
        uploads = list(page.video_ids)
        # Linked videos are tracked by id; an ended broadcast is final and needs no refresh.
        tracked = [
            s.video_id
            for s in streams
            if s.video_id
            and s.video_id not in uploads
            and (s.status is not StreamStatus.ENDED or s.synced_at is None)
        ]
        ids = list(dict.fromkeys(uploads + tracked))
        calls = YouTubeClient.calls_needed_for(len(ids))
        ledger.ensure(calls, f"looking up {len(ids)} videos")
        videos = client.get_videos(ids) if ids else []
    finally:
        record_units(session, ledger.day, ledger.spent)
        session.flush()

    report = SyncReport(
        channel=Channel(row.channel_id, row.title or reference, row.uploads_playlist_id),
        channel_cached=from_cache,
        uploads_listed=len(uploads),
        units_spent=ledger.spent,
        units_today=ledger.before + ledger.spent,
        budget=budget,
    )
    _link(session, events, videos, set(ids), uploads, now, report)
    session.flush()
    return report


def _link(
    session: DbSession,
    events: list[Event],
    videos: list[Video],
    fetched: set[str],
    uploads: list[str],
    now: datetime,
    report: SyncReport,
) -> None:
    by_id = {v.video_id: v for v in videos}
    upload_set = set(uploads)
    report.broadcasts = [v for v in videos if v.video_id in upload_set and v.is_broadcast]
    report.plain_uploads = sum(1 for v in videos if v.video_id in upload_set and not v.is_broadcast)

    infos: list[EventInfo] = []
    for event in events:
        stream = event.livestream
        keep = None
        # Pinned links are the organiser's; links whose video was not fetched stay as they are.
        if stream is not None and stream.video_id and (stream.pinned or stream.video_id not in fetched):
            keep = stream.video_id
        infos.append(EventInfo(event.id, event.slug, event.title, event.starts_at, keep))
    candidates = [v for v in videos if v.is_broadcast]
    result: MatchResult = match_broadcasts(infos, candidates)
    links = {link.event_id: link for link in result.links}

    for event in events:
        stream = event.livestream
        if stream is not None and stream.pinned and stream.video_id:
            video = by_id.get(stream.video_id)
            if video is not None:
                _apply(stream, video, now)
                report.linked.append(
                    LinkedEvent(
                        event.slug, video.video_id, video.title, video.status, PINNED_REASON, "pinned"
                    )
                )
            elif stream.video_id in fetched:
                report.missing_pinned.append((event.slug, stream.video_id))
            continue
        link = links.get(event.id)
        if link is None:
            if stream is not None and stream.video_id:
                if stream.video_id in fetched:
                    why = (
                        "its video is no longer available (private or deleted?)"
                        if stream.video_id not in by_id
                        else "its video no longer matches the event"
                    )
                    report.dropped.append((event.slug, stream.video_id, why))
                    clear_link(stream)
                    stream.synced_at = now
                    continue
                report.linked.append(
                    LinkedEvent(
                        event.slug,
                        stream.video_id,
                        stream.title or "",
                        stream.status,
                        stream.match_reason or "",
                        "kept",
                    )
                )
            else:
                report.events_without_broadcast.append(event.slug)
            continue
        video = by_id[link.video_id]
        if stream is None:
            stream = Livestream(event=event)
            session.add(stream)
        change = (
            "linked" if not stream.video_id else ("kept" if stream.video_id == video.video_id else "relinked")
        )
        stream.video_id = video.video_id
        stream.pinned = False
        stream.match_reason = link.reason[:300]
        _apply(stream, video, now)
        report.linked.append(
            LinkedEvent(event.slug, video.video_id, video.title, video.status, link.reason, change)
        )

    linked_ids = {item.video_id for item in report.linked}
    reasons = {u.video_id: u.reason for u in result.unmatched}
    for video in report.broadcasts:
        if video.video_id not in linked_ids:
            report.unlinked.append((video, reasons.get(video.video_id, "not matched")))


def _budget_from(config: Mapping[str, Any]) -> int:
    value = config.get("YOUTUBE_DAILY_BUDGET", 2000)
    try:
        budget = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"HUB_YOUTUBE_DAILY_BUDGET must be a whole number of units, not {value!r}"
        ) from None
    if budget < 0:
        raise ConfigurationError("HUB_YOUTUBE_DAILY_BUDGET must not be negative")
    return budget


def sync_from_config(session: DbSession, config: Mapping[str, Any], now: datetime) -> SyncReport:
    """Build the client from the app's config and run a sync (for the CLI and the worker).

    Raises YouTubeError subclasses; flushes, the caller commits (also after an error, to keep
    the units recorded).
    """
    client = YouTubeClient(config.get("YOUTUBE_API_KEY"), config.get("YOUTUBE_API_ENDPOINT"))
    return sync_youtube(session, client, now, _budget_from(config), channel=config.get("YOUTUBE_CHANNEL"))
