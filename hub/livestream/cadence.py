"""When the worker syncs YouTube: often around broadcasts, seldom otherwise, inside the budget.

A streamed event (one that offers online attendance, or has a linked video) is *busy* from
LEAD (15 minutes) before its broadcast's scheduled start (else the event's start) until
its broadcast has ended; a broadcast that never started stops counting GRACE after the
event's end. While any event is busy the worker syncs every ``YOUTUBE_SYNC_FAST_INTERVAL``
seconds (default 2 minutes), else every ``YOUTUBE_SYNC_INTERVAL`` (default an hour).

The interval is then stretched, when needed, so that what is left of the day's
``YOUTUBE_DAILY_BUDGET`` lasts until YouTube's quota day ends (midnight Pacific time) at
the units a sync costs now: the hub never plans to run out before the reset.

The interval counts from the channel's last sync attempt (``YouTubeChannel.synced_at``),
kept in the database, so several workers share one cadence and a test moves the clock by
passing ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.livestream.quota import daily_budget, quota_day, quota_day_ends, units_spent_on
from hub.models import Event, Livestream, StreamStatus, YouTubeChannel

LEAD = timedelta(minutes=15)
GRACE = timedelta(minutes=30)
MIN_UNITS_PER_SYNC = 2  # channels.list is cached: playlistItems.list and one videos.list


@dataclass(frozen=True)
class Cadence:
    fast: timedelta
    slow: timedelta
    budget: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Cadence:
        return cls(
            fast=timedelta(seconds=float(config.get("YOUTUBE_SYNC_FAST_INTERVAL") or 120)),
            slow=timedelta(seconds=float(config.get("YOUTUBE_SYNC_INTERVAL") or 3600)),
            budget=daily_budget(config),
        )


def _busy(event: Event, now: datetime) -> bool:
    stream = event.livestream
    linked = stream is not None and bool(stream.video_id)
    if not (event.offers_online or linked):
        return False
    if stream is not None and linked:
        if stream.status is StreamStatus.LIVE:
            return True
        if stream.status is StreamStatus.ENDED:
            return False
        starts = stream.scheduled_start or event.starts_at
    else:
        starts = event.starts_at
    return starts - LEAD <= now <= max(event.ends_at, starts) + GRACE


def busy_events(session: DbSession, now: datetime) -> list[Event]:
    """Streamed events around their broadcast now (a live one whatever the programme says)."""
    horizon = now + LEAD + timedelta(hours=3)  # a broadcast may be scheduled a little apart
    near = session.scalars(
        select(Event)
        .outerjoin(Livestream, Livestream.event_id == Event.id)
        .where(
            or_(
                Livestream.status == StreamStatus.LIVE,
                (Event.starts_at <= horizon) & (Event.ends_at >= now - GRACE - timedelta(hours=3)),
            )
        )
        .options(selectinload(Event.livestream))
    ).all()
    return [e for e in near if _busy(e, now)]


def units_per_sync(session: DbSession) -> int:
    """What a sync costs: as much as the last one (at least the uploads page and one
    videos.list call; the channel lookup is cached)."""
    last = session.scalar(select(func.max(YouTubeChannel.sync_units)))
    return max(int(last or 0), MIN_UNITS_PER_SYNC)


def _left_and_cost(session: DbSession, now: datetime, cadence: Cadence) -> tuple[int, int]:
    return cadence.budget - units_spent_on(session, quota_day(now)), units_per_sync(session)


def interval(session: DbSession, now: datetime, cadence: Cadence) -> timedelta:
    """The time between two syncs that applies at ``now``."""
    wanted = cadence.fast if busy_events(session, now) else cadence.slow
    left, cost = _left_and_cost(session, now, cadence)
    until_reset = quota_day_ends(now) - now
    if left < cost:
        return until_reset  # nothing more today
    # Syncs every `wanted` until the reset must fit in what is left of the budget.
    return max(wanted, until_reset * cost / left)


def last_sync(session: DbSession) -> datetime | None:
    return session.scalar(select(func.max(YouTubeChannel.synced_at)))


def next_sync_at(session: DbSession, now: datetime, cadence: Cadence) -> datetime:
    """When the next sync is due, by the interval that applies at ``now`` (due when <= now);
    with less than a sync's units left today, at the reset."""
    left, cost = _left_and_cost(session, now, cadence)
    if left < cost:
        return quota_day_ends(now)
    last = last_sync(session)
    if last is None:
        return now
    return last + interval(session, now, cadence)


def sync_due(session: DbSession, now: datetime, config: Mapping[str, Any]) -> bool:
    return next_sync_at(session, now, Cadence.from_config(config)) <= now
