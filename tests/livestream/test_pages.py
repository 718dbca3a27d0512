"""What visitors see of a broadcast: event page, programme badge, JSON and ICS."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.livestream.conftest import AFTER, BEFORE, LIVE_AT, SLUG, sync
from tests.livestream.fake_youtube import FakeYouTube


def page(client: FlaskClient, slug: str = SLUG) -> str:
    response = client.get(f"/events/{slug}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stream_section(html: str) -> str:
    match = re.search(r'<section class="livestream".*?</section>', html, re.S)
    assert match is not None
    return match.group(0)


def test_no_broadcast_yet_shows_the_channel(client: FlaskClient, programme: Any) -> None:
    section = stream_section(page(client))
    assert "https://www.youtube.com/@OsloCancerCluster" in section
    assert "data-video-id" not in section


def test_upcoming_shows_the_start_and_a_poster_link(
    app: Flask, client: FlaskClient, programme: Any, youtube: FakeYouTube
) -> None:
    sync(app, BEFORE)
    section = stream_section(page(client))
    assert "Streams on YouTube, starts" in section
    assert '<time datetime="2023-08-16T11:25:00+00:00">Wednesday 16 August 2023, 13:25</time>' in section
    # The poster works without JavaScript: a link to the video on youtube.com.
    assert 'href="https://www.youtube.com/watch?v=DigiHealth3"' in section
    assert 'data-video-id="DigiHealth3"' in section
    # Nothing on the page loads from Google before the click: no iframe, no i.ytimg.com poster.
    assert "<iframe" not in section
    assert "ytimg" not in page(client)
    # The player's address waits in an attribute (built by hub/livestream/urls.py) for the click.
    assert 'data-embed-url="https://www.youtube-nocookie.com/embed/DigiHealth3?autoplay=1"' in section
    assert section.count("youtube-nocookie") == 1


def test_live_shows_the_badge_and_viewers_everywhere(
    app: Flask, client: FlaskClient, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    sync(app, LIVE_AT)
    section = stream_section(page(client))
    assert '<span class="tag tag-live">LIVE</span>' in section
    assert "137 watching" in section
    assert "<iframe" not in section
    programme_page = client.get("/?lang=en").get_data(as_text=True)
    card = re.search(r'<li class="event-card.*?future-of-digital-health.*?</li>', programme_page, re.S)
    assert card is not None
    assert "tag-live" in card.group(0)
    document = client.get("/programme.json").get_json()
    record = next(e for e in document["events"] if e["slug"] == SLUG)
    assert record["livestream"]["status"] == "live"
    assert record["livestream"]["video_id"] == "DigiHealth3"
    assert record["livestream"]["watch_url"] == "https://www.youtube.com/watch?v=DigiHealth3"
    assert record["livestream"]["concurrent_viewers"] == 137
    ics = client.get(f"/events/{SLUG}.ics").get_data(as_text=True)
    assert "X-HUB-LIVESTREAM-STATUS:live" in ics
    assert "LIVE now on YouTube: https://www.youtube.com/watch?v=DigiHealth3" in ics.replace("\r\n ", "")


def test_ended_offers_the_recording_and_agenda_moments(
    app: Flask, client: FlaskClient, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    sync(app, AFTER)
    html = page(client)
    section = stream_section(html)
    assert "Watch the recording" in section
    assert "tag-live" not in section
    assert 'data-video-id="DigiHealth3"' in section
    links = re.findall(r'class="agenda-watch" href="([^"]+)"', html)
    # All nine agenda items (13:30-14:30 Oslo time) fall within the recording (13:31:12-14:34:05);
    # the first starts before the stream did and links to its beginning.
    assert links[0] == "https://www.youtube.com/watch?v=DigiHealth3&amp;t=0s"
    assert links[1] == "https://www.youtube.com/watch?v=DigiHealth3&amp;t=228s"  # 13:35 - 13:31:12
    assert len(links) == 9
    ics = client.get(f"/events/{SLUG}.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "Recording on YouTube: https://www.youtube.com/watch?v=DigiHealth3" in ics


def test_live_page_renders_in_norwegian(
    app: Flask, client: FlaskClient, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    sync(app, LIVE_AT)
    response = client.get(f"/events/{SLUG}?lang=nb")
    assert response.status_code == 200
    section = stream_section(response.get_data(as_text=True))
    assert 'data-video-id="DigiHealth3"' in section
    assert "tag-live" in section
