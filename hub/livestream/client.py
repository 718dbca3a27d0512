"""The YouTube Data API v3, behind our own types: the only module that imports googleapiclient.

Every call costs quota units (channels.list, playlistItems.list and videos.list: 1 each, also
when YouTube answers with an error); the client counts them in :attr:`YouTubeClient.units_spent`.
A fresh service object and ``httplib2.Http`` are built per call (they are not thread-safe).
Google's errors become :class:`YouTubeError` subclasses with a one-line message; the raw
``HttpError`` text is never shown or logged, because its URL carries the API key.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from hub.livestream.urls import ChannelReference, parse_channel_reference
from hub.models.livestream import StreamStatus
from hub.timeutil import parse_iso

DEFAULT_HOST = "youtube.googleapis.com"
MAX_IDS_PER_CALL = 50  # videos.list and playlistItems.list take at most 50
UNITS_PER_CALL = 1  # channels.list, playlistItems.list, videos.list
TIMEOUT_SECONDS = 10

_KEY_IN_TEXT = re.compile(r"(key=)[^&\s'\"]+")


class _QuietGoogleLogs(logging.Filter):
    """googleapiclient's own lines go to the log at DEBUG level only, with the key blanked out.

    It logs a warning of its own on every 403 (quota exceeded among them) and request URLs,
    key included, at DEBUG. The hub says what went wrong in one line of its own
    (:class:`YouTubeError`), so theirs are demoted: shown only when DEBUG logging is on.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "key=" in text:
            record.msg, record.args = _KEY_IN_TEXT.sub(r"\1***", text), None
        if record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


GOOGLE_LOGGERS = (
    "googleapiclient.discovery",
    "googleapiclient.discovery_cache",
    "googleapiclient.http",
    "googleapiclient.model",
    "googleapiclient._helpers",
)
for _name in GOOGLE_LOGGERS:
    logging.getLogger(_name).addFilter(_QuietGoogleLogs())


class YouTubeError(Exception):
    """A named failure of a YouTube call; ``str()`` is one line, safe to print and log."""


class MissingApiKey(YouTubeError):
    def __init__(self) -> None:
        super().__init__(
            "no YouTube API key: set HUB_YOUTUBE_API_KEY (a Google Cloud API key with the "
            "YouTube Data API v3 enabled)"
        )


class InvalidApiKey(YouTubeError):
    def __init__(self) -> None:
        super().__init__("YouTube refused the API key as not valid: check HUB_YOUTUBE_API_KEY")


class AccessDenied(YouTubeError):
    """403 other than quota: API not enabled for the project, key restricted to referrers, ..."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"YouTube refused the request ({reason}): is the YouTube Data API v3 enabled for the "
            "key's project, and is the key free of website (referrer) restrictions?"
        )


class QuotaExceeded(YouTubeError):
    def __init__(self) -> None:
        super().__init__(
            "YouTube's daily quota for this API key is used up (quotaExceeded); "
            "it resets at midnight Pacific time"
        )


class ChannelNotFound(YouTubeError):
    def __init__(self, reference: str) -> None:
        super().__init__(
            f"no YouTube channel {reference!r}: check HUB_YOUTUBE_CHANNEL "
            "(a handle like @OsloCancerCluster or a channel id UC…)"
        )


class NetworkFailure(YouTubeError):
    def __init__(self, host: str, what: str) -> None:
        super().__init__(f"cannot reach the YouTube API at {host}: {what}")


class YouTubeApiError(YouTubeError):
    """Any other error answer (5xx, rate limits, an unexpected body)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Channel:
    channel_id: str
    title: str
    uploads_playlist_id: str
    handle: str | None = None


@dataclass(frozen=True)
class UploadsPage:
    video_ids: tuple[str, ...]
    next_page_token: str | None
    total_results: int | None


