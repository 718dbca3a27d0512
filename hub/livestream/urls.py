"""YouTube addresses: read what an organiser pastes, and build the ones the hub shows.

Reading turns what an organiser pastes (a YouTube link of any form, or a bare id) into a video id.

The accepted forms follow yt-dlp's ``_VALID_URL`` for youtube.com videos: ``watch?v=``,
``youtu.be/``, ``/live/``, ``/embed/`` (also on youtube-nocookie.com), ``/shorts/``, ``/v/`` and
``/e/`` on youtube.com and its subdomains (m., music., www.), with or without a scheme. Channel
links (``/@handle``, ``/channel/UC…``) are not videos; :func:`parse_channel_reference` reads them.

It is also the only module that builds YouTube addresses (watch with ``t=``, the nocookie
embed, the channel page): models, feeds, mails and templates call :func:`watch_url`,
:func:`embed_url` and :func:`channel_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
HANDLE = re.compile(r"[\w.\-·]{3,30}")
# Eleven characters long but never a video: the channel live embed and the playlist embed.
RESERVED = frozenset({"live_stream", "videoseries"})
VIDEO_HOSTS = ("youtube.com", "youtube-nocookie.com", "youtubekids.com")
SHORT_HOST = "youtu.be"
PATH_PREFIXES = frozenset({"embed", "live", "shorts", "v", "e"})


def _is_video_id(text: str) -> bool:
    return VIDEO_ID.fullmatch(text) is not None and text not in RESERVED


def _split(text: str) -> tuple[str, str, str] | None:
    """(host, path, query) of a URL given with or without a scheme; None when not a URL."""
    if "://" not in text:
        if "/" not in text and "?" not in text:
            return None
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return host, parts.path, parts.query


def _host_is(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def parse_video_id(text: str) -> str | None:
    """The 11-character video id in a YouTube URL or bare id, or None when there is none."""
    text = text.strip()
    if not text:
        return None
    if _is_video_id(text):
        return text
    split = _split(text)
    if split is None:
        return None
    host, path, query = split
    segments = [s for s in path.split("/") if s]
    if _host_is(host, SHORT_HOST):
        candidate = segments[0] if len(segments) == 1 else ""
        return candidate if _is_video_id(candidate) else None
    if not any(_host_is(host, domain) for domain in VIDEO_HOSTS):
        return None
    if segments == ["watch"]:
        values = parse_qs(query).get("v", [])
        return values[0] if len(values) == 1 and _is_video_id(values[0]) else None
    if len(segments) == 2 and segments[0] in PATH_PREFIXES and _is_video_id(segments[1]):
        return segments[1]
    return None


@dataclass(frozen=True)
class ChannelReference:
    """A channel as configured: by handle (``@name``) or by channel id (``UC…``)."""

    kind: Literal["handle", "id"]
    value: str

    def __str__(self) -> str:
        return self.value


def parse_channel_reference(text: str) -> ChannelReference | None:
    """Read ``@handle``, a channel id, or a channel URL (``/@handle``, ``/channel/UC…``)."""
    text = text.strip()
    if not text:
        return None
    if CHANNEL_ID.fullmatch(text):
        return ChannelReference("id", text)
    if text.startswith("@") and HANDLE.fullmatch(text[1:]):
        return ChannelReference("handle", text)
    split = _split(text)
    if split is None:
        return ChannelReference("handle", "@" + text) if HANDLE.fullmatch(text) else None
    host, path, _query = split
    if not _host_is(host, "youtube.com"):
        return None
    segments = [s for s in path.split("/") if s]
    if segments and segments[0].startswith("@") and HANDLE.fullmatch(segments[0][1:]):
        return ChannelReference("handle", segments[0])
    if len(segments) >= 2 and segments[0] == "channel" and CHANNEL_ID.fullmatch(segments[1]):
        return ChannelReference("id", segments[1])
    return None


# -- building: every YouTube address the hub shows, links to or embeds is made here ---------

WATCH_BASE = "https://www.youtube.com/watch"
NOCOOKIE_EMBED_BASE = "https://www.youtube-nocookie.com/embed/"
CHANNEL_BASE = "https://www.youtube.com/"


def watch_url(video_id: str, seconds: int | None = None) -> str:
    """The video's page on youtube.com, optionally at a moment of it (``&t=<seconds>s``)."""
    url = f"{WATCH_BASE}?v={video_id}"
    return f"{url}&t={seconds}s" if seconds is not None else url


def embed_url(video_id: str) -> str:
    """The privacy-enhanced player (youtube-nocookie.com), loaded only after the visitor's click."""
    return f"{NOCOOKIE_EMBED_BASE}{video_id}?autoplay=1"


def channel_url(reference: str) -> str:
    """The channel's page: ``youtube.com/@handle`` or ``youtube.com/channel/UC…``."""
    parsed = parse_channel_reference(reference)
    value = parsed.value if parsed is not None else reference.strip()
    if parsed is not None and parsed.kind == "id":
        return f"{CHANNEL_BASE}channel/{value}"
    return f"{CHANNEL_BASE}{value if value.startswith('@') else '@' + value}"
