"""Time helpers: everything is stored in UTC and shown in Europe/Oslo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime to aware UTC (naive values are taken to be UTC already).

    SQLite hands back naive datetimes even for ``DateTime(timezone=True)`` columns.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime, tz: ZoneInfo = OSLO) -> datetime:
    """A stored (UTC) datetime in the display time zone."""
    return as_utc(value).astimezone(tz)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp with offset into aware UTC; reject naive values."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return value.astimezone(UTC)


def parse_day(text: str) -> date:
    """A calendar day from ``YYYY-MM-DD``; ValueError for anything else or a day out of range."""
    day = date.fromisoformat(text.strip())
    if not 2000 <= day.year <= 2100:
        raise ValueError(f"{text!r} is not a festival day")
    return day


def local_day_bounds(day: date, tz: ZoneInfo = OSLO) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar day starts and ends."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start + timedelta(days=1)
    return start.astimezone(UTC), datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """Parse offsets like ``24h``, ``90m``, ``2d`` or ``30s``."""
    text = text.strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"not a duration: {text!r} (use e.g. 24h, 90m, 2d)")
    return timedelta(**{units[text[-1]]: int(text[:-1])})
