"""A festival day against the fake YouTube API: 200 events, 40 of them streamed.

The worker's loop is replayed minute by minute over the whole day (Oslo time): each minute
the broadcasts start and end as scheduled on the fake API, and the worker syncs when the
cadence (hub/livestream/cadence.py) says it is due. Returns the syncs made and the quota
units YouTube would have charged. Used by tests/livestream/test_cadence.py and by
``scripts/festival_day.py``, which prints the figures for the README.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from hub.extensions import db
from hub.livestream.cadence import busy_events, sync_due
from hub.livestream.quota import quota_day
from hub.livestream.sync import sync_from_config
from hub.models import Event
from hub.programme.importer import import_programme
from hub.programme.synthetic import FIRST_DAY, generate_programme
from hub.timeutil import OSLO
from tests.livestream.fake_youtube import UPLOADS, FakeYouTube

EVENTS = 200
STREAMED = 40


@dataclass
class DayReport:
    syncs: int = 0
    fast_syncs: int = 0
    units: int = 0
    units_per_quota_day: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    linked: int = 0
    live_seen: int = 0

    def lines(self) -> list[str]:
        per_day = ", ".join(f"{day}: {units}" for day, units in sorted(self.units_per_quota_day.items()))
        return [
            f"Festival day: {EVENTS} events, {STREAMED} streamed; the worker checks every minute.",
            f"Syncs: {self.syncs} ({self.fast_syncs} around broadcasts, "
            f"{self.syncs - self.fast_syncs} otherwise).",
            f"Quota units: {self.units} (requests: {dict(sorted(self.requests.items()))}).",
            f"Per YouTube quota day (Pacific time): {per_day}.",
            f"Broadcasts linked: {self.linked} of {STREAMED}; seen live by a sync: {self.live_seen}.",
        ]


def load_day(youtube: FakeYouTube) -> list[Event]:
    """The programme in the database, and one broadcast per streamed event on the fake API."""
    data = generate_programme(events=EVENTS, days=1, venues=20, seed=12)
    for index, event in enumerate(data["events"]):
        streamed = index % (EVENTS // STREAMED) == 0
        event["attendance"] = ["in_person", "online"] if streamed else ["in_person"]
    import_programme(db.session, data)
    db.session.commit()
    events = list(db.session.scalars(select(Event).order_by(Event.starts_at, Event.id)))
    template = youtube.videos["DigiHealth3"]
    youtube.videos.clear()
    ids = []
    for number, event in enumerate(e for e in events if e.offers_online):
        video_id = f"Fest{number:07d}"
        video = copy.deepcopy(template)
        video["id"], video["etag"] = video_id, f"etag-{video_id}"
        video["snippet"]["title"] = video["snippet"]["localized"]["title"] = f"{event.title} | Arendalsuka"
        video["liveStreamingDetails"]["scheduledStartTime"] = _utc(event.starts_at)
        youtube.videos[video_id] = video
        ids.append(video_id)
    youtube.playlists[UPLOADS] = list(reversed(ids))  # newest (latest scheduled) first
    return events


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_day(app: Flask, youtube: FakeYouTube, events: list[Event]) -> DayReport:
    """Replay the day minute by minute; the fake's broadcasts follow the programme."""
    streamed = [
        (f"Fest{n:07d}", e.starts_at, e.ends_at) for n, e in enumerate(e for e in events if e.offers_online)
    ]
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=OSLO)
    report = DayReport()
    before = youtube.units
    requests_before = Counter(youtube.requests)
    live_seen: set[str] = set()
    for minute in range(24 * 60):
        now = (start + timedelta(minutes=minute)).astimezone(events[0].starts_at.tzinfo)
        for video_id, starts, ends in streamed:
            if now == starts + timedelta(minutes=1):
                youtube.set_live(video_id, _utc(now), viewers=50 + minute % 90)
            elif now == ends + timedelta(minutes=2):
                youtube.set_ended(video_id, _utc(now))
        if not sync_due(db.session, now, app.config):
            continue
        busy = bool(busy_events(db.session, now))
        units = youtube.units
        sync_report = sync_from_config(db.session, app.config, now)
        db.session.commit()
        report.syncs += 1
        report.fast_syncs += busy
        report.units_per_quota_day[quota_day(now).isoformat()] += youtube.units - units
        live_seen.update(item.video_id for item in sync_report.linked if item.status.value == "live")
    report.units = youtube.units - before
    report.requests = Counter(youtube.requests)
    report.requests.subtract(requests_before)
    report.requests = +report.requests
    report.linked = sum(1 for e in events if e.livestream is not None and e.livestream.video_id)
    report.live_seen = len(live_seen)
    return report


def simulate(app: Flask, youtube: FakeYouTube) -> DayReport:
    return run_day(app, youtube, load_day(youtube))
