"""Sync against the fake API: links, status over time, pins, units spent, budget, failures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.extensions import db as _db
from hub.livestream import InvalidVideoReference, pin_video, unpin
from hub.livestream.client import QuotaExceeded, YouTubeClient
from hub.livestream.quota import BudgetExhausted, quota_day
from hub.livestream.sync import (
    ChannelNotConfigured,
    SyncReport,
    sync_from_config,
    sync_youtube,
)
from hub.models import Event, Livestream, QuotaUsage, StreamStatus, YouTubeChannel
from tests.livestream.conftest import BEFORE
from tests.livestream.fake_youtube import API_KEY, FakeYouTube

SLUGS = {
    "fremtidens-kreftbehandling": "FremtidKr01",
    "medisinsk-innovasjon-etter-inflation-reduction-act": "MedInnIRA02",
    "future-of-digital-health-in-norway": "DigiHealth3",
    "persontilpasset-medisin-og-ressurskrisen": "PersonMed04",
}


def sync(app: Flask, now: datetime = BEFORE) -> SyncReport:
    report = sync_from_config(_db.session, app.config, now)
    _db.session.commit()
    return report


def stream_of(slug: str) -> Livestream | None:
    _db.session.expire_all()
    event = _db.session.scalar(select(Event).where(Event.slug == slug))
    assert event is not None
    return event.livestream


def event(slug: str) -> Event:
    found = _db.session.scalar(select(Event).where(Event.slug == slug))
    assert found is not None
    return found


def test_links_the_four_shipped_events_and_leaves_the_unrelated_broadcast(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    report = sync(app)
    for slug, video_id in SLUGS.items():
        stream = stream_of(slug)
        assert stream is not None
        assert stream.video_id == video_id, slug
        assert stream.status is StreamStatus.UPCOMING
        assert stream.pinned is False
        assert stream.match_reason
        assert "similar" in stream.match_reason
        assert stream.synced_at == BEFORE
    assert stream_of("fremtidens-kreftbehandling").scheduled_start == datetime(  # type: ignore[union-attr]
        2023, 8, 15, 5, 55, tzinfo=UTC
    )
    assert _db.session.scalar(select(Livestream).where(Livestream.video_id == "AarsmoteOCC")) is None
    assert _db.session.scalar(select(Livestream).where(Livestream.video_id == "KreftIntv01")) is None
    assert _db.session.scalar(select(Livestream).where(Livestream.video_id == "Fremtid2022")) is None
    assert {u[0].video_id for u in report.unlinked} == {"AarsmoteOCC", "Fremtid2022"}
    assert report.plain_uploads == 1
    assert report.events_without_broadcast == []
    text = "\n".join(report.lines())
    assert (
        "Linked: fremtidens-kreftbehandling -> FremtidKr01 [upcoming] "
        "'Fremtidens kreftbehandling | Arendalsuka 2023': starts 5 min before the event; title 100% similar"
    ) in text
    assert "Left unlinked: AarsmoteOCC 'Oslo Cancer Cluster Innovation Park: årsmøte 2023'" in text
    assert "Quota: 3 units this sync; 3 of 2000 spent today (Pacific time)." in text


def test_status_goes_upcoming_live_ended_over_three_syncs(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    slug = "future-of-digital-health-in-norway"
    sync(app, BEFORE)
    stream = stream_of(slug)
    assert stream is not None
    assert stream.status is StreamStatus.UPCOMING

    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    sync(app, datetime(2023, 8, 16, 11, 40, tzinfo=UTC))
    stream = stream_of(slug)
    assert stream is not None
    assert stream.status is StreamStatus.LIVE
    assert stream.concurrent_viewers == 137
    assert stream.actual_start == datetime(2023, 8, 16, 11, 31, 12, tzinfo=UTC)

    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    report = sync(app, datetime(2023, 8, 16, 13, 0, tzinfo=UTC))
    stream = stream_of(slug)
    assert stream is not None
    assert stream.status is StreamStatus.ENDED
    assert stream.actual_end == datetime(2023, 8, 16, 12, 34, 5, tzinfo=UTC)
    assert stream.concurrent_viewers is None
    assert stream.video_id == "DigiHealth3"
    assert any(i.slug == slug and i.change == "kept" for i in report.linked)
    # Agenda item 13:35 Oslo time is 11:35 UTC: 228 s after the stream started.
    item = event(slug).agenda[1]
    assert stream.recording_url_at(item.starts_at) == "https://www.youtube.com/watch?v=DigiHealth3&t=228s"
    assert stream.recording_offset(event(slug).agenda[0].starts_at) == 0  # before the start: 0


def test_pinned_url_survives_a_sync_and_is_refreshed(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    slug = "fremtidens-kreftbehandling"
    sync(app)
    # The organiser knows better: the unrelated broadcast is this event's stream.
    pin_video(_db.session, event(slug), "https://www.youtube.com/live/AarsmoteOCC?si=x1Y2z3", BEFORE)
    _db.session.commit()
    youtube.set_live("AarsmoteOCC", "2023-08-15T06:00:30Z", viewers=12)
    report = sync(app, datetime(2023, 8, 15, 6, 5, tzinfo=UTC))
    stream = stream_of(slug)
    assert stream is not None
    assert (stream.video_id, stream.pinned, stream.status) == ("AarsmoteOCC", True, StreamStatus.LIVE)
    assert stream.concurrent_viewers == 12
    assert stream.match_reason is not None
    assert stream.match_reason.startswith("pinned by an organiser")
    # The broadcast the sync would have chosen goes to no other event.
    assert _db.session.scalar(select(Livestream).where(Livestream.video_id == "FremtidKr01")) is None
    assert "FremtidKr01" in {u[0].video_id for u in report.unlinked}
    assert any(i.slug == slug and i.change == "pinned" for i in report.linked)

    assert unpin(_db.session, event(slug)) is True
    _db.session.commit()
    sync(app, datetime(2023, 8, 15, 6, 10, tzinfo=UTC))
    stream = stream_of(slug)
    assert stream is not None
    assert (stream.video_id, stream.pinned) == ("FremtidKr01", False)


def test_pinning_takes_the_video_from_a_synced_event(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    sync(app)
    pin_video(
        _db.session, event("fremtidens-kreftbehandling"), "youtu.be/MedInnIRA02", BEFORE, take_over=True
    )
    _db.session.commit()
    stream = stream_of("medisinsk-innovasjon-etter-inflation-reduction-act")
    assert stream is not None
    assert stream.video_id is None
    sync(app)
    rows = _db.session.scalars(select(Livestream).where(Livestream.video_id == "MedInnIRA02")).all()
    assert [r.event.slug for r in rows] == ["fremtidens-kreftbehandling"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("https://www.youtube.com/@OsloCancerCluster", "channel"),
        ("https://www.youtube.com/playlist?list=PL123", "not_video"),
        ("https://vimeo.com/123456789", "not_video"),
    ],
)
def test_pinning_rejects_what_is_not_a_video(app: Flask, programme: Any, text: str, code: str) -> None:
    with pytest.raises(InvalidVideoReference) as caught:
        pin_video(_db.session, event("fremtidens-kreftbehandling"), text, BEFORE)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)
    assert event("fremtidens-kreftbehandling").livestream is None


def test_fifty_uploads_cost_three_units_then_two_with_the_channel_cached(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.add_plain_uploads(43)  # with the 7 of the fixtures: 50 uploads
    first = sync(app)
    assert first.uploads_listed == 50
    assert len({lvs.video_id for lvs in _db.session.scalars(select(Livestream))}) == 4
    assert youtube.requests == {"channels": 1, "playlistItems": 1, "videos": 1}
    assert first.units_spent == youtube.units == 3
    second = sync(app)
    assert second.units_spent == 2
    assert second.channel_cached is True
    assert youtube.requests == {"channels": 1, "playlistItems": 2, "videos": 2}
    usage = _db.session.scalar(select(QuotaUsage).where(QuotaUsage.day == quota_day(BEFORE)))
    assert usage is not None
    assert usage.units == 5
    channel = _db.session.scalar(select(YouTubeChannel))
    assert channel is not None
    assert channel.uploads_playlist_id == "UUOsloCancerClusterFake0"


def test_linked_videos_outside_the_newest_uploads_are_tracked_by_id(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    sync(app)
    youtube.add_plain_uploads(50)  # the festival's broadcasts drop off the first page
    youtube.set_live("PersonMed04", "2023-08-16T14:31:00Z")
    report = sync(app, datetime(2023, 8, 16, 14, 35, tzinfo=UTC))
    stream = stream_of("persontilpasset-medisin-og-ressurskrisen")
    assert stream is not None
    assert stream.status is StreamStatus.LIVE
    assert stream.concurrent_viewers is None  # hidden viewer count: not given
    assert youtube.requests["videos"] == 3  # 50 uploads + 4 tracked ids: two calls
    assert report.units_spent == 3


def test_quota_is_counted_per_pacific_day(app: Flask, programme: Any, youtube: FakeYouTube) -> None:
    # 06:30 UTC on 15 August is still 14 August in California.
    early = datetime(2023, 8, 15, 6, 30, tzinfo=UTC)
    sync(app, early)
    sync(app, early + timedelta(hours=2))  # 01:30 Pacific, 15 August
    days = {u.day: u.units for u in _db.session.scalars(select(QuotaUsage))}
    assert days == {date(2023, 8, 14): 3, date(2023, 8, 15): 2}


def test_stops_mid_sync_before_passing_the_budget(app: Flask, programme: Any, youtube: FakeYouTube) -> None:
    sync(app)  # 3 units
    youtube.add_plain_uploads(50)  # now 50 uploads plus 4 tracked ids: two videos.list calls
    youtube.set_live("FremtidKr01", "2023-08-15T06:00:10Z")
    app.config["YOUTUBE_DAILY_BUDGET"] = 5
    with pytest.raises(BudgetExhausted, match="4 of 5 units spent today") as caught:
        sync_from_config(_db.session, app.config, BEFORE)
    assert "looking up 54 videos needs 2 more" in str(caught.value)
    _db.session.commit()
    assert youtube.requests == {"channels": 1, "playlistItems": 2, "videos": 1}
    usage = _db.session.scalar(select(QuotaUsage))
    assert usage is not None
    assert usage.units == 4
    stream = stream_of("fremtidens-kreftbehandling")
    assert stream is not None
    assert stream.status is StreamStatus.UPCOMING


def test_budget_stop_makes_no_request(app: Flask, programme: Any, youtube: FakeYouTube) -> None:
    app.config["YOUTUBE_DAILY_BUDGET"] = 6
    sync(app)  # 3
    sync(app)  # 2 (cached channel): 5 of 6 spent
    requests_before = youtube.units
    with pytest.raises(BudgetExhausted, match="5 of 6 units spent today") as caught:
        sync(app)
    assert "HUB_YOUTUBE_DAILY_BUDGET" in str(caught.value)
    assert youtube.units == requests_before
    _db.session.rollback()
    # The next Pacific day has a fresh budget.
    sync(app, BEFORE + timedelta(days=1))
    assert youtube.units == requests_before + 2


def test_failed_sync_keeps_the_last_known_state_and_records_units(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.set_live("FremtidKr01", "2023-08-15T06:00:10Z", viewers=40)
    sync(app, datetime(2023, 8, 15, 6, 5, tzinfo=UTC))
    youtube.fail("videos", 403, "error_quotaExceeded_403.json")
    with pytest.raises(QuotaExceeded):
        sync_from_config(_db.session, app.config, datetime(2023, 8, 15, 6, 20, tzinfo=UTC))
    _db.session.commit()  # as the command does: keeps the units, links untouched
    stream = stream_of("fremtidens-kreftbehandling")
    assert stream is not None
    assert stream.status is StreamStatus.LIVE
    assert stream.concurrent_viewers == 40
    assert stream.synced_at == datetime(2023, 8, 15, 6, 5, tzinfo=UTC)
    usage = _db.session.scalar(select(QuotaUsage))
    assert usage is not None
    assert usage.units == 3 + 2


def test_sync_with_an_explicit_client_and_the_festival_channel(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    # Without HUB_YOUTUBE_CHANNEL the festival's channel from the programme file is used.
    client = YouTubeClient(API_KEY, youtube.endpoint)
    report = sync_youtube(_db.session, client, BEFORE, budget=100, channel=None)
    assert youtube.log[0][1]["forHandle"] == ["@OsloCancerCluster"]
    assert len(report.linked) == 4


def test_no_channel_anywhere_is_a_named_error(app: Flask, youtube: FakeYouTube) -> None:
    # No programme loaded (so no festival channel) and no HUB_YOUTUBE_CHANNEL.
    app.config["YOUTUBE_CHANNEL"] = None
    with pytest.raises(ChannelNotConfigured, match="set HUB_YOUTUBE_CHANNEL"):
        sync_from_config(_db.session, app.config, BEFORE)
    assert youtube.units == 0


def test_a_pinned_video_shows_before_its_first_sync(app: Flask, programme: Any) -> None:
    stream = pin_video(_db.session, event("fremtidens-kreftbehandling"), "FremtidKr01", BEFORE)
    _db.session.commit()
    assert (stream.status, stream.watch_url) == (
        StreamStatus.NONE,
        "https://www.youtube.com/watch?v=FremtidKr01",
    )
    html = app.test_client().get("/events/fremtidens-kreftbehandling?lang=en").get_data(as_text=True)
    assert 'data-video-id="FremtidKr01"' in html
    assert "The event's video on YouTube:" in html
