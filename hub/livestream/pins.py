"""An organiser pins a broadcast to an event; a sync then only refreshes its status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hub.extensions import DbSession
from hub.livestream.urls import parse_channel_reference, parse_video_id
from hub.models import Event, Livestream, StreamStatus

PINNED_REASON = "pinned by an organiser"


class InvalidVideoReference(ValueError):
    """What was pasted cannot be pinned; ``str()`` says why, ``code`` names the case."""

    def __init__(self, text: str, code: str, message: str) -> None:
        super().__init__(message)
        self.text = text
        self.code = code  # "empty" | "channel" | "not_video" | "in_use"


class VideoInUse(InvalidVideoReference):
    """The video is linked to another event; only an operator or an admin may take it over."""

    def __init__(self, text: str, video_id: str, events: list[Event]) -> None:
        self.video_id = video_id
        self.event_slugs = [e.slug for e in events]
        self.event_titles = [e.title for e in events]
        super().__init__(
            text,
            "in_use",
            f"{video_id} is already linked to {', '.join(self.event_slugs)}: "
            "a video is the livestream of one event only",
        )


def _reject(text: str) -> InvalidVideoReference:
    shown = text.strip()
    if not shown:
        return InvalidVideoReference(
            text, "empty", "paste a YouTube link (e.g. https://youtu.be/…) or an 11-character video id"
        )
    if len(shown) > 80:
        shown = shown[:77] + "..."
    if parse_channel_reference(text) is not None and ("/" in text or text.strip().startswith("@")):
        return InvalidVideoReference(
            text,
            "channel",
            f"{shown!r} is a channel, not a video: paste the link of the broadcast itself "
            "(youtube.com/watch?v=…, youtu.be/…, youtube.com/live/…)",
        )
    return InvalidVideoReference(
        text,
        "not_video",
        f"{shown!r} is not a YouTube video link or id: use a link like youtube.com/watch?v=…, "
        "youtu.be/…, youtube.com/live/…, /embed/…, /shorts/…, or the 11-character id",
    )


def clear_link(stream: Livestream) -> None:
    """Forget the linked video and everything known about it."""
    stream.video_id = None
    stream.status = StreamStatus.NONE
    stream.title = None
    stream.scheduled_start = stream.actual_start = stream.actual_end = None
    stream.concurrent_viewers = None
    stream.match_reason = None
    stream.synced_at = None


def linked_elsewhere(session: DbSession, event: Event, video_id: str) -> list[Livestream]:
    """The links of other events to ``video_id`` (pinned or found by a sync)."""
    return list(
        session.scalars(
            select(Livestream)
            .where(Livestream.video_id == video_id, Livestream.event_id != event.id)
            .order_by(Livestream.event_id)
        )
    )


def pin_video(
    session: DbSession, event: Event, text: str, now: datetime, *, take_over: bool = False
) -> Livestream:
    """Pin the video named by a URL or id to ``event``; raise InvalidVideoReference when none.

    A sync never re-links a pinned event, it only refreshes the video's status. A video is
    the livestream of one event: when another event has it (pinned or found by a sync), this
    raises VideoInUse, unless ``take_over`` (an operator or an admin, who see every event)
    says to move it here: the other event's link and pin are removed, and the next sync
    matches that event afresh. Flushes; the caller commits.
    """
    video_id = parse_video_id(text)
    if video_id is None:
        raise _reject(text)
    others = linked_elsewhere(session, event, video_id)
    if others and not take_over:
        raise VideoInUse(text, video_id, [other.event for other in others])
    stream = event.livestream
    if stream is None:
        stream = Livestream(event=event)
        session.add(stream)
    if stream.video_id != video_id:
        clear_link(stream)
        stream.video_id = video_id
    stream.pinned = True
    stream.match_reason = f"{PINNED_REASON} ({now.date().isoformat()})"
    for other in others:
        clear_link(other)
        other.pinned = False
    session.flush()
    return stream


def unpin(session: DbSession, event: Event) -> bool:
    """Remove an organiser's pin (and its link), so the next sync matches the event afresh.

    Returns whether there was a pin. Flushes; the caller commits.
    """
    stream = event.livestream
    if stream is None or not stream.pinned:
        return False
    clear_link(stream)
    stream.pinned = False
    session.flush()
    return True