@dataclass(frozen=True)
class Video:
    """One video; a broadcast when it has live streaming details."""

    video_id: str
    title: str
    channel_id: str | None
    published_at: datetime | None
    live_broadcast_content: str  # "upcoming" | "live" | "none" (| "completed")
    privacy_status: str | None
    embeddable: bool
    is_broadcast: bool
    scheduled_start: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    concurrent_viewers: int | None = None
    view_count: int | None = None  # statistics.viewCount (absent when the owner hides it)
    upload_status: str | None = None  # status.uploadStatus: "processed" once YouTube is done

    @property
    def is_processed(self) -> bool:
        return self.upload_status == "processed"

    @property
    def status(self) -> StreamStatus:
        """From liveStreamingDetails: a finished broadcast says liveBroadcastContent "none"."""
        if self.actual_end is not None:
            return StreamStatus.ENDED
        if self.actual_start is not None:
            return StreamStatus.LIVE
        if self.scheduled_start is not None or self.live_broadcast_content == "upcoming":
            return StreamStatus.UPCOMING
        # A plain upload (a recording put up afterwards): watchable like a finished broadcast.
        return StreamStatus.ENDED

    @property
    def starts_at(self) -> datetime | None:
        """When the broadcast starts (or started): scheduled, else actual."""
        return self.scheduled_start or self.actual_start


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def video_from_resource(resource: dict[str, Any]) -> Video:
    """Our Video from a ``youtube#video`` resource (part=snippet,liveStreamingDetails,status,statistics)."""
    snippet = resource.get("snippet") or {}
    status = resource.get("status") or {}
    statistics = resource.get("statistics") or {}
    live = resource.get("liveStreamingDetails")
    details = live if isinstance(live, dict) else {}
    return Video(
        video_id=str(resource.get("id", "")),
        title=str(snippet.get("title") or ""),
        channel_id=snippet.get("channelId"),
        published_at=_time(snippet.get("publishedAt")),
        live_broadcast_content=str(snippet.get("liveBroadcastContent") or "none"),
        privacy_status=status.get("privacyStatus"),
        embeddable=bool(status.get("embeddable", True)),
        is_broadcast=isinstance(live, dict),
        scheduled_start=_time(details.get("scheduledStartTime")),
        actual_start=_time(details.get("actualStartTime")),
        actual_end=_time(details.get("actualEndTime")),
        concurrent_viewers=_int(details.get("concurrentViewers")),
        view_count=_int(statistics.get("viewCount")) if isinstance(statistics, dict) else None,
        upload_status=status.get("uploadStatus"),
    )


def _error_reasons(exc: HttpError) -> tuple[set[str], str]:
    """The machine-readable reasons in Google's error JSON (both forms), and its message."""
    reasons: set[str] = set()
    message = ""
    try:
        body = json.loads(exc.content.decode("utf-8") if isinstance(exc.content, bytes) else exc.content)
        error = body.get("error", {}) if isinstance(body, dict) else {}
    except (ValueError, AttributeError, UnicodeDecodeError):
        error = {}
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        for key in ("errors", "details"):
            for item in error.get(key) or []:
                if isinstance(item, dict) and item.get("reason"):
                    reasons.add(str(item["reason"]))
        if error.get("status"):
            reasons.add(str(error["status"]))
    return reasons, message


def _describe_network_error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, httplib2.ServerNotFoundError | socket.gaierror):
        return "host name not found"
    if isinstance(exc, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, ConnectionError):
        return "connection lost"
    return exc.__class__.__name__


