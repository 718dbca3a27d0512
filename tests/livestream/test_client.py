"""The real google-api-python-client against the fake API: typed answers, named errors, units."""

from __future__ import annotations

import logging
import socket

import pytest

from hub.livestream.client import (
    ChannelNotFound,
    InvalidApiKey,
    MissingApiKey,
    NetworkFailure,
    QuotaExceeded,
    YouTubeApiError,
    YouTubeClient,
    YouTubeError,
)
from hub.models import StreamStatus
from tests.livestream.fake_youtube import API_KEY, CHANNEL_ID, UPLOADS, FakeYouTube


def client_for(youtube: FakeYouTube, key: str = API_KEY) -> YouTubeClient:
    return YouTubeClient(key, youtube.endpoint)


def test_resolves_a_handle_to_the_channel_and_its_uploads_playlist(youtube: FakeYouTube) -> None:
    client = client_for(youtube)
    channel = client.resolve_channel("@OsloCancerCluster")
    assert channel.channel_id == CHANNEL_ID
    assert channel.title == "Oslo Cancer Cluster"
    assert channel.uploads_playlist_id == UPLOADS
    endpoint, params = youtube.log[-1]
    assert endpoint == "channels"
    assert params["forHandle"] == ["@OsloCancerCluster"]
    assert params["key"] == [API_KEY]
    assert client.units_spent == youtube.units == 1


def test_resolves_a_channel_id_and_a_channel_url(youtube: FakeYouTube) -> None:
    client = client_for(youtube)
    assert client.resolve_channel(CHANNEL_ID).uploads_playlist_id == UPLOADS
    assert youtube.log[-1][1]["id"] == [CHANNEL_ID]
    assert client.resolve_channel("https://www.youtube.com/@oslocancercluster").channel_id == CHANNEL_ID
    assert client.units_spent == 2


def test_unknown_handle_is_channel_not_found(youtube: FakeYouTube) -> None:
    with pytest.raises(ChannelNotFound, match="@NoSuchChannel"):
        client_for(youtube).resolve_channel("@NoSuchChannel")
    assert youtube.units == 1  # YouTube charges for a miss too


def test_uploads_and_videos_with_their_live_status(youtube: FakeYouTube) -> None:
    client = client_for(youtube)
    page = client.list_uploads(UPLOADS)
    assert page.video_ids[:2] == ("PersonMed04", "DigiHealth3")
    assert len(page.video_ids) == 7
    assert youtube.log[-1][1]["maxResults"] == ["50"]
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    youtube.set_ended("MedInnIRA02", "2023-08-15T13:41:09Z")
    videos = {v.video_id: v for v in client.get_videos(page.video_ids)}
    assert videos["PersonMed04"].status is StreamStatus.UPCOMING
    assert videos["DigiHealth3"].status is StreamStatus.LIVE
    assert videos["DigiHealth3"].concurrent_viewers == 137
    # A finished broadcast says liveBroadcastContent "none": the end time decides.
    assert videos["MedInnIRA02"].live_broadcast_content == "none"
    assert videos["MedInnIRA02"].status is StreamStatus.ENDED
    assert videos["MedInnIRA02"].actual_end is not None
    assert videos["KreftIntv01"].is_broadcast is False
    assert youtube.log[-1][1]["part"] == ["snippet,liveStreamingDetails,status,statistics"]
    assert client.units_spent == 2


def test_more_than_fifty_ids_are_batched(youtube: FakeYouTube) -> None:
    ids = youtube.add_plain_uploads(60)
    client = client_for(youtube)
    assert len(client.get_videos(ids)) == 60
    assert youtube.requests["videos"] == 2
    assert client.units_spent == 2


def test_unknown_video_ids_are_left_out(youtube: FakeYouTube) -> None:
    assert [v.video_id for v in client_for(youtube).get_videos(["Deleted0001", "FremtidKr01"])] == [
        "FremtidKr01"
    ]


def test_missing_key_fails_before_any_request(youtube: FakeYouTube) -> None:
    with pytest.raises(MissingApiKey, match="HUB_YOUTUBE_API_KEY"):
        YouTubeClient("  ", youtube.endpoint)
    assert youtube.units == 0


@pytest.mark.parametrize("body", ["error_badKey_400_current.json", "error_keyInvalid_400_legacy.json"])
def test_invalid_key_in_both_body_forms(youtube: FakeYouTube, body: str) -> None:
    youtube.bad_key_body = body
    with pytest.raises(InvalidApiKey) as caught:
        client_for(youtube, key="AIzaSyWRONG-key-that-must-not-leak").resolve_channel("@OsloCancerCluster")
    assert "AIzaSyWRONG" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_quota_exceeded(youtube: FakeYouTube) -> None:
    youtube.fail("videos", 403, "error_quotaExceeded_403.json")
    with pytest.raises(QuotaExceeded, match="midnight Pacific"):
        client_for(youtube).get_videos(["FremtidKr01"])


def test_other_errors_are_named_by_status_and_reason(youtube: FakeYouTube) -> None:
    youtube.fail("channels", 503, "error_backendError_503.json")
    with pytest.raises(YouTubeApiError, match=r"503 \(backendError\)") as caught:
        client_for(youtube).resolve_channel("@OsloCancerCluster")
    assert API_KEY not in str(caught.value)


def test_gone_uploads_playlist_is_channel_not_found(youtube: FakeYouTube) -> None:
    with pytest.raises(ChannelNotFound):
        client_for(youtube).list_uploads("UUNoSuchPlaylistAtAll000")


def test_connection_refused_is_a_network_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = YouTubeClient(API_KEY, f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkFailure, match="connection refused"):
        client.resolve_channel("@OsloCancerCluster")
    assert client.units_spent == 0


def test_the_key_never_reaches_the_log(youtube: FakeYouTube, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(youtube)
    client.resolve_channel("@OsloCancerCluster")
    youtube.fail("*", 403, "error_quotaExceeded_403.json")
    with pytest.raises(YouTubeError):
        client.list_uploads(UPLOADS)
    assert "URL being requested" in caplog.text  # googleapiclient does log the URL ...
    assert API_KEY not in caplog.text  # ... but with the key blanked out
    # googleapiclient's own warning on the 403 is kept, at debug level only.
    google = [r for r in caplog.records if r.name.startswith("googleapiclient")]
    assert any("Encountered 403 Forbidden" in r.getMessage() for r in google)
    assert {r.levelno for r in google} == {logging.DEBUG}


def test_google_lines_stay_out_of_a_log_at_info_level(
    youtube: FakeYouTube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    youtube.fail("*", 403, "error_quotaExceeded_403.json")
    with pytest.raises(YouTubeError):
        client_for(youtube).resolve_channel("@OsloCancerCluster")
    assert [r for r in caplog.records if r.name.startswith("googleapiclient")] == []
