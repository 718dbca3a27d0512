"""An organiser pins a broadcast to an event; a sync then only refreshes its status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hub.extensions import DbSession
from hub.livestream.urls import parse_channel_reference, parse_video_id
from hub.models import Event, Livestream, StreamStatus

PINNED_REASON = "pinned by an organiser"


class InvalidVideoReference(ValueError):
    """What was pasted names no YouTube video; ``str()`` says why, ``code`` names the case."""

    def __init__(self, text: str, code: str, message: str) -> None:
        super().__init__(message)
        self.text = text
        self.code = code  # "empty" | "channel" | "not_video"


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


def pin_video(session: DbSession, event: Event, text: str, now: datetime) -> Livestream:
    """Pin the video named by a URL or id to ``event``; raise InvalidVideoReference when none.

    A sync never re-links a pinned event, it only refreshes the video's status. When a sync
    had linked the same video to another event, that link is removed (one broadcast, one
    event). Flushes; the caller commits.
    """
    video_id = parse_video_id(text)
    if video_id is None:
        raise _reject(text)
    stream = event.livestream
    if stream is None:
        stream = Livestream(event=event)
        session.add(stream)
    if stream.video_id != video_id:
        clear_link(stream)
        stream.video_id = video_id
    stream.pinned = True
    stream.match_reason = f"{PINNED_REASON} ({now.date().isoformat()})"
    others = session.scalars(
        select(Livestream).where(
            Livestream.video_id == video_id, Livestream.pinned.is_(False), Livestream.event_id != event.id
        )
    )
    for other in others:
        clear_link(other)
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
