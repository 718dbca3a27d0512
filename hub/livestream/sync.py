"""Find the channel's broadcasts and link them to events; keep their status and figures.

One sync costs 3 units for a channel with up to 50 uploads (2 when the channel is cached):
``channels.list`` once per configured channel (the uploads playlist id is cached in
:class:`YouTubeChannel`), one page of ``playlistItems.list`` on the uploads playlist, and one
``videos.list`` for up to 50 ids, which also refreshes the videos already linked to events
(tracked by id, so they need not be among the newest uploads). A finished broadcast is final:
once recorded as ended and out of the newest uploads, it is not tracked again; only its view
count is refreshed, in the free places of a ``videos.list`` call the sync makes anyway (a call
costs one unit for 1 id or 50).

The units are kept in the quota ledger (:mod:`hub.livestream.quota`); a sync that would go
past the daily budget does not start. Every YouTube call happens before anything is written,
so a failed sync leaves the links as they were (only the units spent, a resolved channel and
the time of the attempt are kept). When the worker syncs is :mod:`hub.livestream.cadence`'s
business; the mails a sync causes are :mod:`hub.livestream.lifecycle`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.livestream.client import (
    MAX_IDS_PER_CALL,
    Channel,
    ChannelNotFound,
    Video,
    YouTubeClient,
    YouTubeError,
)
from hub.livestream.lifecycle import queue_lifecycle_mails
from hub.livestream.matching import EventInfo, Link, MatchResult, match_broadcasts
from hub.livestream.pins import PINNED_REASON, clear_link
from hub.livestream.quota import Ledger, daily_budget
from hub.livestream.urls import parse_channel_reference
from hub.mail.compose import Links
from hub.models import Event, Festival, Livestream, StreamStatus, YouTubeChannel

UPLOADS_PAGE_SIZE = 50


class ChannelNotConfigured(YouTubeError):
    pass


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
    figures_refreshed: int = 0
    units_spent: int = 0
    units_today: int = 0
    budget: int = 0
    live_mails: int = 0
    recording_mails: int = 0

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
        if self.live_mails or self.recording_mails:
            out.append(
                f"Mails queued: {self.live_mails} 'we are live', {self.recording_mails} 'recording ready'."
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


def _resolve(
    session: DbSession, client: YouTubeClient, reference: str, now: datetime, ledger: Ledger, refresh: bool
) -> tuple[YouTubeChannel, bool]:
    cached = session.scalar(select(YouTubeChannel).where(YouTubeChannel.reference == reference))
    if cached is not None and not refresh:
        return cached, True
    ledger.ensure(1, "resolving the channel")
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


def _apply_figures(stream: Livestream, video: Video, now: datetime) -> None:
    """What organisers see: the most viewers seen at once, and the views so far."""
    if video.status is StreamStatus.LIVE and video.concurrent_viewers is not None:
        stream.peak_viewers = max(stream.peak_viewers or 0, video.concurrent_viewers)
    if video.view_count is not None:
        stream.view_count = video.view_count
    stream.processed = video.is_processed
    stream.synced_at = now


def _apply(stream: Livestream, video: Video, now: datetime) -> None:
    stream.title = video.title[:300]
    stream.status = video.status
    stream.scheduled_start = video.scheduled_start
    stream.actual_start = video.actual_start
    stream.actual_end = video.actual_end
    stream.concurrent_viewers = video.concurrent_viewers if video.status is StreamStatus.LIVE else None
    _apply_figures(stream, video, now)


def _tracked(streams: list[Livestream], uploads: list[str]) -> list[str]:
    """Linked videos outside the newest uploads that may still change (not final yet)."""
    return [
        s.video_id
        for s in streams
        if s.video_id
        and s.video_id not in uploads
        and (s.status is not StreamStatus.ENDED or s.synced_at is None)
    ]


def _figures_only(streams: list[Livestream], ids: list[str]) -> list[str]:
    """Finished videos whose views can ride along in the free places of the last call."""
    free = -len(ids) % MAX_IDS_PER_CALL if ids else 0
    wanted = set(ids)
    done = [s for s in streams if s.video_id and s.video_id not in wanted and s.status is StreamStatus.ENDED]
    done.sort(key=lambda s: (s.synced_at is not None, s.synced_at or datetime.min))
    return [s.video_id for s in done[:free] if s.video_id]


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
    ledger = Ledger(session, client, now, budget)
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
        ids = list(dict.fromkeys(uploads + _tracked(streams, uploads)))
        extra = _figures_only(streams, ids)
        calls = YouTubeClient.calls_needed_for(len(ids))
        ledger.ensure(calls, f"looking up {len(ids)} videos")
        videos = client.get_videos(ids + extra) if ids else []
    finally:
        ledger.record(session)
        # The cadence counts from the last attempt, failed or not.
        session.execute(
            update(YouTubeChannel)
            .where(YouTubeChannel.reference == reference)
            .values(synced_at=now, sync_units=ledger.spent)
        )
        session.flush()

    report = SyncReport(
        channel=Channel(row.channel_id, row.title or reference, row.uploads_playlist_id),
        channel_cached=from_cache,
        uploads_listed=len(uploads),
        units_spent=ledger.spent,
        units_today=ledger.today,
        budget=budget,
    )
    fetched = set(ids)
    _link(session, events, [v for v in videos if v.video_id in fetched], fetched, uploads, now, report)
    report.figures_refreshed = _refresh_figures(
        streams, [v for v in videos if v.video_id not in fetched], now
    )
    session.flush()
    return report


def _refresh_figures(streams: list[Livestream], videos: list[Video], now: datetime) -> int:
    by_id = {v.video_id: v for v in videos}
    refreshed = 0
    for stream in streams:
        video = by_id.get(stream.video_id or "")
        if video is not None:
            _apply_figures(stream, video, now)
            refreshed += 1
    return refreshed


# -- linking: one function per case --------------------------------------------------------


def _match(events: list[Event], videos: list[Video], fetched: set[str]) -> MatchResult:
    """Match the fetched broadcasts to events. Pinned links are the organiser's, and links
    whose video was not fetched this time stay as they are: both take no part."""
    infos: list[EventInfo] = []
    for event in events:
        stream = event.livestream
        keep = None
        if stream is not None and stream.video_id and (stream.pinned or stream.video_id not in fetched):
            keep = stream.video_id
        infos.append(EventInfo(event.id, event.slug, event.title, event.starts_at, keep))
    return match_broadcasts(infos, [v for v in videos if v.is_broadcast])


def _refresh_pinned(
    event: Event,
    stream: Livestream,
    by_id: dict[str, Video],
    fetched: set[str],
    now: datetime,
    report: SyncReport,
) -> None:
    """A pinned video only has its status refreshed; missing, it is kept and reported."""
    video = by_id.get(stream.video_id or "")
    if video is not None:
        _apply(stream, video, now)
        report.linked.append(
            LinkedEvent(event.slug, video.video_id, video.title, video.status, PINNED_REASON, "pinned")
        )
    elif stream.video_id in fetched:
        report.missing_pinned.append((event.slug, stream.video_id or ""))


def _link_matched(
    session: DbSession, event: Event, link: Link, video: Video, now: datetime, report: SyncReport
) -> None:
    """Link (or keep, or move) the event to the broadcast matching found for it."""
    stream = event.livestream
    if stream is None:
        stream = Livestream(event=event)
        session.add(stream)
    change = "kept" if stream.video_id == video.video_id else ("relinked" if stream.video_id else "linked")
    stream.video_id = video.video_id
    stream.pinned = False
    stream.match_reason = link.reason[:300]
    _apply(stream, video, now)
    report.linked.append(
        LinkedEvent(event.slug, video.video_id, video.title, video.status, link.reason, change)
    )


def _drop_link(
    event: Event, stream: Livestream, by_id: dict[str, Video], now: datetime, report: SyncReport
) -> None:
    """The linked video was fetched and no longer fits: gone, or no longer matching."""
    if stream.video_id not in by_id:
        why = "its video is no longer available (private or deleted?)"
    else:
        why = "its video no longer matches the event"
    report.dropped.append((event.slug, stream.video_id or "", why))
    clear_link(stream)
    stream.synced_at = now


def _keep_link(event: Event, stream: Livestream, report: SyncReport) -> None:
    """The linked video was not fetched this time: the link stays as it was."""
    report.linked.append(
        LinkedEvent(
            event.slug,
            stream.video_id or "",
            stream.title or "",
            stream.status,
            stream.match_reason or "",
            "kept",
        )
    )


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
    result = _match(events, videos, fetched)
    links = {link.event_id: link for link in result.links}
    for event in events:
        stream = event.livestream
        linked = stream is not None and bool(stream.video_id)
        link = links.get(event.id)
        if stream is not None and linked and stream.pinned:
            _refresh_pinned(event, stream, by_id, fetched, now, report)
        elif link is not None:
            _link_matched(session, event, link, by_id[link.video_id], now, report)
        elif stream is not None and linked and stream.video_id in fetched:
            _drop_link(event, stream, by_id, now, report)
        elif stream is not None and linked:
            _keep_link(event, stream, report)
        else:
            report.events_without_broadcast.append(event.slug)
    linked_ids = {item.video_id for item in report.linked}
    reasons = {u.video_id: u.reason for u in result.unmatched}
    for video in report.broadcasts:
        if video.video_id not in linked_ids:
            report.unlinked.append((video, reasons.get(video.video_id, "not matched")))


def client_from_config(config: Mapping[str, Any]) -> YouTubeClient:
    timeout = config.get("YOUTUBE_API_TIMEOUT") or 10
    return YouTubeClient(config.get("YOUTUBE_API_KEY"), config.get("YOUTUBE_API_ENDPOINT"), float(timeout))


def sync_from_config(
    session: DbSession, config: Mapping[str, Any], now: datetime, links: Links | None = None
) -> SyncReport:
    """Build the client from the app's config, run a sync and queue the mails it causes
    (for the CLI and the worker; ``links`` default to the current app's).

    Raises YouTubeError subclasses; flushes, the caller commits (also after an error, to keep
    the units recorded).
    """
    report = sync_youtube(
        session, client_from_config(config), now, daily_budget(config), channel=config.get("YOUTUBE_CHANNEL")
    )
    mails = queue_lifecycle_mails(session, now, links or Links.from_app())
    report.live_mails, report.recording_mails = mails.live, mails.recording
    return report
