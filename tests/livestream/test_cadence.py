"""The worker's sync cadence: often around broadcasts, seldom otherwise, inside the budget.
The clock is moved by passing ``now``; the syncs run against the fake API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from hub.extensions import db as _db
from hub.livestream.cadence import Cadence, busy_events, interval, sync_due, units_per_sync
from hub.livestream.quota import quota_day, quota_day_ends, record_units, units_spent_on
from hub.livestream.sync import sync_from_config
from hub.models import Event
from tests.livestream.conftest import BEFORE
from tests.livestream.fake_youtube import FakeYouTube

MINUTE = timedelta(minutes=1)
# FremtidKr01, the broadcast of "Fremtidens kreftbehandling" (08:00 in Arendal), is
# scheduled for 07:55 Oslo time = 05:55 UTC on 15 August 2023.
SCHEDULED = datetime(2023, 8, 15, 5, 55, tzinfo=UTC)
BUSY_FROM = SCHEDULED - 15 * MINUTE


def sync(app: Flask, now: datetime) -> None:
    sync_from_config(_db.session, app.config, now)
    _db.session.commit()


def due(app: Flask, now: datetime) -> bool:
    return sync_due(_db.session, now, app.config)


def test_hourly_when_nothing_is_on_every_two_minutes_around_a_broadcast(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    assert due(app, BEFORE)  # never synced
    sync(app, BEFORE)
    assert not due(app, BEFORE + 59 * MINUTE)
    assert due(app, BEFORE + 60 * MINUTE)

    # Quiet until 15 minutes before the scheduled start of the first broadcast.
    sync(app, BUSY_FROM - 20 * MINUTE)
    assert not due(app, BUSY_FROM - MINUTE)
    assert due(app, BUSY_FROM)
    sync(app, BUSY_FROM)
    assert not due(app, BUSY_FROM + MINUTE)
    assert due(app, BUSY_FROM + 2 * MINUTE)

    # Live, also past the event's planned end: still every two minutes.
    youtube.set_live("FremtidKr01", "2023-08-15T05:58:00Z")
    late = datetime(2023, 8, 15, 7, 40, tzinfo=UTC)
    sync(app, late)
    assert [e.slug for e in busy_events(_db.session, late)] == ["fremtidens-kreftbehandling"]
    assert due(app, late + 2 * MINUTE)

    # Ended: back to hourly until the next broadcast comes near.
    youtube.set_ended("FremtidKr01", "2023-08-15T07:45:00Z")
    ended = datetime(2023, 8, 15, 7, 46, tzinfo=UTC)
    sync(app, ended)
    assert busy_events(_db.session, ended) == []
    assert not due(app, ended + 30 * MINUTE)
    assert due(app, ended + 60 * MINUTE)


def test_events_that_are_not_streamed_do_not_speed_it_up(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    sync(app, BUSY_FROM - 30 * MINUTE)
    # In person only, and no broadcast linked: nothing to watch for.
    for event in _db.session.scalars(select(Event)):
        event.attendance = ["in_person"]
        if event.livestream is not None:
            _db.session.delete(event.livestream)
    _db.session.commit()
    assert busy_events(_db.session, SCHEDULED) == []
    assert not due(app, SCHEDULED)
    assert due(app, BUSY_FROM + 30 * MINUTE)


def test_the_budget_stretches_the_interval_until_the_quota_resets(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    sync(app, BEFORE)
    now = BUSY_FROM + 5 * MINUTE  # busy: two minutes wanted
    cadence = Cadence.from_config(app.config)
    assert interval(_db.session, now, cadence) == 2 * MINUTE
    until_reset = quota_day_ends(now) - now  # 05:45 UTC is 22:45 in California
    assert until_reset == timedelta(hours=1, minutes=15)
    cost = units_per_sync(_db.session)
    assert cost == 3  # as the last sync: it looked the channel up

    # 30 units left at 3 a sync: 10 syncs must last 75 minutes, one every 7.5 minutes.
    spent = units_spent_on(_db.session, quota_day(now))
    record_units(_db.session, quota_day(now), cadence.budget - spent - 30)
    _db.session.commit()
    assert interval(_db.session, now, cadence) == timedelta(minutes=7, seconds=30)

    # Less than a sync left: the next one waits for the reset.
    record_units(_db.session, quota_day(now), 28)
    _db.session.commit()
    assert interval(_db.session, now, cadence) == until_reset
    assert not due(app, now + 70 * MINUTE)
    # A new quota day, the whole budget again: 2,000 units last a day of syncs at 3 units
    # every 129.6 seconds (at 2 units, every two minutes would do).
    assert interval(_db.session, now + until_reset, cadence) == timedelta(days=1) * 3 / 2000
