"""A live event page in Chromium: LIVE badge, nothing from Google before the click, then the player."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from hub.extensions import db
from hub.livestream.sync import sync_from_config
from tests.livestream import conftest as livestream_fixtures
from tests.livestream.fake_youtube import FakeYouTube

pytestmark = pytest.mark.browser

# The fake YouTube API and the app configured for it, as in tests/livestream.
youtube = livestream_fixtures.youtube
app_config = livestream_fixtures.app_config

SLUG = "future-of-digital-health-in-norway"
# Stands in for YouTube's player, so the screenshot shows where the player goes; served by the
# test's route handler, nothing leaves the machine.
PLAYER_STAND_IN = (
    "<!doctype html><body style='margin:0;display:grid;place-items:center;height:100vh;"
    "background:#0f0f0f;color:#aaa;font:16px system-ui'>YouTube player (stand-in: tests run offline)</body>"
)


def test_live_event_page_loads_the_player_only_on_click(
    app: Flask, live_server: str, page: Any, programme: Any, youtube: FakeYouTube, screenshots: Path
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    sync_from_config(db.session, app.config, datetime(2023, 8, 16, 11, 40, tzinfo=UTC))
    db.session.commit()

    outside: list[str] = []

    def keep_it_local(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
            return
        outside.append(url)
        if host == "www.youtube-nocookie.com":
            route.fulfill(status=200, content_type="text/html", body=PLAYER_STAND_IN)
        else:
            route.abort()

    page.route("**/*", keep_it_local)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server}/events/{SLUG}?lang=en")

    stream = page.locator("section.livestream")
    assert stream.locator(".stream-status .tag-live").inner_text() == "LIVE"
    assert "137 watching" in stream.locator(".stream-status").inner_text()
    assert page.locator(".event-header .tag-live").inner_text() == "LIVE"  # the facts line too
    assert page.locator("iframe").count() == 0
    poster = stream.locator("a.player-poster")
    assert poster.get_attribute("href") == "https://www.youtube.com/watch?v=DigiHealth3"
    page.wait_for_load_state("networkidle")
    assert outside == [], "nothing may be fetched from outside before the click"

    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]

    stream.screenshot(path=str(screenshots / "event-live-poster.png"))  # the section before the click
    poster.click()
    frame = stream.locator("iframe.player-frame")
    frame.wait_for()
    assert page.url == f"{live_server}/events/{SLUG}?lang=en"  # the page stayed; the player came to it
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/DigiHealth3?autoplay=1"
    assert frame.get_attribute("referrerpolicy") == "strict-origin-when-cross-origin"
    assert "autoplay" in (frame.get_attribute("allow") or "")
    assert frame.get_attribute("allowfullscreen") is not None
    assert "The Future of Digital Health" in (frame.get_attribute("title") or "")
    assert page.locator("a.player-poster").count() == 0
    page.wait_for_load_state("networkidle")
    assert outside == ["https://www.youtube-nocookie.com/embed/DigiHealth3?autoplay=1"]

    page.screenshot(path=str(screenshots / "event-live.png"), full_page=True)
