"""A fake YouTube Data API v3 on 127.0.0.1 for the real google-api-python-client to talk to.

It answers ``/youtube/v3/channels``, ``/playlistItems`` and ``/videos`` from the realistic
bodies in ``fixtures/``, honours ``id``, ``forHandle``, ``part``, ``maxResults`` and
``pageToken``, checks the API key, answers with Google's error JSON for configured failures,
and counts requests per endpoint (each one a quota unit at YouTube).
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"
API_KEY = "AIzaSyFAKE-test-key-0123456789abcdefghi"
CHANNEL_ID = "UCOsloCancerClusterFake0"
UPLOADS = "UUOsloCancerClusterFake0"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _token(offset: int) -> str:
    return "CD" + base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token[2:] + "=" * (-len(token[2:]) % 4)).decode()
        return int(raw.split(":", 1)[1]) if raw.startswith("offset:") else None
    except (ValueError, IndexError):
        return None


class FakeYouTube:
    """The API's state (channel, uploads, videos), the failures to serve, and a request log."""

    def __init__(self) -> None:
        self.api_key = API_KEY
        self.bad_key_body = "error_badKey_400_current.json"
        self.channels: list[dict[str, Any]] = [fixture("channels_forHandle.json")["items"][0]]
        items = fixture("videos_arendalsuka_2023.json")["items"]
        self.videos: dict[str, dict[str, Any]] = {v["id"]: v for v in items}
        self.playlists: dict[str, list[str]] = {UPLOADS: [v["id"] for v in items]}
        self.failures: dict[str, tuple[int, str]] = {}
        # When set: videos.list answers only once this many requests wait (syncs in step).
        self.videos_gate: threading.Barrier | None = None
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, list[str]]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------

    def start(self) -> FakeYouTube:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = fake.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def units(self) -> int:
        """Quota YouTube would have charged: 1 per request, errors included."""
        return sum(self.requests.values())

    # -- configuring -----------------------------------------------------------------------

    def fail(self, endpoint: str, status: int, body: str) -> None:
        """Answer ``endpoint`` ("channels", "playlistItems", "videos" or "*") with an error."""
        self.failures[endpoint] = (status, body)

    def add_plain_uploads(self, count: int) -> list[str]:
        """Ordinary (not live) uploads, added as the newest videos of the channel."""
        ids = []
        for n in range(count):
            video_id = f"Upload{n:05d}"
            video = copy.deepcopy(self.videos["KreftIntv01"])
            video["id"] = video_id
            video["etag"] = f"etag-{video_id}"
            title = f"Kreftforskning i Norge, episode {n + 1}"
            video["snippet"]["title"] = video["snippet"]["localized"]["title"] = title
            video["snippet"]["publishedAt"] = f"2023-08-{11 + n // 24:02d}T{n % 24:02d}:00:00Z"
            self.videos[video_id] = video
            ids.append(video_id)
        self.playlists[UPLOADS] = list(reversed(ids)) + self.playlists[UPLOADS]
        return ids

    def set_live(self, video_id: str, started: str, viewers: int | None = None) -> None:
        video = self.videos[video_id]
        video["snippet"]["liveBroadcastContent"] = "live"
        details = video["liveStreamingDetails"]
        details["actualStartTime"] = started
        if viewers is not None:
            details["concurrentViewers"] = str(viewers)

    def set_views(self, video_id: str, views: int) -> None:
        self.videos[video_id]["statistics"]["viewCount"] = str(views)

    def set_ended(self, video_id: str, ended: str, processed: bool = True) -> None:
        """As YouTube reports a finished broadcast: "none", an end time, no viewer count;
        ``uploadStatus`` "processed" once YouTube has made the recording available."""
        video = self.videos[video_id]
        video["snippet"]["liveBroadcastContent"] = "none"
        video["status"]["uploadStatus"] = "processed" if processed else "uploaded"
        details = video["liveStreamingDetails"]
        details.setdefault("actualStartTime", details["scheduledStartTime"])
        details["actualEndTime"] = ended
        details.pop("concurrentViewers", None)
        details.pop("activeLiveChatId", None)

    def retitle(self, video_id: str, title: str) -> None:
        snippet = self.videos[video_id]["snippet"]
        snippet["title"] = snippet["localized"]["title"] = title

    # -- answering -------------------------------------------------------------------------

    def answer(self, raw_path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        params = parse_qs(parts.query)
        prefix = "/youtube/v3/"
        endpoint = parts.path[len(prefix) :] if parts.path.startswith(prefix) else parts.path
        self.requests[endpoint] += 1
        self.log.append((endpoint, params))
        key = params.get("key", [None])[0]
        if key is None:
            return 403, fixture("error_missingKey_403.json")
        if key != self.api_key:
            return 400, fixture(self.bad_key_body)
        failure = self.failures.get(endpoint) or self.failures.get("*")
        if failure is not None:
            return failure[0], fixture(failure[1])
        if endpoint == "videos" and self.videos_gate is not None:
            self.videos_gate.wait(timeout=20)
        handler = {"channels": self._channels, "playlistItems": self._playlist_items, "videos": self._videos}
        if endpoint not in handler:
            return 404, {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}
        return handler[endpoint](params)

    @staticmethod
    def _parts(params: dict[str, list[str]]) -> set[str]:
        return {p.strip() for p in params.get("part", [""])[0].split(",") if p.strip()}

    @staticmethod
    def _max_results(params: dict[str, list[str]]) -> int | None:
        value = int(params.get("maxResults", ["5"])[0])
        return value if 0 <= value <= 50 else None

    @staticmethod
    def _invalid(reason: str, message: str) -> tuple[int, dict[str, Any]]:
        return 400, {
            "error": {
                "code": 400,
                "message": message,
                "errors": [{"message": message, "domain": "youtube.parameter", "reason": reason}],
            }
        }

    def _pick(self, resource: dict[str, Any], parts: set[str]) -> dict[str, Any]:
        picked = {k: resource[k] for k in ("kind", "etag", "id")}
        picked.update({k: copy.deepcopy(v) for k, v in resource.items() if k in parts})
        return picked

    def _channels(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        parts = self._parts(params)
        if not parts:
            return self._invalid("required", "No filter selected. Expected one of: part")
        if "forHandle" in params:
            handle = params["forHandle"][0].lstrip("@").casefold()
            found = [c for c in self.channels if c["snippet"]["customUrl"].lstrip("@").casefold() == handle]
        elif "id" in params:
            ids = params["id"][0].split(",")
            found = [c for c in self.channels if c["id"] in ids]
        else:
            return self._invalid(
                "missingRequiredParameter", "No filter selected. Expected one of: id, forHandle"
            )
        body = copy.deepcopy(fixture("channels_not_found.json"))
        if found:
            body["items"] = [self._pick(c, parts) for c in found]
            body["pageInfo"]["totalResults"] = len(found)
        return 200, body

    def _playlist_items(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        playlist_id = params.get("playlistId", [""])[0]
        if playlist_id not in self.playlists:
            return 404, fixture("error_playlistNotFound_404.json")
        size = self._max_results(params)
        if size is None:
            return self._invalid("invalidValue", "Invalid value for maxResults: must be between 0 and 50")
        offset = 0
        if "pageToken" in params:
            found = _offset(params["pageToken"][0])
            if found is None:
                return self._invalid("invalidPageToken", "The request specifies an invalid page token.")
            offset = found
        ids = self.playlists[playlist_id]
        page = ids[offset : offset + size]
        parts = self._parts(params)
        items = []
        for position, video_id in enumerate(page, start=offset):
            video = self.videos[video_id]
            snippet = video["snippet"]
            item: dict[str, Any] = {
                "kind": "youtube#playlistItem",
                "etag": f"etag-pli-{video_id}",
                "id": base64.urlsafe_b64encode(f"{playlist_id}.{video_id}".encode()).decode().rstrip("="),
            }
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": snippet["publishedAt"],
                    "channelId": snippet["channelId"],
                    "title": snippet["title"],
                    "description": snippet["description"],
                    "thumbnails": snippet["thumbnails"],
                    "channelTitle": snippet["channelTitle"],
                    "playlistId": playlist_id,
                    "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": video_id},
                    "videoOwnerChannelTitle": snippet["channelTitle"],
                    "videoOwnerChannelId": snippet["channelId"],
                }
            if "contentDetails" in parts:
                details = {"videoId": video_id}
                if snippet["liveBroadcastContent"] != "upcoming":
                    details["videoPublishedAt"] = snippet["publishedAt"]
                item["contentDetails"] = details
            items.append(item)
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": f"pl-etag-{offset}",
            "items": items,
            "pageInfo": {"totalResults": len(ids), "resultsPerPage": size},
        }
        if offset + size < len(ids):
            body["nextPageToken"] = _token(offset + size)
        if offset > 0:
            body["prevPageToken"] = _token(max(offset - size, 0))
        return 200, body

    def _videos(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        ids = [i for i in params.get("id", [""])[0].split(",") if i]
        if len(ids) > 50:
            return self._invalid("invalidFilters", "The request specifies more than 50 video ids.")
        parts = self._parts(params)
        items = [self._pick(self.videos[i], parts) for i in ids if i in self.videos]
        return 200, {
            "kind": "youtube#videoListResponse",
            "etag": "vl-etag",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
