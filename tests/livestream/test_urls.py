"""Every form of YouTube link an organiser may paste, and what is not a video."""

from __future__ import annotations

import pytest

from hub.livestream.urls import parse_channel_reference, parse_video_id

ID = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "text",
    [
        f"https://www.youtube.com/watch?v={ID}",
        f"https://www.youtube.com/watch?v={ID}&feature=share&list=PL123",
        f"https://www.youtube.com/watch?feature=share&v={ID}#t=30",
        f"http://youtube.com/watch?v={ID}",
        f"https://m.youtube.com/watch?v={ID}",
        f"https://music.youtube.com/watch?v={ID}",
        f"www.youtube.com/watch?v={ID}",
        f"youtube.com/watch?v={ID}",
        f"HTTPS://WWW.YOUTUBE.COM/watch?v={ID}",
        f"https://youtu.be/{ID}",
        f"https://youtu.be/{ID}?si=AbCdEfGh12345&t=42",
        f"youtu.be/{ID}",
        f"https://www.youtube.com/live/{ID}",
        f"https://www.youtube.com/live/{ID}?si=AbCdEfGh12345",
        f"https://www.youtube.com/embed/{ID}",
        f"https://www.youtube.com/embed/{ID}?autoplay=1&start=30",
        f"https://www.youtube-nocookie.com/embed/{ID}",
        f"https://www.youtube.com/shorts/{ID}",
        f"https://youtube.com/shorts/{ID}?feature=share",
        f"https://www.youtube.com/v/{ID}",
        f"https://www.youtube.com/e/{ID}",
        f"https://www.youtubekids.com/watch?v={ID}",
        ID,
        f"  {ID}\n",
    ],
)
def test_accepted_forms_give_the_video_id(text: str) -> None:
    assert parse_video_id(text) == ID


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "https://www.youtube.com/embed/live_stream?channel=UCOsloCancerClusterFake0",
        "https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "live_stream",
        "videoseries",
        "https://www.youtube.com/@OsloCancerCluster",
        "https://www.youtube.com/@OsloCancerCluster/live",
        "https://www.youtube.com/channel/UCOsloCancerClusterFake0",
        "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        f"https://youtube.com.evil.example/watch?v={ID}",
        f"https://evilyoutube.com/watch?v={ID}",
        f"https://youtu.be.evil.example/{ID}",
        f"https://vimeo.com/{ID}",
        f"{ID}x",  # 12 characters
        f"https://www.youtube.com/watch?v={ID}x",
        f"https://youtu.be/{ID}x",
        "dQw4w9WgXc!",
        f"ftp://www.youtube.com/watch?v={ID}",
        f"https://www.youtube.com/watch?v={ID}&v=aaaaaaaaaaa",
        f"https://www.youtube.com/results?search_query={ID}",
    ],
)
def test_rejected_forms_give_none(text: str) -> None:
    assert parse_video_id(text) is None


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("@OsloCancerCluster", "handle", "@OsloCancerCluster"),
        ("OsloCancerCluster", "handle", "@OsloCancerCluster"),
        ("https://www.youtube.com/@OsloCancerCluster", "handle", "@OsloCancerCluster"),
        ("https://www.youtube.com/@OsloCancerCluster/live", "handle", "@OsloCancerCluster"),
        ("UCOsloCancerClusterFake0", "id", "UCOsloCancerClusterFake0"),
        ("https://www.youtube.com/channel/UCOsloCancerClusterFake0", "id", "UCOsloCancerClusterFake0"),
    ],
)
def test_channel_references(text: str, kind: str, value: str) -> None:
    ref = parse_channel_reference(text)
    assert ref is not None
    assert (ref.kind, ref.value) == (kind, value)


@pytest.mark.parametrize("text", ["", "@x", "https://vimeo.com/@someone", "not a channel!"])
def test_channel_references_rejected(text: str) -> None:
    assert parse_channel_reference(text) is None