class YouTubeClient:
    """Typed calls to the YouTube Data API with an API key; counts the quota units spent."""

    def __init__(
        self, api_key: str | None, endpoint: str | None = None, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        if not api_key or not api_key.strip():
            raise MissingApiKey()
        self._api_key = api_key.strip()
        self._endpoint = endpoint.strip() if endpoint and endpoint.strip() else None
        self._timeout = timeout
        self.units_spent = 0
        self.calls: Counter[str] = Counter()

    @property
    def host(self) -> str:
        if self._endpoint is None:
            return DEFAULT_HOST
        return urlsplit(self._endpoint).netloc or self._endpoint

    def _service(self) -> Any:
        options = {"api_endpoint": self._endpoint} if self._endpoint else None
        return build(
            "youtube",
            "v3",
            developerKey=self._api_key,
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
            http=httplib2.Http(timeout=self._timeout),
        )

    def _execute(self, method: str, request: Any) -> dict[str, Any]:
        """Run one request; count its unit when YouTube answered; map failures to YouTubeError."""
        try:
            response = request.execute(num_retries=0)
        except HttpError as exc:
            self._count(method)
            raise self._map_http_error(exc, method) from None
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise NetworkFailure(self.host, _describe_network_error(exc, self._timeout)) from None
        except ValueError:
            self._count(method)
            raise YouTubeApiError(f"YouTube's answer to {method} was not valid JSON") from None
        self._count(method)
        if not isinstance(response, dict):
            raise YouTubeApiError(f"YouTube's answer to {method} was not a JSON object")
        return response

    def _count(self, method: str) -> None:
        self.units_spent += UNITS_PER_CALL
        self.calls[method] += 1

    def _map_http_error(self, exc: HttpError, method: str) -> YouTubeError:
        status = int(exc.status_code or 0)
        reasons, message = _error_reasons(exc)
        if reasons & {"keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED"} or (
            status == 400 and "api key not valid" in message.lower()
        ):
            return InvalidApiKey()
        if reasons & {"quotaExceeded", "dailyLimitExceeded", "RATE_LIMIT_EXCEEDED"} and not (
            reasons & {"rateLimitExceeded", "userRateLimitExceeded"}
        ):
            return QuotaExceeded()
        if status == 403 and not reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
            named = sorted(reasons - {"PERMISSION_DENIED", "forbidden"}) or sorted(reasons) or ["forbidden"]
            return AccessDenied(", ".join(named))
        label = ", ".join(sorted(reasons)) or "no reason given"
        return YouTubeApiError(f"YouTube answered {status} ({label}) to {method}", status)

    # -- calls ------------------------------------------------------------------------------

    def resolve_channel(self, reference: str | ChannelReference) -> Channel:
        """channels.list by handle or id (1 unit): the channel and its uploads playlist."""
        ref = reference if isinstance(reference, ChannelReference) else parse_channel_reference(reference)
        if ref is None:
            raise ChannelNotFound(str(reference))
        service = self._service()
        part = "snippet,contentDetails"
        if ref.kind == "handle":
            request = service.channels().list(part=part, forHandle=ref.value)
        else:
            request = service.channels().list(part=part, id=ref.value)
        items = self._execute("channels.list", request).get("items") or []
        if not items or not isinstance(items[0], dict):
            raise ChannelNotFound(ref.value)
        item = items[0]
        snippet = item.get("snippet") or {}
        uploads = ((item.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
        if not uploads:
            raise YouTubeApiError(f"channel {ref.value!r} has no uploads playlist in YouTube's answer")
        return Channel(
            channel_id=str(item.get("id", "")),
            title=str(snippet.get("title") or ref.value),
            uploads_playlist_id=str(uploads),
            handle=snippet.get("customUrl"),
        )

    def list_uploads(
        self, playlist_id: str, max_results: int = MAX_IDS_PER_CALL, page_token: str | None = None
    ) -> UploadsPage:
        """playlistItems.list of the uploads playlist, newest first (1 unit per page)."""
        kwargs: dict[str, Any] = {
            "part": "contentDetails",
            "playlistId": playlist_id,
            "maxResults": max(1, min(max_results, MAX_IDS_PER_CALL)),
        }
        if page_token:
            kwargs["pageToken"] = page_token
        try:
            response = self._execute("playlistItems.list", self._service().playlistItems().list(**kwargs))
        except YouTubeApiError as exc:
            if exc.status == 404:
                raise ChannelNotFound(f"{playlist_id} (uploads playlist)") from None
            raise
        ids: list[str] = []
        for item in response.get("items") or []:
            details = item.get("contentDetails") or {} if isinstance(item, dict) else {}
            video_id = details.get("videoId") or ((item.get("snippet") or {}).get("resourceId") or {}).get(
                "videoId"
            )
            if isinstance(video_id, str) and video_id not in ids:
                ids.append(video_id)
        total = (response.get("pageInfo") or {}).get("totalResults")
        return UploadsPage(tuple(ids), response.get("nextPageToken"), _int(total))

    def get_videos(self, video_ids: Iterable[str]) -> list[Video]:
        """videos.list with live streaming details and statistics, up to 50 ids per call.

        One unit per call, whatever the parts asked for. Unknown, deleted and private videos
        are simply absent from the result.
        """
        unique = list(dict.fromkeys(video_ids))
        videos: list[Video] = []
        for start in range(0, len(unique), MAX_IDS_PER_CALL):
            batch: Sequence[str] = unique[start : start + MAX_IDS_PER_CALL]
            request = (
                self._service()
                .videos()
                .list(part="snippet,liveStreamingDetails,status,statistics", id=",".join(batch))
            )
            response = self._execute("videos.list", request)
            videos.extend(
                video_from_resource(item) for item in response.get("items") or [] if isinstance(item, dict)
            )
        return videos

    @staticmethod
    def calls_needed_for(video_count: int) -> int:
        """videos.list calls (= units) to look up this many ids."""
        return -(-video_count // MAX_IDS_PER_CALL)
